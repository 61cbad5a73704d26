/**
 * Maps the `file` a node recorded to a file in this workspace. Pure (no vscode, no fs): callers
 * pass the workspace folders and answer "does this exist" / "which files have this name".
 *
 * SDKs record absolute paths of the machine that ran the workflow. Run here, that path is the
 * file. Run in a container or on a colleague's machine (`/app/agent/plan.py`, `C:\src\agent\plan.py`),
 * it is not, but its trailing segments are: the workspace file sharing the longest run of trailing
 * segments with it is the one meant.
 */

/** Forward slashes, no `file://` scheme, no trailing slash; `C:` drive letters kept. */
export function normalizePath(recorded: string): string {
  let path = recorded.trim();
  if (/^file:\/\//i.test(path)) {
    try {
      const url = new URL(path);
      path = decodeURIComponent(url.pathname);
      if (/^\/[A-Za-z]:\//.test(path)) path = path.slice(1);
    } catch {
      path = path.replace(/^file:\/\//i, '');
    }
  }
  path = path.replace(/\\/g, '/');
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

export function isAbsolutePath(path: string): boolean {
  const normalized = normalizePath(path);
  return normalized.startsWith('/') || /^[A-Za-z]:\//.test(normalized);
}

export function segments(path: string): string[] {
  return normalizePath(path)
    .split('/')
    .filter((part) => part !== '' && part !== '.');
}

export function basename(path: string): string {
  return segments(path).pop() ?? '';
}

/** Joins a relative path onto a folder, resolving `..`; forward slashes. */
export function joinPath(folder: string, relative: string): string {
  const base = normalizePath(folder);
  const parts = base.split('/');
  for (const part of normalizePath(relative).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 1) parts.pop();
    } else parts.push(part);
  }
  return parts.join('/') || '/';
}

const samePath = (a: string, b: string, ignoreCase: boolean) => (ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b);

/** The folder containing `path` and the path relative to it (forward slashes), if any. */
export function relativeToFolders(
  path: string,
  folders: readonly string[],
  ignoreCase = false,
): { folder: string; relative: string } | undefined {
  const target = normalizePath(path);
  let best: { folder: string; relative: string } | undefined;
  for (const folder of folders) {
    const base = normalizePath(folder);
    const prefix = base.endsWith('/') ? base : `${base}/`;
    const head = target.slice(0, prefix.length);
    if (samePath(head, prefix, ignoreCase) && target.length > prefix.length) {
      // Nested workspace folders: the innermost one wins.
      if (!best || base.length > normalizePath(best.folder).length) best = { folder, relative: target.slice(prefix.length) };
    }
  }
  return best;
}

/**
 * Local paths to try first, in order: the recorded path itself when absolute, or the path joined
 * onto each workspace folder when relative.
 */
export function directCandidates(recorded: string, folders: readonly string[]): string[] {
  const path = normalizePath(recorded);
  if (path === '') return [];
  return isAbsolutePath(path) ? [path] : folders.map((folder) => joinPath(folder, path));
}

/** How many trailing segments two paths share. */
export function commonSuffixLength(a: string, b: string, ignoreCase = false): number {
  const x = segments(a);
  const y = segments(b);
  let n = 0;
  while (n < x.length && n < y.length && samePath(x[x.length - 1 - n] as string, y[y.length - 1 - n] as string, ignoreCase)) n++;
  return n;
}

export interface SuffixMatch {
  /** The best candidates (more than one: ambiguous, let the user choose). */
  readonly best: readonly string[];
  /** Trailing segments shared with the recorded path (1 = the file name only). */
  readonly score: number;
}

/**
 * The candidates sharing the longest trailing run of segments with the recorded path; at least
 * the file name must match. Candidates keep their original spelling.
 */
export function bestSuffixMatch(recorded: string, candidates: readonly string[], ignoreCase = false): SuffixMatch | undefined {
  let score = 0;
  let best: string[] = [];
  for (const candidate of candidates) {
    const shared = commonSuffixLength(recorded, candidate, ignoreCase);
    if (shared === 0 || shared < score) continue;
    if (shared > score) {
      score = shared;
      best = [];
    }
    if (!best.includes(candidate)) best.push(candidate);
  }
  return score === 0 ? undefined : { best: best.sort((a, b) => a.length - b.length || a.localeCompare(b)), score };
}

/**
 * Whether an open document is the file a node recorded. Stricter than jump-to-source's suffix
 * match, since CodeLens appears unasked: the same path, or the recorded path ending with the
 * document's whole path relative to its workspace folder (`/app/src/plan.py` for `src/plan.py`).
 */
export function documentMatchesRecorded(documentPath: string, recorded: string, folders: readonly string[], ignoreCase = false): boolean {
  const doc = normalizePath(documentPath);
  const path = normalizePath(recorded);
  if (!isAbsolutePath(path)) return directCandidates(path, folders).some((candidate) => samePath(candidate, doc, ignoreCase));
  if (samePath(doc, path, ignoreCase)) return true;
  const inWorkspace = relativeToFolders(doc, folders, ignoreCase);
  if (!inWorkspace) return false;
  const relative = segments(inWorkspace.relative);
  return commonSuffixLength(path, inWorkspace.relative, ignoreCase) === relative.length && relative.length > 0;
}
