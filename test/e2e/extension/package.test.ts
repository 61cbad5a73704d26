import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { SidecarProcess } from '../../../extension/sidecar/sidecarProcess';

const root = path.resolve(__dirname, '../../..');

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly localHeaderOffset: number;
}

/** The central directory of a zip (a .vsix is one): enough to list it and read a file. */
function readZip(file: string): { entries: ZipEntry[]; read(name: string): Buffer } {
  const zip = fs.readFileSync(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, `${file} is not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(offset), 0x02014b50, 'central directory header');
    const nameLength = zip.readUInt16LE(offset + 28);
    entries.push({
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      localHeaderOffset: zip.readUInt32LE(offset + 42),
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
    });
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
  }
  return {
    entries,
    read(name) {
      const entry = entries.find((e) => e.name === name);
      assert.ok(entry, `${name} is not in the package`);
      const local = entry.localHeaderOffset;
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + entry.compressedSize);
      return entry.method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data);
    },
  };
}

/** What may ship: the bundles and their license notices, the manifest, README, LICENSE, media/. */
const allowed = [
  /^extension\.vsixmanifest$/,
  /^\[Content_Types\]\.xml$/,
  /^extension\/package\.json$/,
  /^extension\/readme\.md$/,
  /^extension\/LICENSE\.txt$/,
  /^extension\/media\/[^/]+\.(svg|png)$/,
  /^extension\/dist\/(extension|sidecar|webview)\.js$/,
  /^extension\/dist\/(extension|sidecar|webview)\.js\.LEGAL\.txt$/,
  /^extension\/dist\/node-sqlite3-wasm\.wasm$/,
];

describe('the .vsix (npm run package)', function () {
  this.timeout(180_000);
  let workDir: string;
  let vsix: ReturnType<typeof readZip>;

  before(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-vsix-'));
    const out = path.join(workDir, 'runtrail.vsix');
    // Offline and unattended: no stdin for vsce to prompt on.
    const result = spawnSync('npm', ['run', 'package', '--', '--out', out], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(result.status, 0, `npm run package failed:\n${result.stdout}\n${result.stderr}`);
    vsix = readZip(out);
  });

  after(() => fs.rmSync(workDir, { recursive: true, force: true }));

  it('holds only the bundles, the wasm, the manifest, README, LICENSE and media', () => {
    const names = vsix.entries.map((entry) => entry.name).sort();
    const unexpected = names.filter((name) => !allowed.some((pattern) => pattern.test(name)));
    assert.deepEqual(unexpected, [], `unexpected files in the package: ${unexpected.join(', ')}`);
    for (const required of [
      'extension/package.json',
      'extension/readme.md',
      'extension/LICENSE.txt',
      'extension/dist/extension.js',
      'extension/dist/sidecar.js',
      'extension/dist/node-sqlite3-wasm.wasm',
      'extension/media/runtrail.svg',
      'extension/media/icon.png',
    ]) {
      assert.ok(names.includes(required), `${required} is missing from ${names.join(', ')}`);
    }
    assert.equal(
      names.some((name) => /\.(ts|map)$|\/(node_modules|src|test|sidecar|protocol|webview)\//.test(name)),
      false,
    );
  });

  it('ships a manifest whose entry point, icon and contributions are in the package', () => {
    const manifest = JSON.parse(vsix.read('extension/package.json').toString('utf8')) as {
      main: string;
      icon: string;
      engines: { vscode: string };
      contributes: { configuration: { properties: Record<string, unknown> }; commands: Array<{ command: string }> };
    };
    const names = new Set(vsix.entries.map((entry) => entry.name));
    assert.ok(names.has(`extension/${path.posix.normalize(manifest.main)}`));
    assert.ok(names.has(`extension/${manifest.icon}`));
    assert.equal(manifest.engines.vscode, '^1.100.0');
    const commands = manifest.contributes.commands.map((command) => command.command);
    for (const id of [
      'runtrail.sidecar.start',
      'runtrail.sidecar.stop',
      'runtrail.sidecar.restart',
      'runtrail.sidecar.showLogs',
      'runtrail.sidecar.menu',
    ]) {
      assert.ok(commands.includes(id), `${id} is contributed`);
    }
    assert.ok('runtrail.sidecar.mode' in manifest.contributes.configuration.properties);
  });

  it('ships a sidecar that runs on its own: bundle and wasm side by side', async () => {
    const unpacked = path.join(workDir, 'unpacked');
    fs.mkdirSync(unpacked);
    for (const name of ['sidecar.js', 'node-sqlite3-wasm.wasm'])
      fs.writeFileSync(path.join(unpacked, name), vsix.read(`extension/dist/${name}`));
    const dataDir = path.join(workDir, 'data');
    const sidecar = await SidecarProcess.start({
      bundle: path.join(unpacked, 'sidecar.js'),
      env: {
        PATH: process.env.PATH ?? '',
        RUNTRAIL_PORT: '0',
        RUNTRAIL_DATA_DIR: dataDir,
        RUNTRAIL_WORKSPACE: workDir,
        ELECTRON_RUN_AS_NODE: '1',
      },
    });
    try {
      assert.equal(sidecar.info.store, 'sqlite');
      const res = await fetch(`${sidecar.url}/api/runs`, { headers: { authorization: `Bearer ${sidecar.token}` } });
      assert.equal(res.status, 200);
    } finally {
      await sidecar.stop();
    }
  });
});
