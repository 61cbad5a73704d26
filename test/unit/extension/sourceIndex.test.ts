import * as assert from 'node:assert/strict';
import { lensTitle, SourceIndex } from '../../../extension/codelens/sourceIndex';
import { aNode } from './dtos';

const file = '/w/agent.py';
const src = (line: number) => ({ file, line, column: 1, function: null });
const at = (minute: number) => `2026-01-01T12:${String(minute).padStart(2, '0')}:00.000Z`;

describe('extension CodeLens SourceIndex', () => {
  it('counts runs per line and keeps what the newest run did there', () => {
    const index = new SourceIndex(20);
    index.addRun({ id: 'old', startedAt: at(1) }, [
      aNode('o1', { runId: 'old', source: src(10), status: 'error', durationMs: 900 }),
      aNode('o2', { runId: 'old', source: src(20), status: 'ok', durationMs: 5 }),
    ]);
    index.addRun({ id: 'new', startedAt: at(2) }, [
      aNode('n1', { runId: 'new', source: src(10), status: 'ok', durationMs: 340, seq: 1 }),
      aNode('n2', { runId: 'new', source: src(10), status: 'ok', durationMs: 20, seq: 5 }),
      aNode('n3', { runId: 'new' }),
    ]);
    const lines = index.linesOf([file]);
    assert.deepEqual(lines, [
      { line: 10, runs: 2, last: { runId: 'new', nodeId: 'n2', status: 'ok', durationMs: 20 } },
      { line: 20, runs: 1, last: { runId: 'old', nodeId: 'o2', status: 'ok', durationMs: 5 } },
    ]);
    assert.deepEqual(index.files(), [file]);
    assert.deepEqual(index.linesOf(['/w/other.py']), []);
  });

  it('follows a live run: the start record brings the source, the end record the status and duration', () => {
    const index = new SourceIndex(20);
    const before = index.version;
    assert.equal(
      index.applyDelta({ runId: 'live', id: 'x', status: 'ok' }, 0),
      false,
      'an unknown node without source is nothing to index',
    );
    assert.equal(
      index.applyDelta(
        { runId: 'live', id: 'x', seq: 0, status: 'running', startedAt: '2026-01-01T12:00:00.000Z', source: { file, line: 7 } },
        Date.parse(at(5)),
      ),
      true,
    );
    assert.equal(lensTitle(index.linesOf([file])[0] ?? assert.fail('no line 7')), '1 run · last running');
    index.applyDelta({ runId: 'live', id: 'x', status: 'ok', endedAt: '2026-01-01T12:00:00.340Z' }, Date.parse(at(5)));
    assert.equal(lensTitle(index.linesOf([file])[0] ?? assert.fail('no line 7')), '1 run · last ok 340 ms');
    assert.ok(index.version > before);
  });

  it('remembers only the newest runs and forgets deleted ones', () => {
    const index = new SourceIndex(2);
    index.addRun({ id: 'a', startedAt: at(1) }, [aNode('a1', { runId: 'a', source: src(1) })]);
    index.addRun({ id: 'b', startedAt: at(2) }, [aNode('b1', { runId: 'b', source: src(1) })]);
    index.addRun({ id: 'c', startedAt: at(3) }, [aNode('c1', { runId: 'c', source: src(1) })]);
    assert.equal(index.hasRun('a'), false);
    assert.equal(index.linesOf([file])[0]?.runs, 2);
    index.removeRun('c');
    assert.deepEqual(index.linesOf([file])[0]?.last.runId, 'b');
    index.clear();
    assert.deepEqual(index.linesOf([file]), []);
  });

  it('titles a lens with the run count and the last status and duration', () => {
    const last = { runId: 'r', nodeId: 'n' };
    assert.equal(lensTitle({ line: 1, runs: 3, last: { ...last, status: 'ok', durationMs: 340 } }), '3 runs · last ok 340 ms');
    assert.equal(lensTitle({ line: 1, runs: 1, last: { ...last, status: 'error', durationMs: 1250 } }), '1 run · last error 1.2 s');
    assert.equal(lensTitle({ line: 1, runs: 2, last: { ...last, status: 'cancelled', durationMs: null } }), '2 runs · last cancelled');
  });
});
