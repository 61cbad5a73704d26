export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Multiplier per attempt; 2 doubles. */
  readonly factor?: number;
  /** Random source in [0, 1); injectable so tests are deterministic. */
  readonly random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": each delay is half the exponential step plus a random
 * half, so many clients retrying together spread out but never retry instantly.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** The delay before the next attempt, in milliseconds. */
  next(): number {
    const { initialMs, maxMs, factor = 2, random = Math.random } = this.options;
    const step = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    return Math.round(step / 2 + random() * (step / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
