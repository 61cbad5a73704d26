import { execFile } from 'node:child_process';

export interface GitContext {
  repo?: string;
  branch?: string;
  commit?: string;
  dirty?: boolean;
}

/**
 * The git context of a folder, best effort: each fact comes from its own `git` call, and any that
 * fails (no git, not a repository, no commit yet, slow status) is left out rather than failing
 * the run. `repo` is the `origin` remote's URL, or the repository's top folder without one.
 */
export async function gitContext(cwd: string, timeoutMs = 3_000): Promise<GitContext> {
  const git = (args: string[]) =>
    new Promise<string | undefined>((resolve) => {
      execFile('git', args, { cwd, timeout: timeoutMs, windowsHide: true, maxBuffer: 4 * 1024 * 1024 }, (error, stdout) =>
        resolve(error ? undefined : stdout.trim()),
      );
    });
  const [top, origin, branch, commit, status] = await Promise.all([
    git(['rev-parse', '--show-toplevel']),
    git(['config', '--get', 'remote.origin.url']),
    git(['rev-parse', '--abbrev-ref', 'HEAD']),
    git(['rev-parse', 'HEAD']),
    git(['status', '--porcelain', '--untracked-files=no']),
  ]);
  if (top === undefined) return {};
  const context: GitContext = { repo: origin || top };
  // "HEAD" is what a detached checkout answers: there is no branch.
  if (branch && branch !== 'HEAD') context.branch = branch;
  if (commit && /^[0-9a-f]{7,64}$/.test(commit)) context.commit = commit;
  if (status !== undefined) context.dirty = status !== '';
  return context;
}
