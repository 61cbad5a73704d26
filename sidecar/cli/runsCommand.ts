import { RunStatus } from '../../protocol/runs';
import { booleanOption, type CommandSpec, stringOption } from './cliContext';
import { UsageError } from './cliError';
import { formatJson, formatRelative, formatTable } from './terminal';
import { runDuration, statusLabel } from './treeRender';

/** `runtrail runs`: the newest runs as a table (or the API's JSON with `--json`). */
export const runsCommand: CommandSpec = {
  name: 'runs',
  summary: 'list recent runs, newest first',
  usage: '[--workflow <name>] [--status <status>] [--limit <n>] [--json]',
  positionals: [],
  options: {
    workflow: { type: 'string', value: 'name', description: 'only runs of this workflow' },
    status: { type: 'string', value: 'status', description: `only runs with this status (${RunStatus.options.join(', ')})` },
    limit: { type: 'string', value: 'n', description: 'how many runs, 1 to 200 (default 20)' },
    json: { type: 'boolean', description: 'print the runs as JSON instead of a table' },
  },
  examples: ['runtrail runs --status error --limit 5'],
  async run(ctx, args) {
    const status = stringOption(args, 'status');
    if (status !== undefined && !RunStatus.safeParse(status).success) {
      throw new UsageError(`--status ${JSON.stringify(status)} is not a run status: use one of ${RunStatus.options.join(', ')}`, 'runs');
    }
    const limitRaw = stringOption(args, 'limit') ?? '20';
    const limit = Number(limitRaw);
    if (!/^\d+$/.test(limitRaw) || limit < 1 || limit > 200) {
      throw new UsageError(`--limit ${JSON.stringify(limitRaw)} is not a number from 1 to 200`, 'runs');
    }
    const workflow = stringOption(args, 'workflow');
    const page = await ctx
      .client()
      .listRuns({ workflow: workflow === '' ? undefined : workflow, status: status as RunStatus | undefined, limit });

    if (booleanOption(args, 'json')) {
      ctx.stdout.write(formatJson(page.runs, ctx.stdout));
      return 0;
    }
    const c = ctx.colors;
    if (page.runs.length === 0) {
      ctx.stdout.write(`${workflow !== undefined || status !== undefined ? 'No runs match.' : 'No runs yet.'}\n`);
      return 0;
    }
    const now = Date.now();
    const rows = page.runs.map((run) => [
      run.id,
      run.workflow,
      statusLabel(run.status, c),
      formatRelative(run.startedAt, now),
      runDuration(run, now),
      String(run.nodeCount),
    ]);
    const lines = formatTable(['ID', 'WORKFLOW', 'STATUS', 'STARTED', 'DURATION', 'NODES'], rows);
    ctx.stdout.write(`${c.bold(lines[0] ?? '')}\n${lines.slice(1).join('\n')}\n`);
    if (page.nextCursor !== null) {
      const more = limit < 200 ? 'more with --limit (up to 200)' : 'narrow with --workflow or --status';
      ctx.stdout.write(`${c.dim(`(the newest ${page.runs.length}; ${more})`)}\n`);
    }
    return 0;
  },
};
