import { execFile } from 'node:child_process';
import * as path from 'node:path';

/**
 * The few git questions jump-to-source asks, through the `git` on PATH (no vscode, so tests run
 * them against a real repository). Every answer is "don't know" (undefined) rather than an error
 * when git is missing, the folder is no repository, or the commit is not in it: the jump still
 * opens the current file.
 */
interface GitResult {
  readonly code: number;
  readonly stdout: string;
}

function git(cwd: string, args: readonly string[], maxBuffer = 1024 * 1024): Promise<GitResult | undefined> {
  return new Promise((resolve) => {
    execFile('git', [...args], { cwd, maxBuffer, windowsHide: true, encoding: 'utf8' }, (error, stdout) => {
      if (error && typeof error.code !== 'number') resolve(undefined);
      else resolve({ code: error ? Number(error.code) : 0, stdout });
    });
  });
}

/** The full commit id of HEAD in the repository holding `folder`. */
export async function headCommit(folder: string): Promise<string | undefined> {
  const result = await git(folder, ['rev-parse', 'HEAD']);
  return result?.code === 0 ? result.stdout.trim() : undefined;
}

/**
 * A recorded commit comes from whoever posted the run: only a hex id reaches git's command line,
 * so it can never be read as an option (`--output=…`).
 */
export function isCommitId(value: string): boolean {
  return /^[0-9a-f]{4,64}$/i.test(value);
}

/** Whether two commit ids name the same commit (either may be abbreviated). */
export function sameCommit(a: string, b: string): boolean {
  const x = a.trim().toLowerCase();
  const y = b.trim().toLowerCase();
  return x.length >= 7 && y.length >= 7 && (x.startsWith(y) || y.startsWith(x));
}

/**
 * Whether `file` (absolute) differs between `commit` and the working tree. undefined when git
 * cannot say (no repository, unknown commit).
 */
export async function changedSince(file: string, commit: string): Promise<boolean | undefined> {
  if (!isCommitId(commit)) return undefined;
  const result = await git(path.dirname(file), ['diff', '--quiet', commit, '--', path.basename(file)]);
  if (result?.code === 0) return false;
  if (result?.code === 1) return true;
  return undefined;
}

/** The content of `file` (absolute, in the working tree) as it was at `commit`; undefined when it did not exist there. */
export async function showAtCommit(file: string, commit: string): Promise<string | undefined> {
  if (!isCommitId(commit)) return undefined;
  const result = await git(path.dirname(file), ['show', `${commit}:./${path.basename(file)}`], 64 * 1024 * 1024);
  return result?.code === 0 ? result.stdout : undefined;
}
