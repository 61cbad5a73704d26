const usageMark: unique symbol = Symbol.for('runtrail.usage');

export interface UsageCounts {
  readonly tokensIn?: number;
  readonly tokensOut?: number;
  readonly costUsd?: number;
}

/** An output with the tokens and cost it took; `llm()` records the counts and returns `output`. */
export interface Usage<T> extends UsageCounts {
  readonly [usageMark]: true;
  readonly output: T;
}

/** What a step resolves to: the function's result, unwrapped from `usage()`. */
export type StepResult<R> = Awaited<R> extends Usage<infer O> ? O : Awaited<R>;

/**
 * Wrap an LLM call's result so its token counts and cost are recorded:
 * `return usage(text, { tokensIn: 812, tokensOut: 95, costUsd: 0.0021 })`.
 */
export function usage<T>(output: T, counts: UsageCounts = {}): Usage<T> {
  return { [usageMark]: true, output, ...counts };
}

export function isUsage(value: unknown): value is Usage<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[usageMark] === true;
}

/** Counts the sidecar accepts: whole non-negative tokens, a non-negative finite cost; others dropped. */
export function validCounts(counts: UsageCounts): UsageCounts {
  const tokens = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.round(n) : undefined);
  const tokensIn = tokens(counts.tokensIn);
  const tokensOut = tokens(counts.tokensOut);
  const cost = typeof counts.costUsd === 'number' && Number.isFinite(counts.costUsd) && counts.costUsd >= 0 ? counts.costUsd : undefined;
  return {
    ...(tokensIn === undefined ? {} : { tokensIn }),
    ...(tokensOut === undefined ? {} : { tokensOut }),
    ...(cost === undefined ? {} : { costUsd: cost }),
  };
}
