import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * CPU use of the processes taking part in a scenario, from /proc (Linux; elsewhere it reads
 * nothing and reports null): user+system time of each process, of the sidecar's main thread (its
 * event loop: at ~100% the sidecar is bound by its one JS thread), and of the whole machine.
 * Percentages are of one core, so on 2 cores a process can show up to 200%.
 */

const ticksPerSecond = 100; // USER_HZ, 100 on every Linux architecture node runs on

export interface CpuShares {
  /** Per watched process (and `<name>.main` for a watched main thread): % of one core. */
  processes: Record<string, number | null>;
  /** All cores busy = 100. */
  machineBusyPercent: number | null;
  /**
   * CPU used by processes not watched here (others sharing the machine), % of one core: the
   * noise a run suffered.
   */
  othersPercent: number | null;
}

type Ticks = number | null;

function readTicks(statFile: string): Ticks {
  try {
    const stat = fs.readFileSync(statFile, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function readMachine(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export interface WatchedProcess {
  name: string;
  pid: number;
  /** Also report the main thread (tid = pid) on its own. */
  mainThread?: boolean;
}

export class CpuMeter {
  constructor(private readonly watched: readonly WatchedProcess[]) {}

  /** Starts a measurement; the returned function ends it and gives the shares over the interval. */
  start(): () => CpuShares {
    const files = this.statFiles();
    const before = files.map(([, file]) => readTicks(file));
    const machineBefore = readMachine();
    const started = performance.now();
    return () => {
      const seconds = (performance.now() - started) / 1000;
      const processes: Record<string, number | null> = {};
      files.forEach(([name, file], i) => {
        const a = before[i] ?? null;
        const b = readTicks(file);
        processes[name] = a === null || b === null ? null : round1(((b - a) / ticksPerSecond / seconds) * 100);
      });
      const machineAfter = readMachine();
      const machineBusyPercent =
        machineBefore === null || machineAfter === null
          ? null
          : round1(((machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)) * 100);
      const watchedPercent = this.watched.reduce((sum, { name }) => sum + (processes[name] ?? 0), 0);
      const othersPercent =
        machineBusyPercent === null ? null : round1(Math.max(0, machineBusyPercent * os.cpus().length - watchedPercent));
      return { processes, machineBusyPercent, othersPercent };
    };
  }

  private statFiles(): Array<[string, string]> {
    const files: Array<[string, string]> = [];
    for (const { name, pid, mainThread } of this.watched) {
      files.push([name, `/proc/${pid}/stat`]);
      if (mainThread) files.push([`${name}.main`, `/proc/${pid}/task/${pid}/stat`]);
    }
    return files;
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The pid of the process whose command line contains every one of `parts` (e.g. the Neo4j JVM). */
export function findPid(parts: readonly string[]): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (parts.every((part) => cmdline.includes(part))) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}
