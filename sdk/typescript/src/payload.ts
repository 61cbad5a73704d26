import type { ErrorInfo } from './records';

/** The sidecar's default limit on one node's input, output, error or attributes, as JSON. */
export const defaultMaxFieldBytes = 256 * 1024;
const previewChars = 2_000;

/**
 * A snapshot of `value` as JSON data, taken when the node is recorded (the workflow may mutate
 * the object afterwards). What JSON cannot hold (cycles, BigInt, functions) is recorded as
 * `String(value)`; a value over the sidecar's field limit as a truncated preview, so one big
 * payload never costs the node itself.
 */
export function toJsonValue(value: unknown, maxBytes = defaultMaxFieldBytes): unknown {
  if (value === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined) json = JSON.stringify(String(value));
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) return { truncated: true, bytes, preview: json.slice(0, previewChars) };
  return JSON.parse(json) as unknown;
}

/** Attributes must be a JSON object; anything else is kept under `value`. */
export function toAttributes(value: unknown, maxBytes = defaultMaxFieldBytes): Record<string, unknown> | undefined {
  const json = toJsonValue(value, maxBytes);
  if (json === undefined) return undefined;
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) return json as Record<string, unknown>;
  return { value: json };
}

/** How a thrown value is recorded: `{message, type, stack}` for errors, the text of anything else. */
export function toErrorInfo(thrown: unknown, maxBytes = defaultMaxFieldBytes): ErrorInfo {
  if (thrown instanceof Error) {
    const stack = typeof thrown.stack === 'string' ? thrown.stack.slice(0, Math.floor(maxBytes / 2)) : undefined;
    const message = String(thrown.message).slice(0, Math.floor(maxBytes / 4));
    return { message, type: thrown.name || thrown.constructor?.name || 'Error', ...(stack ? { stack } : {}) };
  }
  if (typeof thrown === 'string') return { message: thrown.slice(0, Math.floor(maxBytes / 4)), type: 'string' };
  let message: string;
  try {
    message = typeof thrown === 'object' && thrown !== null ? (JSON.stringify(thrown) ?? String(thrown)) : String(thrown);
  } catch {
    message = String(thrown);
  }
  return { message: message.slice(0, Math.floor(maxBytes / 4)), type: thrown === null ? 'null' : typeof thrown };
}
