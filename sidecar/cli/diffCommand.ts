import { describeNodeDiff, type NodeDiff, type RunDiff } from '../../protocol/replay';
import { booleanOption, type CommandSpec } from './cliContext';
import { CliError } from './cliError';
import { SidecarHttpError } from './sidecarClient';
import { type Colors, formatDuration, formatJson } from './terminal';

/**
 * `runtrail diff <a> <b>`: two runs compared node by node, matched by key (GET
 * /api/runs/:a/diff/:b) — what b added, removed and changed, and where it first departed from a.
 * Exit code 0 when the runs match, 1 when they differ (like diff(1)).
 */
export const diffCommand: CommandSpec = {
  name: 'diff',
  summary: 'compare two runs node by node (matched by key)',
  usage: '<runId> <otherRunId> [--all] [--json]',
  positionals: [
    { name: 'runId', required: true },
    { name: 'otherRunId', required: true },
  ],
  options: {
    all: { type: 'boolean', description: 'list unchanged nodes too' },
    json: { type: 'boolean', description: 'print the diff as the API returns it' },
  },
  examples: ['runtrail diff run_a run_b', 'runtrail diff run_a run_b --json | jq .firstDivergence'],
  async run(ctx, args) {
    const [a, b] = args.positionals as [string, string];
    let diff: RunDiff;
    try {
      diff = await ctx.client().diffRuns(a, b);
    } catch (error) {
      if (error instanceof SidecarHttpError && error.status === 404) throw new CliError(error.message);
      throw error;
    }
    if (booleanOption(args, 'json')) ctx.stdout.write(formatJson(diff, ctx.stdout));
    else ctx.stdout.write(`${renderDiff(diff, ctx.colors, booleanOption(args, 'all')).join('\n')}\n`);
    return diff.firstDivergence === null ? 0 : 1;
  },
};

const marks: Record<NodeDiff['change'], string> = { added: '+', removed: '-', changed: '~', same: ' ' };

export function renderDiff(diff: RunDiff, c: Colors, all: boolean): string[] {
  const { added, removed, changed, same } = diff.counts;
  const lines = [
    `${c.bold(diff.a)} → ${c.bold(diff.b)}: ${added} added, ${removed} removed, ${changed} changed, ${same} same` +
      (diff.durationDeltaMs === null ? '' : ` · ${signed(diff.durationDeltaMs)}`),
  ];
  const first = diff.firstDivergence;
  lines.push(first === null ? c.green('the runs match') : c.yellow(`first divergence: ${first.key} (${first.change})`));
  for (const node of diff.nodes) {
    if (node.change === 'same' && !all) continue;
    const { what, facts } = describeNodeDiff(node, signed);
    const paint = node.change === 'added' ? c.green : node.change === 'removed' ? c.red : node.change === 'changed' ? c.yellow : c.dim;
    const marker = first?.key === node.key ? '▶' : ' ';
    lines.push(paint(`${marker}${marks[node.change]} ${node.key}  ${what}${facts.length > 0 ? `  (${facts.join(', ')})` : ''}`));
  }
  return lines;
}

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : '-'}${formatDuration(Math.abs(ms))}`;
}
