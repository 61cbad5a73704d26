import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isValidId } from './records';

export interface StartRunOptions {
  /** Default: RUNTRAIL_WORKFLOW, else the main script's file name without extension. */
  readonly workflow?: string;
  /** The sidecar. Default: RUNTRAIL_URL, else the running sidecar's `sidecar.json`, else http://127.0.0.1:7317. */
  readonly url?: string;
  /** Bearer token. Default: RUNTRAIL_TOKEN, else the `token` file in the sidecar's data folder. */
  readonly token?: string;
  /** Join this existing run instead of creating one (default: RUNTRAIL_RUN_ID). */
  readonly runId?: string;
  readonly labels?: readonly string[];
}

/** Everything startRun needs, resolved from options, environment and the sidecar's data folder. */
export interface Settings {
  /** RUNTRAIL_DISABLED, or a setting so wrong nothing can be sent (`problem` says which). */
  readonly disabled: boolean;
  readonly problem?: string;
  readonly url: string;
  readonly token: string | undefined;
  /** Set when the run exists already (the runner created it): the SDK then never changes its status. */
  readonly joinRunId: string | undefined;
  readonly workflow: string;
  readonly labels: string[] | undefined;
  readonly replayOf: string | undefined;
  /** RUNTRAIL_REPLAY_UNTIL: the node a fork goes live from (sent to the sidecar as `?until=`). */
  readonly replayUntil?: string;
  /** RUNTRAIL_OVERRIDES as given: JSON `{decisionKey: optionLabel}`, parsed by the run. */
  readonly overrides?: string;
  /** The sidecar's limit on one payload field, so big values are truncated rather than rejected. */
  readonly maxFieldBytes: number;
}

export const defaultUrl = 'http://127.0.0.1:7317';

type Env = Readonly<Record<string, string | undefined>>;

export function isDisabled(env: Env = process.env): boolean {
  const value = env.RUNTRAIL_DISABLED?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false' && value !== 'no';
}

export function resolveSettings(options: StartRunOptions = {}, env: Env = process.env): Settings {
  const workflow = (options.workflow || env.RUNTRAIL_WORKFLOW || scriptName()).slice(0, 200);
  const labels = options.labels
    ?.filter((label) => typeof label === 'string' && label.length > 0)
    .map((label) => label.slice(0, 100))
    .slice(0, 32);
  const joinRunId = options.runId || env.RUNTRAIL_RUN_ID || undefined;
  const dataDir = sidecarDataDir(env);
  const discovered = options.url || env.RUNTRAIL_URL ? undefined : readDiscovery(dataDir);
  const rawUrl = options.url || env.RUNTRAIL_URL || discovered?.url || defaultUrl;
  const token =
    options.token ||
    env.RUNTRAIL_TOKEN ||
    readTokenFile(discovered?.tokenFile ?? undefined) ||
    readTokenFile(path.join(dataDir, 'token')) ||
    undefined;
  const maxField = Number(env.RUNTRAIL_MAX_FIELD_BYTES);
  const base = {
    token,
    joinRunId,
    workflow,
    labels,
    replayOf: env.RUNTRAIL_REPLAY_OF || undefined,
    replayUntil: env.RUNTRAIL_REPLAY_UNTIL || undefined,
    overrides: env.RUNTRAIL_OVERRIDES || undefined,
    maxFieldBytes: Number.isInteger(maxField) && maxField > 0 ? maxField : 256 * 1024,
  };
  const url = normaliseUrl(rawUrl);
  if (isDisabled(env)) return { ...base, url: url ?? rawUrl, disabled: true };
  if (url === undefined) {
    return { ...base, url: rawUrl, disabled: true, problem: `the sidecar URL ${JSON.stringify(rawUrl)} is not an http(s) URL` };
  }
  if (joinRunId !== undefined && !isValidId(joinRunId)) {
    return {
      ...base,
      url,
      disabled: true,
      problem: `run id ${JSON.stringify(joinRunId)} is not valid (1-128 letters, digits and . _ : @ -, starting with a letter or digit)`,
    };
  }
  return { ...base, url, disabled: false };
}

/** The sidecar's data folder, as the sidecar computes it (sidecar/config.ts `defaultDataDir`). */
export function sidecarDataDir(env: Env = process.env, platform = process.platform, home = os.homedir()): string {
  const configured = env.RUNTRAIL_DATA_DIR;
  if (configured) return path.resolve(configured.startsWith('~') ? path.join(home, configured.slice(1)) : configured);
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Runtrail');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Runtrail');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'runtrail');
}

/** `<dataDir>/sidecar.json` of a sidecar that is still running (a stale file names a dead pid). */
function readDiscovery(dataDir: string): { url: string; tokenFile: string | null } | undefined {
  try {
    const found = JSON.parse(fs.readFileSync(path.join(dataDir, 'sidecar.json'), 'utf8')) as {
      url?: unknown;
      pid?: unknown;
      tokenFile?: unknown;
    };
    if (typeof found.url !== 'string' || typeof found.pid !== 'number' || !isAlive(found.pid)) return undefined;
    return { url: found.url, tokenFile: typeof found.tokenFile === 'string' ? found.tokenFile : null };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readTokenFile(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function normaliseUrl(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** The main script's name without extension (`node agents/triage.ts` → `triage`). */
function scriptName(): string {
  const main = process.argv[1];
  if (!main) return 'node';
  return path.basename(main, path.extname(main)) || 'node';
}
