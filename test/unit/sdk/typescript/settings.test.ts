import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSettings, sidecarDataDir } from '../../../../sdk/typescript/src/settings';

describe('TypeScript SDK settings', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-sdk-settings-'));
  });
  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prefers options, then RUNTRAIL_* variables', () => {
    const env = {
      RUNTRAIL_URL: 'http://127.0.0.1:9000/',
      RUNTRAIL_TOKEN: 'env-token',
      RUNTRAIL_WORKFLOW: 'env-flow',
      RUNTRAIL_DATA_DIR: dataDir,
    };
    const fromEnv = resolveSettings({}, env);
    assert.deepEqual(
      [fromEnv.url, fromEnv.token, fromEnv.workflow, fromEnv.disabled],
      ['http://127.0.0.1:9000', 'env-token', 'env-flow', false],
    );
    const fromOptions = resolveSettings({ url: 'http://localhost:1', token: 't', workflow: 'w', runId: 'run-1' }, env);
    assert.deepEqual(
      [fromOptions.url, fromOptions.token, fromOptions.workflow, fromOptions.joinRunId],
      ['http://localhost:1', 't', 'w', 'run-1'],
    );
  });

  it('finds a running sidecar and its token in the data folder, ignoring a stale sidecar.json', () => {
    fs.writeFileSync(path.join(dataDir, 'token'), 'file-token\n');
    const env = { RUNTRAIL_DATA_DIR: dataDir };
    fs.writeFileSync(
      path.join(dataDir, 'sidecar.json'),
      JSON.stringify({ url: 'http://127.0.0.1:4242', pid: process.pid, tokenFile: null }),
    );
    assert.deepEqual([resolveSettings({}, env).url, resolveSettings({}, env).token], ['http://127.0.0.1:4242', 'file-token']);
    fs.writeFileSync(
      path.join(dataDir, 'sidecar.json'),
      JSON.stringify({ url: 'http://127.0.0.1:4242', pid: 2 ** 22 + 1, tokenFile: null }),
    );
    assert.equal(resolveSettings({}, env).url, 'http://127.0.0.1:7317');
  });

  it('records nothing, with the reason, when the URL or run id cannot work', () => {
    const badUrl = resolveSettings({}, { RUNTRAIL_URL: 'localhost:7317', RUNTRAIL_DATA_DIR: dataDir });
    assert.equal(badUrl.disabled, true);
    assert.equal(badUrl.problem, 'the sidecar URL "localhost:7317" is not an http(s) URL');
    const badRun = resolveSettings({}, { RUNTRAIL_RUN_ID: 'no spaces', RUNTRAIL_DATA_DIR: dataDir });
    assert.match(badRun.problem ?? '', /run id "no spaces" is not valid/);
    const disabled = resolveSettings({}, { RUNTRAIL_DISABLED: '1', RUNTRAIL_URL: 'nonsense', RUNTRAIL_DATA_DIR: dataDir });
    assert.deepEqual([disabled.disabled, disabled.problem], [true, undefined]);
    assert.equal(resolveSettings({}, { RUNTRAIL_DISABLED: '0', RUNTRAIL_DATA_DIR: dataDir }).disabled, false);
  });

  it("uses the sidecar's data folder for each platform", () => {
    assert.equal(sidecarDataDir({}, 'linux', '/home/u'), '/home/u/.local/share/runtrail');
    assert.equal(sidecarDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u'), '/xdg/runtrail');
    assert.equal(sidecarDataDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/Runtrail');
    assert.equal(sidecarDataDir({ RUNTRAIL_DATA_DIR: '~/rt' }, 'linux', '/home/u'), '/home/u/rt');
  });
});
