import type { NestedTree, Run } from '../../protocol/runs';
import { booleanOption, type CommandSpec } from './cliContext';
import { CliError } from './cliError';
import { SidecarHttpError } from './sidecarClient';
import { type Colors, formatCount, formatJson, formatRelative } from './terminal';
import { errorText, renderTree, runDuration, statusLabel } from './treeRender';

/** `runtrail show <runId>`: the run's header and its whole node tree, coloured by status. */
export const showCommand: CommandSpec = {
  name: 'show',
  summary: 'show a run and its node tree',
  usage: '<runId> [--json]',
  positionals: [{ name: 'runId', required: true }],
  options: {
    json: { type: 'boolean', description: 'print the nested tree as JSON (GET /api/runs/:id/tree?format=nested)' },
  },
  examples: ['runtrail show run_m1abc2def3', 'runtrail show run_m1abc2def3 --json | jq .roots[0]'],
  async run(ctx, args) {
    const runId = args.positionals[0] as string;
    let tree: NestedTree;
    try {
      tree = await ctx.client().nestedTree(runId);
    } catch (error) {
      if (error instanceof SidecarHttpError && error.status === 404) throw new CliError(`no run ${JSON.stringify(runId)}`);
      throw error;
    }
    if (booleanOption(args, 'json')) {
      ctx.stdout.write(formatJson(tree, ctx.stdout));
      return 0;
    }
    const now = Date.now();
    const lines = [...runHeader(tree.run, ctx.colors, now), ''];
    if (tree.roots.length === 0) lines.push(ctx.colors.dim('(no nodes)'));
    else lines.push(...renderTree(tree.roots, ctx.colors, now));
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

/**
 * ```
 * triage  run_m1abc  ✓ ok
 * started 2026-01-01 12:00:00Z (3m ago) · 4.2s · 12 nodes · 579 tok · $0.0123
 * git main @ abc1234 (dirty) · labels nightly
 * ```
 */
export function runHeader(run: Run, c: Colors, now: number): string[] {
  const lines = [`${c.bold(run.workflow)}  ${run.id}  ${statusLabel(run.status, c)}`];
  const facts = [
    `started ${run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} (${formatRelative(run.startedAt, now)})`,
    runDuration(run, now),
    `${run.nodeCount} node${run.nodeCount === 1 ? '' : 's'}`,
  ];
  const tokens = run.tokensIn + run.tokensOut;
  if (tokens > 0) facts.push(`${formatCount(tokens)} tok (${formatCount(run.tokensIn)} in, ${formatCount(run.tokensOut)} out)`);
  if (run.costUsd > 0) facts.push(`$${run.costUsd.toFixed(4)}`);
  lines.push(c.dim(facts.join(' · ')));

  const context: string[] = [];
  const { branch, commit, dirty } = run.git;
  if (branch !== null || commit !== null) {
    context.push(
      `git ${[branch, commit === null ? null : `@ ${commit.slice(0, 10)}`].filter((p) => p !== null).join(' ')}${dirty ? ' (dirty)' : ''}`,
    );
  }
  if (run.labels.length > 0) context.push(`labels ${run.labels.join(', ')}`);
  if (run.replayOf !== null)
    context.push(`replay of ${run.replayOf}${run.forkedFromNode === null ? '' : ` (forked at ${run.forkedFromNode})`}`);
  if (context.length > 0) lines.push(c.dim(context.join(' · ')));
  const error = errorText(run.error, 400);
  if (error !== undefined) lines.push(c.red(`error: ${error}`));
  return lines;
}
