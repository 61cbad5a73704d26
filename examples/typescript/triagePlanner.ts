/**
 * The "model" of the triage example: small deterministic rules standing in for an LLM, so the
 * example runs offline and gives the same tree every time. It is NOT a language model; it plays
 * the part of one in the recorded run (kind `llm`, with token counts estimated from words).
 */

export interface Issue {
  readonly title: string;
  readonly body: string;
}

export interface Plan {
  /** What to look for in the repository, most specific first. */
  readonly searchTerms: string[];
  readonly severity: 'high' | 'medium' | 'low';
  readonly summary: string;
}

export interface Label {
  readonly name: string;
  readonly keywords: readonly string[];
}

export interface Evidence {
  readonly term: string;
  readonly hits: readonly string[];
}

export interface RouteOption {
  readonly label: 'fix-now' | 'needs-repro' | 'document';
  readonly score: number;
  readonly rationale: string;
}

export function parseIssue(text: string): Issue {
  const [first = '', ...rest] = text.split('\n');
  return { title: first.replace(/^#+\s*/, '').trim(), body: rest.join('\n').trim() };
}

/** Code spans first (`Last-Event-ID`), then UPPER_SNAKE settings, then a few domain words. */
export function plan(issue: Issue): Plan {
  const text = `${issue.title}\n${issue.body}`;
  const codeSpans = [...text.matchAll(/`([^`\n]{3,60})`/g)].map((m) => (m[1] as string).replace(/[?!.]+$/, ''));
  const settings = [...text.matchAll(/\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b/g)].map((m) => m[0]);
  const searchTerms = unique([...codeSpans, ...settings])
    // Paths and status lines make poor grep terms: keep identifiers.
    .filter((term) => !/\s/.test(term) || term.length < 20)
    .slice(0, 3);
  const lower = text.toLowerCase();
  const severity = /blocker|crash|data loss/.test(lower) ? 'high' : /annoying|daily|stops/.test(lower) ? 'medium' : 'low';
  const summary = `${issue.title} (severity ${severity}; looking for ${searchTerms.join(', ') || 'nothing specific'})`;
  return { searchTerms, severity, summary };
}

export function matchLabels(issue: Issue, labels: readonly Label[]): string[] {
  const lower = `${issue.title}\n${issue.body}`.toLowerCase();
  return labels.filter((label) => label.keywords.some((k) => lower.includes(k))).map((label) => label.name);
}

/** Scores the three ways forward from what the search found. */
export function routeOptions(planned: Plan, evidence: readonly Evidence[]): RouteOption[] {
  const hits = evidence.reduce((sum, e) => sum + e.hits.length, 0);
  const termsFound = evidence.filter((e) => e.hits.length > 0).length;
  const severityWeight = { high: 0.3, medium: 0.15, low: 0 }[planned.severity];
  return [
    {
      label: 'fix-now',
      score: round2(Math.min(1, 0.2 + 0.15 * termsFound + severityWeight)),
      rationale: `${termsFound} of ${evidence.length} terms found in code (${hits} lines); severity ${planned.severity}`,
    },
    {
      label: 'needs-repro',
      score: round2(termsFound === 0 ? 0.7 : 0.35 - 0.05 * termsFound),
      rationale: termsFound === 0 ? 'nothing in the code matches the report' : 'the code paths exist; a repro would confirm the cause',
    },
    {
      label: 'document',
      score: round2(planned.severity === 'low' ? 0.5 : 0.1),
      rationale: 'behaviour may be intended; a docs note could be enough',
    },
  ];
}

export function report(issue: Issue, planned: Plan, labels: readonly string[], evidence: readonly Evidence[], route: string): string {
  const lines = [
    `# Triage: ${issue.title}`,
    '',
    `- route: **${route}**`,
    `- severity: ${planned.severity}`,
    `- labels: ${labels.join(', ') || '(none)'}`,
    '',
  ];
  for (const e of evidence) {
    lines.push(`## \`${e.term}\` — ${e.hits.length} hit(s)`, '');
    for (const hit of e.hits.slice(0, 5)) lines.push(`    ${hit}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** A rough token count (words × 4/3), what a model bill would be based on. */
export function estimateTokens(text: string): number {
  return Math.ceil((text.split(/\s+/).filter(Boolean).length * 4) / 3);
}

const unique = (values: string[]) => [...new Set(values)];
const round2 = (x: number) => Math.round(x * 100) / 100;
