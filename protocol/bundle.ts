import { z } from 'zod';
import { ErrorInfo, Id, Kind, NodeStatus, RunStatus } from './runs';

/**
 * # Run bundles: one run as one file (format `runtrail-bundle`, version 1)
 *
 * A bundle is JSON Lines: UTF-8, one JSON value per line, each line ended by `\n`, no blank lines.
 * `runtrail export`, `GET /api/runs/:runId/export` and the extension's "Export Run…" write it;
 * `runtrail import`, `POST /api/import` load it into any store; "Open Run Bundle…" shows it in VS
 * Code without importing it.
 *
 * 1. Line 1, the header: `{"format":"runtrail-bundle","version":1,"exportedAt":"<ISO>",
 *    "producer":"runtrail <version>","redacted":["<key>",…]}`. `redacted` lists the object keys
 *    whose values were replaced by the string `"[redacted]"` at every depth of every node's input,
 *    output, attributes and error, and of the run's error (empty: nothing redacted). A reader
 *    rejects a `version` it does not know (see `supportedBundleVersions`).
 * 2. Line 2, the run: `{"type":"run","run":{…}}` with every field that is data. Counts and sums
 *    that the nodes determine (nodeCount, tokensIn, tokensOut, costUsd) and durationMs
 *    (endedAt − startedAt) are left out: an importer derives them.
 * 3. Then one `{"type":"node","node":{…}}` line per node, ordered by seq, then id (code-unit
 *    order): the order the stores list a run in. Every field is present (null when the node has
 *    none) except the payloads input, output, error and attributes, which are left out when the
 *    node has none, so "recorded null" (`"input":null`) and "never recorded" stay apart. A node's
 *    durationMs is derived (endedAt − startedAt) and left out. Nodes carry no runId: they belong to
 *    the bundle's run.
 * 4. Then the edges, `{"type":"edge","edge":{"type":…,"from":…,"to":…}}`, for other tools (the
 *    stores derive them from the fields above), in this order:
 *    - `CHILD_OF` child → parent, one per node with a parentId, in node order;
 *    - `NEXT` node → its next sibling (same parentId, roots of the run being siblings too), in
 *      node order;
 *    - `REPLAY_OF` run → run, when the run is a replay or fork (its replayOf);
 *    - `FORKED_AT` run → node of the original run, when it is a fork (its forkedFromNode).
 *
 * Placeholders (parents whose own record never arrived) have no node line: a node's parentId
 * that names no node of the bundle is such a parent, and an importer creates the placeholder
 * again (ingest does that by itself). Its CHILD_OF edges are listed like any other.
 *
 * Importing: every line is validated before anything is written (a bad line is a 400 naming its
 * line number and field). Edge lines are optional; any that is present must be one of the edges
 * the node and run lines imply, otherwise the bundle contradicts itself and is rejected. Times
 * are ISO 8601 strings with an offset; payloads are any JSON. Exporting what was imported gives
 * the same bytes, the header's `exportedAt` aside.
 */
export const bundleFormat = 'runtrail-bundle';
export const bundleVersion = 1;
export const supportedBundleVersions: readonly number[] = [1];
export const redactedValue = '[redacted]';

/** The file name the exporters suggest: `<runId>.runtrail.jsonl`. */
export const bundleFileName = (runId: string) => `${runId}.runtrail.jsonl`;

/** An ISO 8601 date-time, parsed to epoch ms (Date.parse); exporters write `toISOString()`. */
const IsoTime = z
  .string()
  .regex(/^[+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/, 'must be an ISO 8601 date-time with an offset')
  .transform((text, ctx) => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'is not a valid date-time' });
      return z.NEVER;
    }
    return ms;
  });

/** Only the fields of the header this version knows; `version` is checked before the rest. */
export const BundleHeader = z.object({
  format: z.literal(bundleFormat),
  version: z.number().int(),
  exportedAt: IsoTime,
  producer: z.string().max(200),
  redacted: z.array(z.string().min(1).max(200)).max(100),
});
export type BundleHeader = z.input<typeof BundleHeader>;

