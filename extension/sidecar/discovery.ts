import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/**
 * `<dataDir>/sidecar.json`, which a running sidecar writes after it listens (sidecar/discovery.ts).
 * The embedded store has one owner, so when `runtrail serve`, the demo or another VS Code window
 * already runs a sidecar on the same data folder, a second one could not open the store: the
 * extension uses that sidecar instead of failing.
 */

const Discovery = z.object({
  url: z.string().regex(/^https?:\/\//),
  pid: z.number().int().positive(),
  tokenFile: z.string().nullable(),
  store: z.string(),
  relay: z.string(),
});

export interface RunningSidecar {
  readonly url: string;
  readonly pid: number;
  readonly token: string;
  readonly store: string;
  readonly relay: string;
}

/** The sidecar the file names, when its process is alive and its token readable; else undefined. */
export function findRunningSidecar(dataDir: string): RunningSidecar | undefined {
  let parsed: z.infer<typeof Discovery>;
  try {
    parsed = Discovery.parse(JSON.parse(fs.readFileSync(path.join(dataDir, 'sidecar.json'), 'utf8')));
  } catch {
    return undefined;
  }
  if (!processAlive(parsed.pid) || parsed.tokenFile === null) return undefined;
  let token: string;
  try {
    token = fs.readFileSync(parsed.tokenFile, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (token === '') return undefined;
  return { url: parsed.url.replace(/\/+$/, ''), pid: parsed.pid, token, store: parsed.store, relay: parsed.relay };
}

/** `kill(pid, 0)`: ESRCH is gone, EPERM is alive (another user's); a zombie counts as gone. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}
