import { execFile } from 'node:child_process';
import type { GitContext } from './records';

/**
 * The repository the workflow runs in, read once per run with `git` (repo, branch, commit,
 * dirty); empty when git or a repository is missing. Bounded in time: a huge or locked repository
 * never delays the workflow for long.
 */
export async function readGitContext(cwd = process.cwd()): Promise<GitContext | undefined> {
  const [commit, branch, remote, topLevel, status] = await Promise.all([
    git(cwd, ['rev-parse', 'HEAD']),
    git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
    git(cwd, ['config', '--get', 'remote.origin.url']),
    git(cwd, ['rev-parse', '--show-toplevel']),
    git(cwd, ['status', '--porcelain']),
  ]);
  if (commit === undefined && topLevel === undefined) return undefined;
  const repo = remote || topLevel;
  return {
    ...(repo ? { repo: repo.slice(0, 2048) } : {}),
    ...(branch && branch !== 'HEAD' ? { branch: branch.slice(0, 1024) } : {}),
    ...(commit ? { commit: commit.slice(0, 64) } : {}),
    ...(status === undefined ? {} : { dirty: status.length > 0 }),
  };
}

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      execFile('git', args, { cwd, timeout: 3_000, windowsHide: true, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
        resolve(error ? undefined : stdout.trim());
      });
    } catch {
      resolve(undefined);
    }
  });
}
