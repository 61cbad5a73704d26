import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { absolutePath, callerLocation, callSites, toSourceLocation } from '../../../../sdk/typescript/src/sourceLocation';

/** Stands in for an SDK function: reports who called it. */
function recordHere() {
  return callerLocation(recordHere);
}

function lineOf(marker: string): { line: number; text: string } {
  const lines = fs.readFileSync(__filename, 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(`// ${marker}`));
  return { line: index + 1, text: lines[index] ?? '' };
}

describe('TypeScript SDK source locations', () => {
  it('names the caller of the SDK function, mapped to the .ts line', function namedCaller() {
    const location = recordHere(); // @mark:direct
    const { line, text } = lineOf('@mark:direct');
    assert.deepEqual(location, { file: __filename, line, column: text.indexOf('recordHere(') + 1, function: 'namedCaller' });
  });

  it('finds the caller through async frames and leaves out names V8 only guessed', async () => {
    const call = (_name: string, fn: () => unknown, _options: unknown) => fn();
    await Promise.resolve();
    const location = (await call('x', async () => recordHere(), { input: { q: 1 } })) as ReturnType<typeof recordHere>; // @mark:async
    const { line, text } = lineOf('@mark:async');
    assert.equal(location?.file, __filename);
    assert.equal(location?.line, line);
    assert.equal(location?.column, text.indexOf('recordHere(') + 1);
    assert.equal(location?.function, undefined, 'not V8\'s inferred "call.input.q.q"');
  });

  it('reads a real stack into absolute file, line and column', () => {
    const [site] = callSites(callSites); // @mark:site
    assert.ok(site);
    const location = toSourceLocation(site);
    assert.equal(location?.file, __filename);
    assert.equal(location?.line, lineOf('@mark:site').line);
  });

  it('turns file:// URLs into paths and resolves relative sources beside their file', () => {
    assert.equal(absolutePath(pathToFileURL('/work/flows/agent.ts').href), '/work/flows/agent.ts');
    assert.equal(absolutePath('../src/agent.ts', 'file:///work/flows/dist/agent.js'), '/work/flows/src/agent.ts');
    assert.equal(absolutePath('/abs/agent.ts', '/elsewhere/x.js'), '/abs/agent.ts');
  });
});
