import * as assert from 'node:assert/strict';
import { isFromGraphWebview } from '../../../extension/graph/graphMessages';
import { graphPanelHtml, graphRows, graphSnapshot } from '../../../extension/graph/graphPanelHtml';
import { NodeTree } from '../../../extension/views/nodeTree';
import { aNode, aRunDto } from './dtos';

describe('extension run panel', () => {
  it('lists the nodes depth-first with what the table shows', () => {
    const tree = new NodeTree('run-1', [
      aNode('root', { seq: 0, kind: 'step', durationMs: 1200 }),
      aNode('ask', {
        parentId: 'root',
        seq: 1,
        kind: 'llm',
        name: '<b>ask</b>',
        source: { file: '/w/a.py', line: 3, column: null, function: null },
      }),
      aNode('later', { seq: 2, status: 'running' }),
    ]);
    assert.deepEqual(graphRows(tree), [
      { id: 'root', depth: 0, name: 'root', kind: 'step', status: 'ok', duration: '1.2 s', key: '/root#0', source: '' },
      { id: 'ask', depth: 1, name: '<b>ask</b>', kind: 'llm', status: 'ok', duration: '', key: '/ask#0', source: '/w/a.py:3' },
      { id: 'later', depth: 0, name: 'later', kind: 'step', status: 'running', duration: '', key: '/later#0', source: '' },
    ]);
    const snapshot = graphSnapshot(
      aRunDto({ workflow: 'triage', startedAt: '2026-01-01T12:00:00Z' }),
      tree,
      Date.parse('2026-01-01T12:03:00Z'),
    );
    assert.equal(snapshot.title, 'triage · ok · 3m ago · 1.2 s · 3 nodes');
    assert.equal(snapshot.notice, null);
  });

  it('serves a page with a nonce-only CSP and no run data in its markup', () => {
    const html = graphPanelHtml({ nonce: 'NONCE123', cspSource: 'https://webview.example', runId: '<img src=x onerror=alert(1)>' });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? assert.fail('no CSP');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-NONCE123'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(html.match(/<script nonce="NONCE123">/g)?.length, 1);
    assert.equal(html.match(/<script/g)?.length, 1, 'no other script');
    assert.doesNotMatch(html, /innerHTML|insertAdjacentHTML|document\.write/);
    assert.doesNotMatch(html, /<img src=x/, 'the run id is escaped in the title');
  });

  it('accepts only the messages the page may send', () => {
    assert.equal(isFromGraphWebview({ method: 'graph/ready' }), true);
    assert.equal(isFromGraphWebview({ method: 'graph/inspectNode', params: { nodeId: 'n1' } }), true);
    assert.equal(isFromGraphWebview({ method: 'graph/inspectNode', params: { nodeId: 7 } }), false);
    assert.equal(isFromGraphWebview({ method: 'run/delete' }), false);
    assert.equal(isFromGraphWebview('graph/ready'), false);
  });
});
