import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Run, terminalStatuses } from '../../protocol/runs';
import { graphPageUrl } from '../../protocol/webviewMessages';
import { loadConfig } from '../config';
import type { RunningSidecar } from '../sidecar';
import { sidecarVersion } from '../version';
import { booleanOption, type CliContext, type CommandSpec, stringOption } from './cliContext';
import { CliError, exitCodes } from './cliError';
import { runHeader } from './showCommand';
import { locateSidecar, SidecarClient } from './sidecarClient';
import { formatDuration, ProgressLine } from './terminal';
import { renderTree } from './treeRender';

/** The example workflows of runtrail.json the demo runs, in the order their trees are printed. */
const demoWorkflows = ['triage-ts', 'triage-py'] as const;
const defaultPort = 7317;
const runTimeoutMs = 120_000;

/**
 * `runtrail demo` (`npm run demo`): a new user's first minute. Starts the sidecar on the embedded
 * store (or uses the one already running on the same data folder), runs both example workflows
 * through the runner, prints their trees and where to browse them, then stops — or keeps serving
 * with `--serve`. Exit code 0 when both runs end `ok`.
 */
export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'run the example workflows and print their trees',
  usage: '[--serve] [--data-dir <dir>] [--port <n>] [--workspace <dir>]',
  description:
    "Runs the examples declared in the workspace's runtrail.json (triage-ts, triage-py) through a sidecar on the embedded store, prints both run trees and the URLs to browse them. Uses the sidecar already running on the data folder if there is one.",
  positionals: [],
  options: {
    serve: { type: 'boolean', description: 'keep the sidecar running afterwards (Ctrl-C stops it)' },
    'data-dir': { type: 'string', value: 'dir', description: 'embedded store and token (RUNTRAIL_DATA_DIR, default the per-user folder)' },
    port: { type: 'string', value: 'n', description: `port to listen on (default ${defaultPort}, or a free one when it is taken)` },
    workspace: { type: 'string', value: 'dir', description: 'folder with runtrail.json (default: the current folder)' },
  },
  examples: ['npm run demo', 'npm run demo -- --serve', 'runtrail demo --data-dir /tmp/runtrail-demo'],
  async run(ctx, args) {
    const workspace = path.resolve(stringOption(args, 'workspace') ?? process.cwd());
    const configFile = path.join(workspace, 'runtrail.json');
    if (!fs.existsSync(configFile)) {
      throw new CliError(`no runtrail.json in ${workspace}: run the demo from the repository root, or pass --workspace`);
    }
    const env: Record<string, string | undefined> = {
      ...ctx.env,
      RUNTRAIL_WORKSPACE: workspace,
      RUNTRAIL_LOG_LEVEL: ctx.env.RUNTRAIL_LOG_LEVEL?.trim() || 'warn',
      // The demo is the embedded default: a NEO4J_URI/REDIS_URL in the shell is for `serve`.
      NEO4J_URI: undefined,
      REDIS_URL: undefined,
    };
    const dataDir = stringOption(args, 'data-dir');
    if (dataDir !== undefined) env.RUNTRAIL_DATA_DIR = dataDir;

    const sidecar = await reuseOrStart(ctx, env, stringOption(args, 'port'));
    let exitCode: number = exitCodes.failed;
    try {
      exitCode = await runExamples(ctx, sidecar.client);
      if (booleanOption(args, 'serve') && sidecar.owned !== undefined) {
        ctx.stdout.write(`\nServing on ${ctx.colors.bold(sidecar.client.url)}; press Ctrl-C to stop.\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
      }
    } finally {
      if (sidecar.owned !== undefined) await sidecar.owned.close(2_000);
    }
    return exitCode;
  },
};

interface DemoSidecar {
  readonly client: SidecarClient;
  /** Set when the demo started it (and must stop it). */
  readonly owned: RunningSidecar | undefined;
}

/** The sidecar already serving this data folder, else a new one in this process. */
async function reuseOrStart(ctx: CliContext, env: Record<string, string | undefined>, portFlag: string | undefined): Promise<DemoSidecar> {
  const running = locateSidecar({}, { ...env, RUNTRAIL_URL: undefined, RUNTRAIL_TOKEN: undefined });
  if (running.urlSource === 'discovery') {
    ctx.stdout.write(`Using the sidecar already running at ${running.url} (data folder ${running.dataDir}).\n`);
    const client = new SidecarClient(running);
    const declared = (await client.listWorkflows()).workflows.map((w) => w.name);
    const missing = demoWorkflows.filter((name) => !declared.includes(name));
    if (missing.length > 0) {
      throw new CliError(
        `the running sidecar does not declare ${missing.join(', ')} (its workspace is elsewhere): stop it, or run the demo with --data-dir <another folder>`,
      );
    }
    return { client, owned: undefined };
  }

  const [{ createLogger }, { startSidecar }] = await Promise.all([import('../log'), import('../sidecar')]);
  const start = (port: string) => {
    const config = loadConfig({ ...env, RUNTRAIL_PORT: port });
    return startSidecar(config, createLogger(config.logLevel, process.stderr), sidecarVersion);
  };
  let owned: RunningSidecar;
  try {
    owned = await start(portFlag ?? String(defaultPort));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || portFlag !== undefined) throw error;
    ctx.stdout.write(`Port ${defaultPort} is taken; using a free one.\n`);
    owned = await start('0');
  }
  const tokenFile = owned.token.file ?? 'RUNTRAIL_TOKEN';
  ctx.stdout.write(`Started the sidecar at ${ctx.colors.bold(owned.url)} (embedded store in ${path.dirname(tokenFile)}).\n`);
  const client = new SidecarClient({
    url: owned.url,
    urlSource: 'flag',
    token: owned.token.token,
    tokenSource: tokenFile,
    dataDir: path.dirname(tokenFile),
  });
  return { client, owned };
}

/** Starts both workflows at once, waits for both, prints their trees; 0 when both ended ok. */
async function runExamples(ctx: CliContext, client: SidecarClient): Promise<number> {
  const c = ctx.colors;
  const started = Date.now();
  const runs = await Promise.all(demoWorkflows.map((name) => client.startWorkflow(name, {})));
  ctx.stdout.write(`Running ${runs.map((r) => `${r.workflow} (${r.id})`).join(' and ')} through the runner…\n`);
  const done = new Map<string, Run>();
  const progress = new ProgressLine(ctx.stdout, () => `${done.size}/${runs.length} finished · ${formatDuration(Date.now() - started)}`);
  progress.start();
  try {
    while (done.size < runs.length) {
      if (Date.now() - started > runTimeoutMs) {
        throw new CliError(`the example runs did not finish within ${runTimeoutMs / 1000} s: see runtrail show <runId>`);
      }
      for (const run of runs) {
        if (done.has(run.id)) continue;
        const current = await client.getRun(run.id);
        if (terminalStatuses.includes(current.status)) done.set(run.id, current);
      }
      if (done.size < runs.length) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    progress.stop();
  }

  const now = Date.now();
  for (const run of runs) {
    const tree = await client.nestedTree(run.id);
    ctx.stdout.write(`\n${[...runHeader(tree.run, c, now), '', ...renderTree(tree.roots, c, now)].join('\n')}\n`);
  }
  const base = client.url;
  const tokenHint = client.location.tokenSource;
  ctx.stdout.write(
    [
      '',
      c.bold('Browse the runs'),
      // The graph page takes the token from the URL fragment, which the browser never sends to a server.
      ...runs.map((run) => `  ${graphPageUrl(base, run.id, client.location.token)}`),
      client.location.token === undefined
        ? `  (add #token=<token> with the token from ${tokenHint}; runtrail show <runId> prints a tree)`
        : '  (runtrail show <runId> prints a tree)',
      '',
    ].join('\n'),
  );
  const failed = [...done.values()].filter((run) => run.status !== 'ok');
  for (const run of failed) ctx.stderr.write(`runtrail: ${run.workflow} (${run.id}) ended ${run.status}\n`);
  return failed.length === 0 ? exitCodes.ok : exitCodes.failed;
}
