import * as assert from 'node:assert/strict';
import { BundleParseError, deriveEdges, parseBundle, redactionNames } from '../../../protocol/bundle';
import { readLines } from '../../../sidecar/bundles/bundleImport';
import { redact } from '../../../sidecar/bundles/bundleLines';

const header = { format: 'runtrail-bundle', version: 1, exportedAt: '2026-01-01T00:00:00.000Z', producer: 'runtrail 0.1.0', redacted: [] };
const run = {
  id: 'r1',
  workflow: 'w',
  status: 'ok',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  error: null,
  command: null,
  cwd: null,
  git: { repo: null, branch: null, commit: null, dirty: null },
  labels: [],
  replayOf: null,
  forkedFromNode: null,
};
const node = (id: string, parentId: string | null, seq: number) => ({
  id,
  parentId,
  key: null,
  kind: 'step',
  name: id,
  status: 'ok',
  seq,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:00.500Z',
  tokensIn: null,
  tokensOut: null,
  costUsd: null,
  source: null,
  replayed: false,
  diverged: false,
});
const bundleText = (...lines: unknown[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

function expectParseError(text: string, line: number, message: RegExp): void {
  assert.throws(
    () => parseBundle(text),
    (error: unknown) => {
      assert.ok(error instanceof BundleParseError, String(error));
      assert.equal(error.line, line);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('bundle format (protocol/bundle.ts)', () => {
  it('parses a bundle: times to epoch ms, edges checked against the nodes', () => {
    const nodes = [node('a', null, 0), node('b', 'a', 1), node('c', 'a', 2), node('d', 'ghost', 3)];
    const edges = [...deriveEdges({ id: 'r1', replayOf: null, forkedFromNode: null }, nodes)];
    assert.deepEqual(edges, [
      { type: 'CHILD_OF', from: 'b', to: 'a' },
      { type: 'CHILD_OF', from: 'c', to: 'a' },
      { type: 'CHILD_OF', from: 'd', to: 'ghost' },
      { type: 'NEXT', from: 'b', to: 'c' },
    ]);
    const parsed = parseBundle(
      bundleText(
        header,
        { type: 'run', run },
        ...nodes.map((n) => ({ type: 'node', node: n })),
        ...edges.map((edge) => ({ type: 'edge', edge })),
      ),
    );
    assert.equal(parsed.run.startedAt, Date.UTC(2026, 0, 1));
    assert.equal(parsed.nodes.length, 4);
    assert.equal(parsed.nodes[1]?.endedAt, Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    assert.equal(parsed.edges.length, 4);
  });

  it('names the line and field of what is wrong', () => {
    expectParseError('', 0, /empty/);
    expectParseError(bundleText({ ...header, version: 2 }), 1, /bundle version 2 is not supported: this Runtrail reads version 1/);
    expectParseError(bundleText({ format: 'other' }), 1, /not a Runtrail bundle/);
    expectParseError(bundleText(header, { type: 'node', node: node('a', null, 0) }), 2, /expected the run line/);
    expectParseError(bundleText(header, { type: 'run', run: { ...run, colour: 'red' } }), 2, /line 2: run: .*colour/);
    expectParseError(
      bundleText(header, { type: 'run', run }, { type: 'node', node: { ...node('a', null, 0), seq: -1 } }),
      3,
      /line 3: node\.seq:/,
    );
    expectParseError(
      bundleText(header, { type: 'run', run }, { type: 'node', node: node('a', 'b', 0) }, { type: 'node', node: node('b', 'a', 1) }),
      3,
      /cycle: a -> b -> a/,
    );
    expectParseError(
      bundleText(
        header,
        { type: 'run', run },
        { type: 'node', node: node('a', null, 0) },
        { type: 'edge', edge: { type: 'NEXT', from: 'a', to: 'z' } },
      ),
      4,
      /edge NEXT a -> z contradicts/,
    );
    expectParseError(
      bundleText(
        header,
        { type: 'run', run },
        { type: 'edge', edge: { type: 'REPLAY_OF', from: 'r1', to: 'r0' } },
        { type: 'node', node: node('a', null, 0) },
      ),
      4,
      /node line after the edge lines/,
    );
  });

  it('splits redaction lists', () => {
    assert.deepEqual(redactionNames(' a, b,,a ,c '), ['a', 'b', 'c']);
    assert.deepEqual(redactionNames(undefined), []);
  });
});

describe('bundle redaction and line reading (sidecar/bundles)', () => {
  it('redacts named keys at any depth without touching the original', () => {
    const value = { apiKey: 'k', list: [{ apiKey: { nested: 1 } }, 'apiKey'], deep: { a: { password: 'p', keep: 1 } } };
    const copy = structuredClone(value);
    assert.deepEqual(redact(value, new Set(['apiKey', 'password'])), {
      apiKey: '[redacted]',
      list: [{ apiKey: '[redacted]' }, 'apiKey'],
      deep: { a: { password: '[redacted]', keep: 1 } },
    });
    assert.deepEqual(value, copy);
    assert.equal(redact('plain', new Set(['apiKey'])), 'plain');
  });

  it('reads lines across chunk boundaries, multi-byte characters split included', async () => {
    const bytes = Buffer.from('{"a":"日本"}\n{"b":2}\n{"c":3}', 'utf8');
    const chunks = [bytes.subarray(0, 8), bytes.subarray(8, 15), bytes.subarray(15)];
    const lines: string[] = [];
    for await (const line of readLines(chunks, 1_000)) lines.push(line);
    assert.deepEqual(lines, ['{"a":"日本"}', '{"b":2}', '{"c":3}']);
    await assert.rejects(async () => {
      for await (const _ of readLines([bytes], 10)) {
        // drain
      }
    }, /larger than 10 bytes/);
  });
});
