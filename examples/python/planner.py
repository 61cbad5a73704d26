"""The "model" of the triage example: small deterministic rules standing in for an LLM, so the
example runs offline and gives the same tree every time. It is NOT a language model; it plays the
part of one in the recorded run (kind `llm`, token counts estimated from words)."""

from __future__ import annotations

import math
import re
from typing import Dict, List, NamedTuple


class Issue(NamedTuple):
    title: str
    body: str


def parse_issue(text: str) -> Issue:
    first, _, rest = text.partition("\n")
    return Issue(title=re.sub(r"^#+\s*", "", first).strip(), body=rest.strip())


def plan(issue: Issue) -> Dict[str, object]:
    """Code spans first (`Retry-After`), then UPPER_SNAKE settings; severity from a few words."""
    text = f"{issue.title}\n{issue.body}"
    spans = [re.sub(r"[?!.]+$", "", m) for m in re.findall(r"`([^`\n]{3,60})`", text)]
    settings = re.findall(r"\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b", text)
    terms: List[str] = []
    for term in spans + settings:
        if term not in terms and (" " not in term or len(term) < 20):
            terms.append(term)
    lower = text.lower()
    severity = "high" if re.search(r"blocker|crash|data loss", lower) else "medium" if re.search(r"annoying|daily|stops", lower) else "low"
    return {"search_terms": terms[:3], "severity": severity, "summary": f"{issue.title} (severity {severity})"}


def match_labels(issue: Issue, labels: List[Dict[str, object]]) -> List[str]:
    lower = f"{issue.title}\n{issue.body}".lower()
    return [str(label["name"]) for label in labels if any(str(k) in lower for k in label["keywords"])]  # type: ignore[union-attr]


def route_options(severity: str, evidence: List[Dict[str, object]]) -> List[Dict[str, object]]:
    """Scores the three ways forward from what the search found."""
    found = sum(1 for e in evidence if e["hits"])
    hits = sum(len(e["hits"]) for e in evidence)  # type: ignore[arg-type]
    weight = {"high": 0.3, "medium": 0.15, "low": 0.0}[severity]
    return [
        {"label": "fix-now", "score": round(min(1.0, 0.2 + 0.15 * found + weight), 2),
         "rationale": f"{found} of {len(evidence)} terms found in code ({hits} lines); severity {severity}"},
        {"label": "needs-repro", "score": round(0.7 if found == 0 else 0.35 - 0.05 * found, 2),
         "rationale": "nothing in the code matches the report" if found == 0 else "the code paths exist; a repro would confirm the cause"},
        {"label": "document", "score": 0.5 if severity == "low" else 0.1,
         "rationale": "behaviour may be intended; a docs note could be enough"},
    ]


def report(issue: Issue, severity: str, labels: List[str], evidence: List[Dict[str, object]], route: str) -> str:
    lines = [f"# Triage: {issue.title}", "", f"- route: **{route}**", f"- severity: {severity}", f"- labels: {', '.join(labels) or '(none)'}", ""]
    for e in evidence:
        lines += [f"## `{e['term']}` — {len(e['hits'])} hit(s)", ""]  # type: ignore[arg-type]
        lines += [f"    {hit}" for hit in list(e["hits"])[:5]]  # type: ignore[call-overload]
        lines.append("")
    return "\n".join(lines)


def estimate_tokens(text: str) -> int:
    """A rough token count (words × 4/3), what a model bill would be based on."""
    return math.ceil(len(text.split()) * 4 / 3)
