import * as fs from 'node:fs';

/** Facts about other processes, by pid: the store's lock, the runner's ledger, the CLI's discovery. */

/**
 * Whether a process exists. `kill(pid, 0)` answers ESRCH for a gone one and EPERM for one of
 * another user (alive). A zombie (exited, not yet reaped by its parent) counts as gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const fields = procStat(pid);
  // Gone just now, or no procfs to ask (macOS, Windows): kill() said it exists.
  if (fields === undefined) return !fs.existsSync('/proc/self/stat');
  return fields[0] !== 'Z';
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot (Linux only). */
export function processStartTicks(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** The fields of /proc/<pid>/stat from the third (state) on; comm may hold spaces and parentheses. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .trim()
      .split(' ');
  } catch {
    return undefined;
  }
}
