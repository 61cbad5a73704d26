import * as assert from 'node:assert/strict';
import { lineName, OutputLines } from '../../../sidecar/runner/outputLines';

function split(chunks: Array<string | Buffer>, maxBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new OutputLines((line) => lines.push(line), maxBytes);
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

describe('Runner output lines', () => {
  it('splits on \\n across chunks, strips a trailing \\r, keeps empty lines, adds none at the end', () => {
    assert.deepEqual(split(['a\nb', 'c\r', '\n\n', 'last']), ['a', 'bc', '', 'last']);
    assert.deepEqual(split(['one\n']), ['one']);
    assert.deepEqual(split([]), []);
    assert.deepEqual(split(['mid\rline\n']), ['mid\rline']);
  });

  it('keeps a character split across chunks whole', () => {
    const rocket = Buffer.from('🚀\n');
    assert.deepEqual(split([rocket.subarray(0, 2), rocket.subarray(2)]), ['🚀']);
  });

  it('truncates a long line on a character boundary, with a marker, without holding the rest', () => {
    assert.deepEqual(split(['abcdefghij\n'], 4), ['abcd … [6 more bytes]']);
    assert.deepEqual(split(['ab', 'cdef', 'gh\nnext\n'], 4), ['abcd … [4 more bytes]', 'next']);
    // "é" is 2 bytes: 5 bytes would end inside the third one.
    assert.deepEqual(split(['ééé\n'], 5), ['éé … [2 more bytes]']);
  });

  it('names a line by its first 200 characters, without colour codes', () => {
    assert.equal(lineName(''), '(empty line)');
    assert.equal(lineName('   '), '(empty line)');
    assert.equal(lineName('\u001b[1;31merror\u001b[0m: boom  '), 'error: boom');
    const name = lineName('y'.repeat(500));
    assert.equal(name.length, 200);
    assert.ok(name.endsWith('…'));
    assert.equal(lineName(`${'y'.repeat(198)}🚀🚀`), `${'y'.repeat(198)}…`, 'a surrogate pair is not split');
  });
});
