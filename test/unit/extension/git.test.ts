import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { changedSince, headCommit, isCommitId, sameCommit, showAtCommit } from '../../../extension/source/git';

describe('extension jump-to-source git questions (real git)', () => {
  let repo: string;
  let first: string;
  let file: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();

  before(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-git-'));
    file = path.join(repo, 'src', 'agent.py');
    fs.mkdirSync(path.dirname(file));
    git('init', '-q');
    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'Test');
    git('config', 'commit.gpgsign', 'false');
    fs.writeFileSync(file, 'print("v1")\n');
    git('add', '.');
    git('commit', '-q', '-m', 'v1');
    first = git('rev-parse', 'HEAD');
    fs.writeFileSync(file, 'print("v2")\n');
    fs.writeFileSync(path.join(repo, 'src', 'other.py'), 'x = 1\n');
    git('add', '.');
    git('commit', '-q', '-m', 'v2');
  });

  after(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('reads HEAD and compares abbreviated commit ids', async () => {
    const head = await headCommit(path.dirname(file));
    assert.equal(head, git('rev-parse', 'HEAD'));
    assert.equal(sameCommit(first.slice(0, 7), first), true);
    assert.equal(sameCommit(first, head ?? ''), false);
    assert.equal(await headCommit(os.tmpdir()), undefined, 'no repository');
  });

  it('says whether a file changed since a commit, and shows it as it was', async () => {
    assert.equal(await changedSince(file, first), true);
    assert.equal(await changedSince(path.join(repo, 'src', 'other.py'), git('rev-parse', 'HEAD')), false);
    assert.equal(await showAtCommit(file, first), 'print("v1")\n');
    assert.equal(await showAtCommit(path.join(repo, 'src', 'other.py'), first), undefined, 'did not exist then');
    assert.equal(await changedSince(file, 'deadbeefdeadbeef'), undefined, 'unknown commit');
  });

  it('never passes a recorded commit that is not a hex id to git', async () => {
    assert.equal(isCommitId('--output=/tmp/x'), false);
    assert.equal(isCommitId('HEAD~1'), false);
    assert.equal(isCommitId(first), true);
    assert.equal(await changedSince(file, '--output=/tmp/pwned'), undefined);
    assert.equal(await showAtCommit(file, '--help'), undefined);
    assert.equal(fs.existsSync('/tmp/pwned'), false);
  });
});
