/**
 * When to restart a crashed sidecar and when to stop trying (pure: the caller passes the clock).
 * A sidecar that keeps dying (a store it cannot open, a port it cannot bind) would otherwise spin
 * forever and flood the logs; three crashes in a minute mean "tell the user why", not "try again".
 */

export interface RestartPolicyOptions {
  /** Crashes within `windowMs` that make the policy give up. */
  readonly maxCrashes: number;
  readonly windowMs: number;
  /** Delay before the first restart; doubled for each further crash in the window. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRestartPolicy: RestartPolicyOptions = { maxCrashes: 3, windowMs: 60_000, initialDelayMs: 1_000, maxDelayMs: 30_000 };

export type CrashDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly crashes: number }
  | { readonly action: 'giveUp'; readonly crashes: number; readonly windowMs: number };

export class RestartPolicy {
  private crashTimes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = defaultRestartPolicy) {}

  /** Records a crash at `now` (ms) and says what to do about it. */
  recordCrash(now: number): CrashDecision {
    this.crashTimes = this.crashTimes.filter((time) => now - time < this.options.windowMs);
    this.crashTimes.push(now);
    const crashes = this.crashTimes.length;
    if (crashes >= this.options.maxCrashes) return { action: 'giveUp', crashes, windowMs: this.options.windowMs };
    return { action: 'restart', delayMs: backoffDelay(crashes - 1, this.options.initialDelayMs, this.options.maxDelayMs), crashes };
  }

  /** Forgets past crashes: the user asked for a start, or the settings changed. */
  reset(): void {
    this.crashTimes = [];
  }
}

/** `initialMs · 2^attempt`, capped (attempt 0 is the first retry). No jitter: one client per window. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt));
}

/** Successive delays for reconnect loops (SSE, the external sidecar's health), reset on success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  next(): number {
    return backoffDelay(this.attempt++, this.initialMs, this.maxMs);
  }

  reset(): void {
    this.attempt = 0;
  }
}