export const BundleRun = z.strictObject({
  id: Id,
  workflow: z.string().min(1).max(200),
  status: RunStatus,
  startedAt: IsoTime,
  endedAt: IsoTime.nullable(),
  error: ErrorInfo.nullable(),
  command: z.union([z.array(z.string().max(4096)).max(256), z.string().max(8192)]).nullable(),
  cwd: z.string().max(4096).nullable(),
  git: z.strictObject({
    repo: z.string().max(2048).nullable(),
    branch: z.string().max(1024).nullable(),
    commit: z.string().max(64).nullable(),
    dirty: z.boolean().nullable(),
  }),
  labels: z.array(z.string().min(1).max(100)).max(32),
  replayOf: Id.nullable(),
  forkedFromNode: Id.nullable(),
});
export type BundleRun = z.input<typeof BundleRun>;

export const BundleNode = z.strictObject({
  id: Id,
  parentId: Id.nullable(),
  key: z.string().max(4096).nullable(),
  kind: Kind,
  name: z.string().min(1).max(1000).nullable(),
  status: NodeStatus,
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  startedAt: IsoTime,
  endedAt: IsoTime.nullable(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  error: ErrorInfo.optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  tokensIn: z.number().int().min(0).nullable(),
  tokensOut: z.number().int().min(0).nullable(),
  costUsd: z.number().min(0).nullable(),
  source: z
    .strictObject({
      file: z.string().min(1).max(4096),
      line: z.number().int().min(1),
      column: z.number().int().min(0).nullable(),
      function: z.string().max(1000).nullable(),
    })
    .nullable(),
  replayed: z.boolean(),
  diverged: z.boolean(),
});
export type BundleNode = z.input<typeof BundleNode>;
export type ParsedBundleNode = z.output<typeof BundleNode>;

export const bundleEdgeTypes = ['CHILD_OF', 'NEXT', 'REPLAY_OF', 'FORKED_AT'] as const;
export const BundleEdge = z.strictObject({ type: z.enum(bundleEdgeTypes), from: Id, to: Id });
export type BundleEdge = z.infer<typeof BundleEdge>;

export const BundleRunLine = z.strictObject({ type: z.literal('run'), run: BundleRun });
export const BundleNodeLine = z.strictObject({ type: z.literal('node'), node: BundleNode });
export const BundleEdgeLine = z.strictObject({ type: z.literal('edge'), edge: BundleEdge });

/** What `POST /api/import` answers: the run as stored, and what the bundle held. */
export const ImportResponse = z.object({ runId: z.string(), nodes: z.number(), edges: z.number() });
export type ImportResponse = z.infer<typeof ImportResponse>;

export const ExportQuery = z.strictObject({
  /** Comma-separated object keys to redact (`?redact=apiKey,password`). */
  redact: z.string().max(2000).optional(),
});

export const ImportQuery = z.strictObject({
  /** Import under this run id instead of the bundle's; node ids become `<as>:<original id>`. */
  as: Id.optional(),
});

/** `a,b, c` → ['a','b','c']: the names `--redact` and `?redact=` take. */
export function redactionNames(list: string | undefined): string[] {
  if (list === undefined) return [];
  return [...new Set(list.split(',').map((name) => name.trim()))].filter((name) => name !== '');
}

/** A whole bundle in memory, as a reader that does not import it (the extension) sees it. */
export interface ParsedBundle {
  readonly header: z.output<typeof BundleHeader>;
  readonly run: z.output<typeof BundleRun>;
  readonly nodes: ParsedBundleNode[];
  readonly edges: BundleEdge[];
}

export class BundleParseError extends Error {
  constructor(
    message: string,
    /** 1-based; 0 when the problem is the file as a whole. */
    readonly line: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'BundleParseError';
  }
}

/**
 * Checks one line of a bundle (1-based `lineNumber`), in file order: line 1 the header, line 2 the
 * run, then nodes before edges. Throws BundleParseError naming the line and the field.
 */
export function parseBundleLine(
  text: string,
  lineNumber: number,
  seen: 'start' | 'header' | 'run' | 'nodes' | 'edges',
):
  | { kind: 'header'; header: z.output<typeof BundleHeader> }
  | { kind: 'run'; run: z.output<typeof BundleRun> }
  | { kind: 'node'; node: ParsedBundleNode }
  | { kind: 'edge'; edge: BundleEdge } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BundleParseError(`line ${lineNumber}: not JSON (${(error as Error).message})`, lineNumber);
  }
  if (seen === 'start') {
    const format = (value as { format?: unknown } | null)?.format;
    if (format !== bundleFormat) {
      throw new BundleParseError(
        `line 1: not a Runtrail bundle (format must be ${JSON.stringify(bundleFormat)}, got ${format === undefined ? 'none' : JSON.stringify(format)})`,
        1,
        'format',
      );
    }
    const version = (value as { version?: unknown }).version;
    if (typeof version !== 'number' || !supportedBundleVersions.includes(version)) {
      throw new BundleParseError(
        `line 1: bundle version ${JSON.stringify(version)} is not supported: this Runtrail reads version ${supportedBundleVersions.join(', ')} (a newer Runtrail wrote it?)`,
        1,
        'version',
      );
    }
    return { kind: 'header', header: check(BundleHeader, value, lineNumber, '') };
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (seen === 'header') {
    if (type !== 'run') throw new BundleParseError(`line ${lineNumber}: expected the run line ({"type":"run",…})`, lineNumber, 'type');
    return { kind: 'run', run: check(BundleRunLine, value, lineNumber, '').run };
  }
  if (type === 'node') {
    if (seen === 'edges') throw new BundleParseError(`line ${lineNumber}: a node line after the edge lines`, lineNumber, 'type');
    return { kind: 'node', node: check(BundleNodeLine, value, lineNumber, '').node };
  }
  if (type === 'edge') return { kind: 'edge', edge: check(BundleEdgeLine, value, lineNumber, '').edge };
  throw new BundleParseError(
    `line ${lineNumber}: type must be "node" or "edge", got ${type === undefined ? 'none' : JSON.stringify(type)}`,
    lineNumber,
    'type',
  );
}

