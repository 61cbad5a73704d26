"""A triage agent: reads an issue, plans, searches this repository with real tools (git grep,
reading files), decides how to route the issue, and writes a report. The planner is a small
rule-based stand-in for a model (planner.py), so it runs offline.

    python3 examples/python/triage.py [examples/fixtures/issues/<file>.md]
    runtrail run triage-py          # the same through the runner (runtrail.json)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[2]
# The SDK from this checkout; `pip install sdk/python` makes this line unnecessary.
sys.path.insert(0, str(REPO / "sdk" / "python"))

import runtrail  # noqa: E402
from planner import Issue, estimate_tokens, match_labels, parse_issue, plan, report, route_options  # noqa: E402

MODEL = "rule-planner (a stand-in, not a model)"


@runtrail.step("read issue")
def read_issue(path: Path) -> Dict[str, str]:
    # Plain JSON out: a replay serves recorded outputs back as JSON values, not as Issue tuples.
    return dict(parse_issue(path.read_text(encoding="utf-8"))._asdict())


def git_grep(term: str) -> List[str]:
    """Lines of tracked files containing `term` (fixed string, whole word, any case), at most 20."""
    done = subprocess.run(
        ["git", "grep", "-n", "-I", "-i", "-w", "-F", "--max-count=3", "-e", term, "--", ".", ":!examples", ":!*.md"],
        cwd=REPO, capture_output=True, text=True,
    )
    if done.returncode == 1:  # no match
        return []
    done.check_returncode()
    return done.stdout.splitlines()[:20]


def read_around(file: str, line: int) -> str:
    lines = (REPO / file).read_text(encoding="utf-8").splitlines()
    return "\n".join(lines[max(0, line - 4): line + 3])


_label_calls = 0


def fetch_labels(issue: Issue) -> List[str]:
    """The label service is flaky: its first call in each process fails, as remote calls sometimes do."""
    global _label_calls
    _label_calls += 1
    if _label_calls == 1:
        raise ConnectionResetError("the label service dropped the connection (simulated transient failure)")
    labels = json.loads((REPO / "examples/fixtures/labels.json").read_text(encoding="utf-8"))["labels"]
    return match_labels(issue, labels)


def investigate(terms: List[str]) -> List[Dict[str, object]]:
    evidence: List[Dict[str, object]] = []
    for term in terms:
        hits = runtrail.tool("git grep", git_grep, term, input={"term": term})
        if hits:
            file, line, _ = hits[0].split(":", 2)
            runtrail.tool("read file", read_around, file, int(line), input={"file": file, "line": int(line)})
        evidence.append({"term": term, "hits": hits})
    return evidence


def main() -> None:
    issue_file = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "examples/fixtures/issues/ingest-503-under-load.md").resolve()
    runtrail.start_run("triage-py")

    issue = Issue(**read_issue(issue_file))
    runtrail.log(f'triaging "{issue.title}"')

    planned = runtrail.llm(
        "plan",
        lambda: runtrail.usage(plan(issue), tokens_in=estimate_tokens(issue.body), tokens_out=40, cost_usd=0.0),
        model=MODEL, input=issue._asdict(),
    )
    labels = runtrail.tool("fetch labels", fetch_labels, issue, retries=2, input={"source": "examples/fixtures/labels.json"})
    evidence = runtrail.step("investigate", investigate, planned["search_terms"])

    route = runtrail.decide(
        "route",
        route_options(str(planned["severity"]), evidence),
        lambda options: max(options, key=lambda option: option["score"]),
    )

    with runtrail.llm("draft report", model=MODEL) as draft:
        markdown = report(issue, str(planned["severity"]), labels, evidence, route)
        draft.output = markdown

    with runtrail.step("write report") as write:
        out = REPO / ".runtrail" / "reports" / f"triage-py-{issue_file.stem}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown, encoding="utf-8")
        write.output = str(out)

    print(f"route: {route}; report: {out.relative_to(REPO)}")
    runtrail.finish()


if __name__ == "__main__":
    main()
