import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SidecarToken {
  readonly token: string;
  /** Where clients (CLI, extension, runner) read it from; undefined when it came from the env. */
  readonly file: string | undefined;
}

/**
 * The bearer token every /api route (except health) requires. RUNTRAIL_TOKEN wins; otherwise the
 * token in `<dataDir>/token` is reused, or a random one is written there with mode 0600. Reusing
 * it keeps workflows that were started before a sidecar restart able to report.
 */
export function resolveToken(dataDir: string, fromEnv: string | undefined): SidecarToken {
  if (fromEnv !== undefined) return { token: fromEnv, file: undefined };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'token');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(existing)) {
      fs.chmodSync(file, 0o600);
      return { token: existing, file };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return { token, file };
}
