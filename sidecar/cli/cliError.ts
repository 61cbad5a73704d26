/**
 * Exit codes of `runtrail`: scripts branch on them.
 * - 0: done (for `run`: the run ended ok)
 * - 1: failed (sidecar unreachable, not found, the run ended in error)
 * - 2: usage (unknown command or flag, bad value, bad configuration)
 * - 130: interrupted (the run was cancelled, Ctrl-C)
 */
export const exitCodes = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

/** A failure the user can act on: printed as one line `runtrail: <message>`, then exit. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(
    message: string,
    /** The command whose `--help` the hint points at. */
    readonly command?: string,
  ) {
    super(message, exitCodes.usage);
    this.name = 'UsageError';
  }
}
