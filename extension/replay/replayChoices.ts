import type { Node, Run } from '../../protocol/runs';

/**
 * What the replay commands offer to pick from: a decision's options, and the runs to compare a
 * run with. Pure (no vscode), so it is unit-tested.
 */

export interface DecisionOption {
  readonly label: string;
  readonly score: number | undefined;
  readonly rationale: string | undefined;
  /** The option the run took. */
  readonly chosen: boolean;
}

export const isDecision = (node: Pick<Node, 'kind'>): boolean => node.kind === 'decision';

/**
 * A decision node's options, as the SDKs record them (sdk/README.md "Decisions"):
 * `attributes.options` = `[{label, score?, rationale?}]` (or bare labels) and `attributes.chosen`;
 * the payloads (`input.options`, `output.chosen`) stand in when attributes are missing.
 */
export function decisionOptions(node: Pick<Node, 'attributes' | 'input' | 'output'>): DecisionOption[] {
  const attributes = node.attributes ?? {};
  const rawOptions = Array.isArray(attributes.options) ? attributes.options : field(node.input, 'options');
  const chosenValue = attributes.chosen ?? field(node.output, 'chosen');
  const chosen = typeof chosenValue === 'string' ? chosenValue : labelOf(chosenValue);
  const options: DecisionOption[] = [];
  const seen = new Set<string>();
  for (const raw of Array.isArray(rawOptions) ? rawOptions : []) {
    const label = labelOf(raw);
    if (label === undefined || seen.has(label)) continue;
    seen.add(label);
    const value = typeof raw === 'object' && raw !== null ? (raw as { score?: unknown; rationale?: unknown }) : {};
    options.push({
      label,
      score: typeof value.score === 'number' ? value.score : undefined,
      rationale: typeof value.rationale === 'string' ? value.rationale : undefined,
      chosen: label === chosen,
    });
  }
  return options;
}

/** The runs a run can be compared with: the others of its workflow, newest first. */
export function compareCandidates(runs: readonly Run[], run: Pick<Run, 'id' | 'workflow'>): Run[] {
  return runs
    .filter((other) => other.id !== run.id && other.workflow === run.workflow)
    .sort((x, y) => (Date.parse(y.startedAt) || 0) - (Date.parse(x.startedAt) || 0));
}

function labelOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'object' && value !== null && typeof (value as { label?: unknown }).label === 'string') {
    const label = (value as { label: string }).label;
    return label === '' ? undefined : label;
  }
  return undefined;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** Which run is a and which is b in a comparison: the original before its replay, else the older first. */
export function compareOrder<R extends Pick<Run, 'id' | 'startedAt' | 'replayOf'>>(x: R, y: R): [R, R] {
  if (y.replayOf === x.id) return [x, y];
  if (x.replayOf === y.id) return [y, x];
  return (Date.parse(y.startedAt) || 0) < (Date.parse(x.startedAt) || 0) ? [y, x] : [x, y];
}
