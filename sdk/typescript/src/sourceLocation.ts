import { findSourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceLocation } from './records';

// biome-ignore lint/complexity/noBannedTypes: any function object can bound a stack capture.
type Boundary = Function;

/**
 * The workflow line that called an SDK function: the frame just below `boundary` (the public
 * function the user called), mapped through the file's source map when there is one (tsx, ts-node
 * and bundles with `--enable-source-maps`), so it names the `.ts` line the user wrote.
 */
export function callerLocation(boundary: Boundary): SourceLocation | undefined {
  const site = callSites(boundary).find(isUserFrame) ?? callSites(callerLocation).find((s) => isUserFrame(s) && !isSdkFrame(s));
  return site && toSourceLocation(site);
}

/** Structured frames (V8 CallSites) above which `boundary` and everything it called are cut. */
export function callSites(boundary: Boundary): NodeJS.CallSite[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.stackTraceLimit = 30;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, boundary);
    // `stack` is computed on first read, so it must be read while our prepareStackTrace is set.
    const sites = holder.stack;
    return Array.isArray(sites) ? (sites as NodeJS.CallSite[]) : [];
  } catch {
    return [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

export function toSourceLocation(site: NodeJS.CallSite): SourceLocation | undefined {
  const generatedFile = site.getFileName() ?? site.getScriptNameOrSourceURL();
  let line = site.getLineNumber();
  let column = site.getColumnNumber();
  if (!generatedFile || line === null) return undefined;
  let file = generatedFile;
  const entry = column === null ? undefined : originalPosition(generatedFile, line, column);
  if (entry) ({ file, line, column } = entry);
  const fn = functionName(site);
  return {
    file: absolutePath(file, generatedFile).slice(0, 4096),
    line: Math.max(1, line),
    ...(column === null ? {} : { column: Math.max(0, column) }),
    ...(fn ? { function: fn } : {}),
  };
}

/**
 * The enclosing function's name. V8 names anonymous functions after whatever its name inference
 * saw around them (`() => …` passed before `{ input: { q } }` becomes `call.input.q.q`); real
 * names (`main`, a method's `run`) have no dot, so dotted ones are dropped rather than misreport.
 */
function functionName(site: NodeJS.CallSite): string | undefined {
  const name = site.getFunctionName();
  return name && !name.includes('.') ? name.slice(0, 1000) : undefined;
}

/** The 1-based position in the original source, or undefined when the file has no source map. */
function originalPosition(file: string, line: number, column: number): { file: string; line: number; column: number } | undefined {
  try {
    const entry = findSourceMap(file)?.findEntry(line - 1, column - 1) as
      | { originalSource?: string; originalLine?: number; originalColumn?: number }
      | undefined;
    if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
    return { file: entry.originalSource, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  } catch {
    return undefined;
  }
}

/** `file://` URLs (ES modules, source maps) become paths; a relative source resolves beside its generated file. */
export function absolutePath(file: string, relativeTo?: string): string {
  const plain = file.startsWith('file://') ? safeFileUrlToPath(file) : file;
  if (path.isAbsolute(plain) || !relativeTo) return plain;
  const base = relativeTo.startsWith('file://') ? safeFileUrlToPath(relativeTo) : relativeTo;
  return path.resolve(path.dirname(base), plain);
}

function safeFileUrlToPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url.slice('file://'.length);
  }
}

function isUserFrame(site: NodeJS.CallSite): boolean {
  const file = site.getFileName();
  return !!file && !file.startsWith('node:') && !file.startsWith('internal/') && site.getLineNumber() !== null;
}

let sdkDirectory: string | undefined;

/** Used only when the boundary is not on the stack: skip every frame from this folder. */
function isSdkFrame(site: NodeJS.CallSite): boolean {
  // The first frame below callSites() is this function, so it names this file.
  sdkDirectory ??= path.dirname(absolutePath(callSites(callSites)[0]?.getFileName() ?? ''));
  const file = site.getFileName();
  return !!file && path.dirname(absolutePath(file)) === sdkDirectory;
}
