import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * `<dataDir>/sidecar.json`: where a running sidecar listens, so the CLI and the SDKs find it
 * without RUNTRAIL_URL (the port may be 0 → random). Written after listen, removed on a clean
 * stop; a stale file (process gone) is recognised by its pid.
 */
export interface SidecarDiscovery {
  readonly url: string;
  readonly pid: number;
  readonly tokenFile: string | null;
  readonly store: string;
  readonly relay: string;
  readonly startedAt: string;
}

export const discoveryFileName = 'sidecar.json';

export function writeDiscovery(dataDir: string, discovery: SidecarDiscovery): string {
  const file = path.join(dataDir, discoveryFileName);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Rename over the old file so a reader never sees half of it.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(discovery, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
  return file;
}

/** Removes the file only while it still names this process (another sidecar may have replaced it). */
export function removeDiscovery(dataDir: string, pid = process.pid): void {
  const file = path.join(dataDir, discoveryFileName);
  try {
    const current = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SidecarDiscovery>;
    if (current.pid === pid) fs.rmSync(file, { force: true });
  } catch {
    // Missing or unreadable: nothing of ours to remove.
  }
}
