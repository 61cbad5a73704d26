import type { ReplayRequest } from '../../protocol/replay';
import { booleanOption, type CommandSpec, stringOption, stringsOption } from './cliContext';
import { CliError, exitCodes, UsageError } from './cliError';
import { followRun } from './runCommand';
import { SidecarHttpError } from './sidecarClient';

/**
 * `runtrail replay <runId>`: re-executes a run's command with its recorded steps served back
 * (DESIGN.md "Runner, replay, fork, decisions"), optionally going live from a node (`--until`) or
 * taking another option at a decision (`--choose <decisionKey>=<label>`), and follows the new run
 * like `run` does.
 */
export const replayCommand: CommandSpec = {
  name: 'replay',
  summary: 'replay a run, or fork it at a node or a decision, and follow it live',
  usage: '<runId> [--until <nodeId>] [--choose <decisionKey>=<option>]... [--allow-command] [--quiet]',
  description:
    "Starts the run's command again with RUNTRAIL_REPLAY_OF set: steps the recording has are served back without running; --until goes live from that node on; --choose makes decide() at that decision key return the given option. A run whose command is not a workflow of runtrail.json (a script started from a terminal) is replayed only with --allow-command, as the replay runs that command on this machine. Exit code as for run. Compare the two runs with runtrail diff.",
  positionals: [{ name: 'runId', required: true }],
  options: {
    until: { type: 'string', value: 'nodeId', description: 'fork: run live from this node of the run on' },
    choose: { type: 'string', multiple: true, value: 'key=option', description: 'take another option at a decision (repeatable)' },
    'allow-command': { type: 'boolean', description: 'run the recorded command even though runtrail.json does not declare it' },
    quiet: { type: 'boolean', short: 'q', description: 'print only the final summary line' },
  },
  examples: ['runtrail replay run_m1abc2def3', 'runtrail replay run_m1abc2def3 --choose /route#0=needs-repro'],
  async run(ctx, args) {
    const runId = args.positionals[0] as string;
    const request: ReplayRequest = {};
    const until = stringOption(args, 'until');
    if (until !== undefined) request.untilNodeId = until;
    const choices = stringsOption(args, 'choose');
    if (choices.length > 0) request.overrides = parseChoices(choices);
    if (booleanOption(args, 'allow-command')) request.allowUndeclaredCommand = true;
    const client = ctx.client();
    let replay: Awaited<ReturnType<typeof client.replayRun>>;
    try {
      replay = await client.replayRun(runId, request);
    } catch (error) {
      if (error instanceof SidecarHttpError && error.status === 404) throw new CliError(`no run ${JSON.stringify(runId)}`);
      // A node, decision or option that is not the run's is the caller's to fix, like a bad flag.
      if (error instanceof SidecarHttpError && error.status === 400) throw new CliError(error.message, exitCodes.usage);
      if (error instanceof SidecarHttpError && error.status === 403) {
        throw new CliError(
          `${error.message.replace(/ Send \{.*$/, '')} Check the command, then pass --allow-command to run it.`,
          exitCodes.usage,
        );
      }
      throw error;
    }
    const code = await followRun(ctx, client, replay, booleanOption(args, 'quiet'));
    if (!booleanOption(args, 'quiet')) ctx.stdout.write(ctx.colors.dim(`compare: runtrail diff ${runId} ${replay.id}\n`));
    return code;
  },
};

/** `--choose key=option` flags as overrides; the key (`/route#0`) may not contain `=`, the option may. */
export function parseChoices(flags: readonly string[]): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    if (equals <= 0 || equals === flag.length - 1)
      throw new UsageError(`--choose ${JSON.stringify(flag)} is not <decisionKey>=<option>`, 'replay');
    overrides[flag.slice(0, equals)] = flag.slice(equals + 1);
  }
  return overrides;
}