function check<S extends z.ZodType>(schema: S, value: unknown, line: number, prefix: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [prefix, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  throw new BundleParseError(`line ${line}: ${field === '' ? '' : `${field}: `}${issue?.message ?? 'invalid'}${more}`, line, field);
}

/**
 * The edges a run's node and run lines imply, in the bundle's order (see above). Nodes must be in
 * bundle order (seq, id).
 */
export function* deriveEdges(
  run: { id: string; replayOf: string | null; forkedFromNode: string | null },
  nodes: Iterable<{ id: string; parentId: string | null }>,
): Generator<BundleEdge> {
  const list = [...nodes];
  for (const node of list) if (node.parentId !== null) yield { type: 'CHILD_OF', from: node.id, to: node.parentId };
  const last = new Map<string | null, string>();
  for (const node of list) {
    const previous = last.get(node.parentId);
    if (previous !== undefined) yield { type: 'NEXT', from: previous, to: node.id };
    last.set(node.parentId, node.id);
  }
  if (run.replayOf !== null) yield { type: 'REPLAY_OF', from: run.id, to: run.replayOf };
  if (run.forkedFromNode !== null) yield { type: 'FORKED_AT', from: run.id, to: run.forkedFromNode };
}

/**
 * Takes a bundle's lines in order and assembles the parsed bundle: each line checked as it comes
 * (`parseBundleLine`), then the whole (ids, cycles, edges) at `finish`. Both readers use it: the
 * extension over a file's text (`parseBundle`), the sidecar's import over a request stream.
 */
export class BundleReader {
  private header: ParsedBundle['header'] | undefined;
  private run: ParsedBundle['run'] | undefined;
  private readonly nodes: ParsedBundleNode[] = [];
  private readonly edges: BundleEdge[] = [];
  private seen: Parameters<typeof parseBundleLine>[2] = 'start';
  private lines = 0;
  private firstEdgeLine = 0;

  /** The next line (without its newline); returns the node it held, if any. */
  add(raw: string): ParsedBundleNode | undefined {
    const lineNumber = ++this.lines;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') throw new BundleParseError(`line ${lineNumber}: empty line (a bundle has one JSON value per line)`, lineNumber);
    const parsed = parseBundleLine(text, lineNumber, this.seen);
    if (parsed.kind === 'header') {
      this.header = parsed.header;
      this.seen = 'header';
    } else if (parsed.kind === 'run') {
      this.run = parsed.run;
      this.seen = 'run';
    } else if (parsed.kind === 'node') {
      this.nodes.push(parsed.node);
      this.seen = 'nodes';
      return parsed.node;
    } else {
      if (this.firstEdgeLine === 0) this.firstEdgeLine = lineNumber;
      this.edges.push(parsed.edge);
      this.seen = 'edges';
    }
    return undefined;
  }

  /** The line number of the last line added. */
  get lineNumber(): number {
    return this.lines;
  }

  /** After the last line: checks the whole (ids unique, no cycle, edges implied by the nodes). */
  finish(): ParsedBundle {
    const { header, run, nodes, edges } = this;
    if (header === undefined) throw new BundleParseError('the bundle is empty: it starts with its header line', 0);
    if (run === undefined) throw new BundleParseError(`line ${this.lines + 1}: the run line is missing`, this.lines + 1, 'type');
    checkNodes(nodes, 3);
    checkEdges(run, nodes, edges, this.firstEdgeLine);
    return { header, run, nodes, edges };
  }
}

/**
 * Reads a whole bundle text (the extension opens files with it). Every line is checked; edges that
 * contradict the nodes are rejected like the importer rejects them.
 */
export function parseBundle(text: string): ParsedBundle {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const reader = new BundleReader();
  for (const line of lines) reader.add(line);
  return reader.finish();
}

/** Unique ids, no node its own ancestor. `firstLine` is the line of nodes[0]. */
export function checkNodes(nodes: readonly ParsedBundleNode[], firstLine: number): void {
  const index = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (index.has(node.id)) {
      throw new BundleParseError(
        `line ${firstLine + i}: node.id ${node.id} repeats line ${firstLine + (index.get(node.id) as number)}`,
        firstLine + i,
        'node.id',
      );
    }
    index.set(node.id, i);
  });
  // Walk up from each node, remembering nodes known to reach a root, so the check is linear.
  const reachesRoot = new Set<string>();
  nodes.forEach((node, i) => {
    const path: string[] = [];
    const onPath = new Set<string>();
    let current: string | null = node.id;
    while (current !== null && !reachesRoot.has(current)) {
      if (onPath.has(current)) {
        throw new BundleParseError(
          `line ${firstLine + i}: node.parentId: the parents form a cycle: ${[...path.slice(path.indexOf(current)), current].join(' -> ')}`,
          firstLine + i,
          'node.parentId',
        );
      }
      onPath.add(current);
      path.push(current);
      const at = index.get(current);
      current = at === undefined ? null : (nodes[at] as ParsedBundleNode).parentId;
    }
    for (const id of path) reachesRoot.add(id);
  });
}

/** Every edge line must be one the nodes and run imply. `firstLine` is the line of edges[0]. */
export function checkEdges(
  run: { id: string; replayOf: string | null; forkedFromNode: string | null },
  nodes: readonly { id: string; parentId: string | null }[],
  edges: readonly BundleEdge[],
  firstLine: number,
): void {
  if (edges.length === 0) return;
  const implied = new Set<string>();
  for (const edge of deriveEdges(run, nodes)) implied.add(edgeKey(edge));
  edges.forEach((edge, i) => {
    if (!implied.has(edgeKey(edge))) {
      throw new BundleParseError(
        `line ${firstLine + i}: edge ${edge.type} ${edge.from} -> ${edge.to} contradicts the node and run lines (edges are derived from parentId, seq order, replayOf and forkedFromNode)`,
        firstLine + i,
        'edge',
      );
    }
  });
}

const edgeKey = (edge: BundleEdge) => `${edge.type}\u0000${edge.from}\u0000${edge.to}`;
