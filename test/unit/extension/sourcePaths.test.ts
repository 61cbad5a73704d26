import * as assert from 'node:assert/strict';
import {
  bestSuffixMatch,
  commonSuffixLength,
  directCandidates,
  documentMatchesRecorded,
  isAbsolutePath,
  joinPath,
  normalizePath,
  relativeToFolders,
} from '../../../extension/source/sourcePaths';

describe('extension source path remapping', () => {
  it('normalizes file URLs, Windows separators and trailing slashes', () => {
    assert.equal(normalizePath('file:///home/me/agent.ts'), '/home/me/agent.ts');
    assert.equal(normalizePath('file:///C:/src/my%20agent/plan.py'), 'C:/src/my agent/plan.py');
    assert.equal(normalizePath('C:\\src\\agent\\plan.py'), 'C:/src/agent/plan.py');
    assert.equal(normalizePath('/work/'), '/work');
    assert.equal(isAbsolutePath('C:\\src\\plan.py'), true);
    assert.equal(isAbsolutePath('/app/plan.py'), true);
    assert.equal(isAbsolutePath('src/plan.py'), false);
  });

  it('tries an absolute path as is and a relative one against every workspace folder', () => {
    assert.deepEqual(directCandidates('/app/plan.py', ['/w']), ['/app/plan.py']);
    assert.deepEqual(directCandidates('src/plan.py', ['/w/a', '/w/b']), ['/w/a/src/plan.py', '/w/b/src/plan.py']);
    assert.deepEqual(directCandidates('./../shared/x.py', ['/w/a']), ['/w/shared/x.py']);
    assert.deepEqual(directCandidates('', ['/w']), []);
    assert.equal(joinPath('C:/w', 'src\\x.py'), 'C:/w/src/x.py');
  });

  it('finds the innermost workspace folder holding a path', () => {
    assert.deepEqual(relativeToFolders('/w/app/src/x.py', ['/w', '/w/app']), { folder: '/w/app', relative: 'src/x.py' });
    assert.equal(relativeToFolders('/elsewhere/x.py', ['/w']), undefined);
    assert.equal(relativeToFolders('/wx/x.py', ['/w']), undefined, 'a sibling with a longer name is not inside');
    assert.deepEqual(relativeToFolders('C:\\W\\x.py', ['c:\\w'], true), { folder: 'c:\\w', relative: 'x.py' });
  });

  it('remaps a path recorded in a container by the longest shared tail', () => {
    const candidates = ['/home/me/proj/examples/python/triage.py', '/home/me/proj/vendor/other/triage.py', '/home/me/proj/triage.py'];
    assert.deepEqual(bestSuffixMatch('/app/examples/python/triage.py', candidates), {
      best: ['/home/me/proj/examples/python/triage.py'],
      score: 3,
    });
    assert.equal(commonSuffixLength('/app/examples/python/triage.py', '/home/me/proj/examples/python/triage.py'), 3);
  });

  it('remaps a Windows path onto a POSIX workspace', () => {
    const match = bestSuffixMatch('C:\\Users\\dev\\agent\\src\\plan.py', ['/w/agent/src/plan.py', '/w/src/plan.py']);
    assert.deepEqual(match, { best: ['/w/agent/src/plan.py'], score: 3 });
  });

  it('reports equally good matches as ambiguous, shortest first, and no match when the name differs', () => {
    const match = bestSuffixMatch('/app/util.py', ['/w/b/lib/util.py', '/w/a/util.py']);
    assert.deepEqual(match, { best: ['/w/a/util.py', '/w/b/lib/util.py'], score: 1 });
    assert.equal(bestSuffixMatch('/app/util.py', ['/w/utils.py']), undefined);
    assert.deepEqual(bestSuffixMatch('/APP/Util.py', ['/w/app/util.py'], true), { best: ['/w/app/util.py'], score: 2 });
  });

  it('matches an open document to recorded paths strictly enough for CodeLens', () => {
    const folders = ['/home/me/proj'];
    const doc = '/home/me/proj/examples/python/triage.py';
    assert.equal(documentMatchesRecorded(doc, doc, folders), true, 'the same file');
    assert.equal(documentMatchesRecorded(doc, '/app/examples/python/triage.py', folders), true, 'recorded in a container');
    assert.equal(documentMatchesRecorded(doc, 'examples/python/triage.py', folders), true, 'recorded relative');
    assert.equal(documentMatchesRecorded(doc, '/app/python/triage.py', folders), false, 'only part of the workspace path');
    assert.equal(documentMatchesRecorded(doc, '/app/other/triage.py', folders), false);
    assert.equal(documentMatchesRecorded('/tmp/triage.py', '/app/triage.py', folders), false, 'outside the workspace: exact only');
  });
});
