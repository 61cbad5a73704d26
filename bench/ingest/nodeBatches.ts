import type { NodeRecord } from '../../protocol/runs';

/**
 * The record shape every scenario writes, through HTTP and straight into the stores alike: what an
 * SDK reports for a finished step. Node i of a run has node floor((i-1)/4) as parent (a 4-ary
 * tree, so a parent always arrives before its children), kind `llm` for every fifth node and
 * `step` otherwise, status `ok`, and input/output payloads of about 200 bytes of JSON each.
 */

const filler = 'The quick brown fox jumps over the lazy dog while the agent plans its next tool call. ';
const content = (filler + filler).slice(0, 150);

export const nodeInput = (i: number) => ({ role: 'user', content, turn: i });
export const nodeOutput = (i: number) => ({ role: 'assistant', content, tokens: 40 + (i % 50) });

/** The fields of one node record, as the API receives it and as the direct writers store it. */
export interface BenchNode {
  id: string;
  parentId: string | null;
  kind: 'step' | 'llm';
  name: string;
  seq: number;
  startedAt: number;
  endedAt: number;
  input: string;
  output: string;
}

export const parentIndex = (i: number): number | null => (i === 0 ? null : Math.floor((i - 1) / 4));

const epoch = Date.UTC(2025, 0, 1);

function benchNode(runId: string, i: number, parent: number | null): BenchNode {
  const startedAt = epoch + i * 10;
  return {
    id: `${runId}.${i}`,
    parentId: parent === null ? null : `${runId}.${parent}`,
    kind: i % 5 === 0 ? 'llm' : 'step',
    name: i % 5 === 0 ? 'chat completion' : `step ${i % 7}`,
    seq: i,
    startedAt,
    endedAt: startedAt + 7,
    input: JSON.stringify(nodeInput(i)),
    output: JSON.stringify(nodeOutput(i)),
  };
}

/** The successive batches of one run: each call returns the next `size` fresh nodes. */
export class NodeBatches {
  private next = 0;

  constructor(
    readonly runId: string,
    private readonly parentOf: (i: number) => number | null = parentIndex,
  ) {}

  take(size: number): BenchNode[] {
    const nodes: BenchNode[] = [];
    for (let k = 0; k < size; k++, this.next++) nodes.push(benchNode(this.runId, this.next, this.parentOf(this.next)));
    return nodes;
  }
}

/** The API's JSON body for a batch (payloads as JSON values, as an SDK sends them). */
export function ingestBody(nodes: readonly BenchNode[]): string {
  const records = nodes.map(
    (n): NodeRecord => ({
      id: n.id,
      ...(n.parentId === null ? {} : { parentId: n.parentId }),
      kind: n.kind,
      name: n.name,
      status: 'ok',
      seq: n.seq,
      startedAt: n.startedAt,
      endedAt: n.endedAt,
      input: nodeInput(n.seq),
      output: nodeOutput(n.seq),
    }),
  );
  return JSON.stringify({ nodes: records });
}

let runCounter = 0;
const session = Date.now().toString(36);

/** A run id unique to this bench process: `<label>-<session>-<counter>`. */
export function freshRunId(label: string): string {
  runCounter += 1;
  return `${label}-${session}-${runCounter}`;
}
