/** An error whose `code` is `timeout`, so health checks report it like any service error code. */
export class TimeoutError extends Error {
  readonly code = 'timeout';
}

/**
 * Rejects with a TimeoutError when `promise` has not settled within `ms`. The underlying work is
 * not cancelled; callers use this only where the work is bounded anyway (driver timeouts).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
