import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processAlive } from '../util/processes';

/** One workflow process this sidecar started and has not yet seen end. */
export interface LedgerEntry {
  readonly runId: string;
  /** The workflow's pid, which is also its process group id (spawned detached). */
  readonly pid: number;
  readonly workflow: string;
  /** ISO time the process was spawned. */
  readonly startedAt: string;
  /** The sidecar that spawned it: a live other sidecar on the same data dir keeps its entries. */
  readonly sidecarPid: number;
  /** The process's start time in clock ticks (Linux), so a reused pid is not taken for the workflow. */
  readonly startTicks?: string;
}

/**
 * `<dataDir>/runner/<runId>.json`, one file per running workflow, written after spawn and removed
 * once its run is finished. What a sidecar finds here at start-up are workflows whose end no
 * sidecar saw (the sidecar stopped or crashed meanwhile): it marks their runs `error` with reason
 * `lost` once their process is gone (DESIGN.md "Data model": the exit code is unknowable then).
 */
export class RunnerLedger {
  readonly folder: string;

  constructor(dataDir: string) {
    this.folder = path.join(dataDir, 'runner');
  }

  record(entry: LedgerEntry): void {
    fs.mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    const file = this.fileOf(entry.runId);
    // Rename over, so a sidecar starting meanwhile never reads half an entry.
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    fs.renameSync(temporary, file);
  }

  remove(runId: string): void {
    fs.rmSync(this.fileOf(runId), { force: true });
  }

  /** Every readable entry; files that are not entries (a torn temp file, garbage) are deleted. */
  entries(): LedgerEntry[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.folder);
    } catch {
      return [];
    }
    const entries: LedgerEntry[] = [];
    for (const name of names) {
      const file = path.join(this.folder, name);
      const entry = name.endsWith('.json') ? readEntry(file) : undefined;
      if (entry === undefined || this.fileOf(entry.runId) !== file) {
        // A temp file of a live writer is left alone; anything else is debris.
        if (!isLiveTemp(name)) fs.rmSync(file, { force: true });
        continue;
      }
      entries.push(entry);
    }
    return entries;
  }

  private fileOf(runId: string): string {
    return path.join(this.folder, `${runId}.json`);
  }
}

function readEntry(file: string): LedgerEntry | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LedgerEntry>;
    const isPid = (pid: unknown): pid is number => typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0;
    if (typeof value.runId !== 'string' || !isPid(value.pid)) return undefined;
    return {
      runId: value.runId,
      pid: value.pid,
      workflow: typeof value.workflow === 'string' ? value.workflow : '',
      startedAt: typeof value.startedAt === 'string' ? value.startedAt : '',
      sidecarPid: isPid(value.sidecarPid) ? value.sidecarPid : 0,
      ...(typeof value.startTicks === 'string' ? { startTicks: value.startTicks } : {}),
    };
  } catch {
    return undefined;
  }
}

function isLiveTemp(name: string): boolean {
  const match = /\.(\d+)\.tmp$/.exec(name);
  return match?.[1] !== undefined && processAlive(Number(match[1]));
}

/**
 * Signals a whole process group (the workflow and everything it started that did not leave the
 * group). False when the group is gone already.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (process.platform === 'win32') {
    // No process groups to signal: taskkill ends the tree (always forcefully).
    return spawnSync('taskkill', ['/pid', String(pgid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).status === 0;
  }
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
