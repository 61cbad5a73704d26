import { z } from 'zod';

/**
 * The sidecar's output, line by line (pure). Its stdout is pino JSON, one object per line
 * (sidecar/log.ts); its stderr is plain text (`runtrail sidecar: …` before it exits). The output
 * channel shows each JSON line compactly — level, message, a few fields — because a raw pino line
 * is unreadable in a log view; anything that is not JSON is shown as it came.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface SidecarLogLine {
  readonly level: LogLevel;
  readonly text: string;
}

/** What the `listening` line says (sidecar/main.ts). */
export interface ListeningInfo {
  /** Base URL, no trailing slash. */
  readonly url: string;
  /** Where the bearer token is; null when RUNTRAIL_TOKEN set it. */
  readonly tokenFile: string | null;
  /** `sqlite` or `neo4j`. */
  readonly store: string;
  /** `memory` or `redis`. */
  readonly relay: string;
  readonly dataDir: string | undefined;
  readonly version: string | undefined;
}

const ListeningLine = z.object({
  msg: z.literal('listening'),
  url: z.string().regex(/^https?:\/\//),
  tokenFile: z.string().nullable(),
  store: z.string(),
  relay: z.string(),
  dataDir: z.string().optional(),
  version: z.string().optional(),
});

/** The `listening` line's fields, or undefined for any other line. */
export function parseListeningLine(line: string): ListeningInfo | undefined {
  const json = parseJsonObject(line);
  if (json?.msg !== 'listening') return undefined;
  const parsed = ListeningLine.safeParse(json);
  if (!parsed.success) return undefined;
  const { url, tokenFile, store, relay, dataDir, version } = parsed.data;
  return { url: url.replace(/\/+$/, ''), tokenFile, store, relay, dataDir, version };
}

/** Fields every pino line has; they say nothing to a reader of the output channel. */
const boringFields = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);
const maxFields = 6;
const maxValueLength = 160;

/** A line of the sidecar's stdout or stderr as the output channel shows it. */
export function formatSidecarLine(line: string, stream: 'stdout' | 'stderr'): SidecarLogLine {
  const json = parseJsonObject(line);
  if (json === undefined) return { level: stream === 'stderr' ? 'warn' : 'info', text: line };
  const level = pinoLevel(json.level);
  const message = typeof json.msg === 'string' ? json.msg : '';
  const fields = Object.entries(json)
    .filter(([key, value]) => !boringFields.has(key) && value !== undefined && value !== null)
    .slice(0, maxFields)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return { level, text: [message, ...fields].filter((part) => part !== '').join(' ') };
}

function pinoLevel(level: unknown): LogLevel {
  if (typeof level !== 'number') return 'info';
  if (level >= 50) return 'error';
  if (level >= 40) return 'warn';
  if (level >= 30) return 'info';
  if (level >= 20) return 'debug';
  return 'trace';
}

function formatValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  else if (isErrorLike(value)) text = JSON.stringify(value.type === undefined ? value.message : `${value.type}: ${value.message}`);
  else text = JSON.stringify(value) ?? String(value);
  return text.length > maxValueLength ? `${text.slice(0, maxValueLength)}…` : text;
}

/** pino's serialised errors: `{type, message, stack}`. The stack stays out of the compact line. */
function isErrorLike(value: unknown): value is { type?: string; message: string } {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
