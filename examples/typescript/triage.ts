/**
 * A triage agent: reads an issue, plans, searches this repository with real tools (git grep,
 * reading files), decides how to route the issue, and writes a report. The planner is a small
 * rule-based stand-in for a model (triagePlanner.ts), so it runs offline.
 *
 *   node --import tsx examples/typescript/triage.ts [examples/fixtures/issues/<file>.md]
 *   runtrail run triage-ts          # the same through the runner (runtrail.json)
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { decide, finish, llm, log, startRun, step, tool, usage } from '../../sdk/typescript/src/index';
import { type Evidence, estimateTokens, type Label, matchLabels, parseIssue, plan, report, routeOptions } from './triagePlanner';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../..');

async function main(): Promise<void> {
  const issueFile = path.resolve(process.argv[2] ?? path.join(repoRoot, 'examples/fixtures/issues/sse-stalls-after-sleep.md'));
  await startRun({ workflow: 'triage-ts' });

  const issue = await step('read issue', async () => parseIssue(await fs.readFile(issueFile, 'utf8')), { input: { file: issueFile } });
  log(`triaging "${issue.title}"`);

  const planned = await llm(
    'plan',
    () => {
      const result = plan(issue);
      return usage(result, { tokensIn: estimateTokens(issue.body), tokensOut: estimateTokens(result.summary), costUsd: 0 });
    },
    { input: issue, model: 'rule-planner (a stand-in, not a model)' },
  );

  const labels = await tool('fetch labels', () => fetchLabels(issue), { retries: 2, input: { source: 'examples/fixtures/labels.json' } });

  const evidence = await step('investigate', async () => {
    const found: Evidence[] = [];
    for (const term of planned.searchTerms) {
      const hits = await tool('git grep', () => gitGrep(term), { input: { term } });
      if (hits.length > 0) {
        const [file, line] = (hits[0] as string).split(':');
        await tool('read file', () => readAround(file as string, Number(line)), { input: { file, line: Number(line) } });
      }
      found.push({ term, hits });
    }
    return found;
  });

  const route = await decide('route', routeOptions(planned, evidence), (options) =>
    options.reduce((best, option) => ((option.score ?? 0) > (best.score ?? 0) ? option : best)),
  );

  const markdown = await llm(
    'draft report',
    () => {
      const text = report(issue, planned, labels, evidence, route);
      return usage(text, { tokensIn: estimateTokens(JSON.stringify(evidence)), tokensOut: estimateTokens(text), costUsd: 0 });
    },
    { model: 'rule-planner (a stand-in, not a model)' },
  );

  const reportFile = await step('write report', async () => {
    const file = path.join(repoRoot, '.runtrail/reports', `triage-ts-${path.basename(issueFile, '.md')}.md`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, markdown);
    return file;
  });
  console.log(`route: ${route}; report: ${path.relative(repoRoot, reportFile)}`);
  await finish();
}

/** The label service is flaky: its first call in each process fails, as remote calls sometimes do. */
let labelCalls = 0;
async function fetchLabels(issue: ReturnType<typeof parseIssue>): Promise<string[]> {
  labelCalls += 1;
  if (labelCalls === 1) throw new Error('ECONNRESET: the label service dropped the connection (simulated transient failure)');
  const { labels } = JSON.parse(await fs.readFile(path.join(repoRoot, 'examples/fixtures/labels.json'), 'utf8')) as { labels: Label[] };
  return matchLabels(issue, labels);
}

/** Lines of tracked files containing `term` (fixed string, case-insensitive), at most 20. */
async function gitGrep(term: string): Promise<string[]> {
  try {
    const { stdout } = await run(
      'git',
      ['grep', '-n', '-I', '-i', '-w', '-F', '--max-count=3', '-e', term, '--', '.', ':!examples', ':!*.md'],
      {
        cwd: repoRoot,
        maxBuffer: 4 * 1024 * 1024,
      },
    );
    return stdout.split('\n').filter(Boolean).slice(0, 20);
  } catch (error) {
    // git grep exits 1 when nothing matches.
    if ((error as { code?: number }).code === 1) return [];
    throw error;
  }
}

async function readAround(file: string, line: number): Promise<string> {
  const lines = (await fs.readFile(path.join(repoRoot, file), 'utf8')).split('\n');
  return lines.slice(Math.max(0, line - 4), line + 3).join('\n');
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await finish({ status: 'error', error: error instanceof Error ? error : String(error) });
  process.exitCode = 1;
});
