import type { RunFamily } from '../../protocol/replay';
import { booleanOption, type CommandSpec } from './cliContext';
import { CliError } from './cliError';
import { SidecarHttpError } from './sidecarClient';
import { type Colors, formatJson, formatRelative } from './terminal';
import { runDuration, statusGlyph } from './treeRender';

/**
 * `runtrail family <runId>`: the run's replay family (GET /api/runs/:id/family) as a tree — the
 * original, its replays and forks, theirs in turn — so a fork's lineage is one command away.
 */
export const familyCommand: CommandSpec = {
  name: 'family',
  summary: 'show the replays and forks of a run, and what it replays',
  usage: '<runId> [--json]',
  positionals: [{ name: 'runId', required: true }],
  options: {
    json: { type: 'boolean', description: 'print the family as the API returns it' },
  },
  examples: ['runtrail family run_a'],
  async run(ctx, args) {
    const [runId] = args.positionals as [string];
    let family: RunFamily;
    try {
      family = await ctx.client().runFamily(runId);
    } catch (error) {
      if (error instanceof SidecarHttpError && error.status === 404) throw new CliError(error.message);
      throw error;
    }
    if (booleanOption(args, 'json')) ctx.stdout.write(formatJson(family, ctx.stdout));
    else ctx.stdout.write(`${renderFamily(family, runId, ctx.colors, Date.now()).join('\n')}\n`);
    return 0;
  },
};

/** One line per run, indented by generation: `  └ ✓ run_b  fork at n_3 · 2 min ago · 1.2s  ◀`. */
export function renderFamily(family: RunFamily, selectedId: string, c: Colors, now: number): string[] {
  return family.runs.map(({ run, depth }) => {
    const indent = depth === 0 ? '' : `${'  '.repeat(depth - 1)}└ `;
    const what = run.replayOf === null ? 'original' : run.forkedFromNode === null ? 'replay' : `fork at ${run.forkedFromNode}`;
    const facts = [what, formatRelative(run.startedAt, now), runDuration(run, now)].filter((f) => f !== '' && f !== '—');
    const id = run.id === selectedId ? c.bold(run.id) : run.id;
    const mark = run.id === selectedId ? `  ${c.dim('◀')}` : '';
    return `${indent}${statusGlyph(run.status, c)} ${id}  ${c.dim(facts.join(' · '))}${mark}`;
  });
}
