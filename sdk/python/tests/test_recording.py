"""What a workflow's run looks like in the sidecar: tree, kinds, keys, sources, payloads."""

from __future__ import annotations

import shutil
import subprocess
import unittest
from typing import Any, ClassVar, Dict, List

from support import FIXTURES, REPO_ROOT, last_json, marked_lines, run_fixture, shared_sidecar

AGENT = FIXTURES / "agent.py"

EXPECTED_KEYS = [
    ("/plan#0", "step"),
    ("/plan#0/search#0", "tool"),
    ("/plan#0/search#1", "tool"),
    ("/fetch#0", "step"),
    ("/fetch#1", "step"),
    ("/summarize#0", "step"),
    ("/summarize#0/draft#0", "llm"),
    ("/route#0", "decision"),
    ("/gather#0", "step"),
    ("/gather#0/lookup#0", "tool"),
    ("/gather#0/lookup#1", "tool"),
    ("/gather#0/lookup#2", "tool"),
    ("/finished#0", "log"),
]


def _shape(nodes: List[Dict[str, Any]]) -> List[Any]:
    return [(node["name"], node["kind"], _shape(node["children"])) for node in nodes]


class AgentRunTest(unittest.TestCase):
    runs: ClassVar[List[str]] = []

    @classmethod
    def setUpClass(cls) -> None:
        sidecar = shared_sidecar()
        cls.runs = []
        # Two runs of the same code: keys must agree.
        for _ in range(2):
            done = run_fixture("agent.py", sidecar.env())
            if done.returncode != 0:
                raise AssertionError(f"agent.py failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
            if done.stderr.strip():
                raise AssertionError(f"agent.py wrote to stderr:\n{done.stderr}")
            cls.runs.append(last_json(done.stdout)["runId"])

    def setUp(self) -> None:
        self.sidecar = shared_sidecar()
        self.run_id = self.runs[0]
        self.nodes = self.sidecar.by_key(self.run_id)

    def payload(self, key: str) -> Dict[str, Any]:
        return self.sidecar.node(self.nodes[key]["id"])

    def test_nesting_and_kinds_follow_the_code(self) -> None:
        roots = self.sidecar.roots(self.run_id)
        self.assertEqual(
            _shape(roots),
            [
                ("plan", "step", [("search", "tool", []), ("search", "tool", [])]),
                ("fetch", "step", []),
                ("fetch", "step", []),
                ("summarize", "step", [("draft", "llm", [])]),
                ("route", "decision", []),
                ("gather", "step", [("lookup", "tool", []), ("lookup", "tool", []), ("lookup", "tool", [])]),
                ("finished", "log", []),
            ],
        )
        flat = self.sidecar.nodes(self.run_id)
        self.assertEqual([node["seq"] for node in sorted(flat, key=lambda n: n["seq"])], list(range(len(EXPECTED_KEYS))))
        self.assertTrue(all(not node["placeholder"] and node["status"] in ("ok", "error") for node in flat))

    def test_keys_are_stable_across_two_runs_of_the_same_code(self) -> None:
        first, second = (
            sorted((node["key"], node["kind"], node["name"], node["status"]) for node in self.sidecar.nodes(run)) for run in self.runs
        )
        self.assertEqual(first, second)
        self.assertEqual(sorted(key for key, *_ in first), sorted(key for key, _ in EXPECTED_KEYS))
        self.assertEqual({key: self.nodes[key]["kind"] for key, _ in EXPECTED_KEYS}, dict(EXPECTED_KEYS))
        self.assertNotEqual(self.runs[0], self.runs[1])

    def test_source_is_the_workflow_line_that_called_the_sdk(self) -> None:
        marks = marked_lines(AGENT)
        expected = {
            "/plan#0": ("plan", "main"),
            "/plan#0/search#0": ("search-0", "main"),
            "/plan#0/search#1": ("search-1", "main"),
            "/fetch#0": ("fetch", "main"),
            "/fetch#1": ("fetch", "main"),
            "/summarize#0": ("summarize", "main"),
            "/summarize#0/draft#0": ("summarize-llm", "summarize"),
            "/route#0": ("route", "main"),
            "/gather#0/lookup#0": ("lookup-direct", "gather_all"),
            "/finished#0": ("log", "main"),
            # Coroutines the event loop drives (asyncio.run, gather) have no calling frame:
            # their source is where the function is defined.
            "/gather#0": ("gather-def", "gather_all"),
            "/gather#0/lookup#1": ("lookup-def", "lookup"),
        }
        for key, (mark, function) in expected.items():
            with self.subTest(key=key):
                source = self.nodes[key]["source"]
                self.assertEqual(source["file"], str(AGENT))
                self.assertEqual(source["line"], marks[mark])
                self.assertEqual(source["function"], function)
        # Column of `runtrail.tool(...)` in `        hits = runtrail.tool(...)`: 1-based.
        line = AGENT.read_text(encoding="utf-8").splitlines()[marks["search-0"] - 1]
        self.assertEqual(self.nodes["/plan#0/search#0"]["source"]["column"], line.index("runtrail.tool") + 1)

    def test_decision_records_every_option_and_the_chosen_one(self) -> None:
        node = self.payload("/route#0")
        options = [
            {"label": "answer", "score": 0.9, "rationale": "enough context"},
            {"label": "search-more", "score": 0.3},
            {"label": "give-up"},
        ]
        self.assertEqual(node["kind"], "decision")
        self.assertEqual(node["status"], "ok")
        self.assertEqual(node["input"], {"options": options})
        self.assertEqual(node["output"], {"chosen": "answer"})
        self.assertEqual(node["attributes"], {"options": options, "chosen": "answer"})

    def test_failing_then_retried_step_is_an_error_node_then_an_ok_node(self) -> None:
        failed, retried = self.payload("/fetch#0"), self.payload("/fetch#1")
        self.assertEqual((failed["status"], retried["status"]), ("error", "ok"))
        self.assertEqual((failed["attributes"], retried["attributes"]), ({"attempt": 1}, {"attempt": 2}))
        self.assertEqual(failed["error"]["message"], "flaky network")
        self.assertEqual(failed["error"]["type"], "ConnectionError")
        self.assertIn("raise ConnectionError", failed["error"]["stack"])
        self.assertEqual(retried["output"], "page body")
        self.assertLess(failed["seq"], retried["seq"])
        self.assertIsNone(failed["parentId"])
        self.assertIsNone(retried["parentId"])

    def test_llm_records_model_and_usage(self) -> None:
        node = self.payload("/summarize#0/draft#0")
        self.assertEqual(node["output"], "alpha-0 alpha-1 beta-0")
        self.assertEqual((node["tokensIn"], node["tokensOut"], node["costUsd"]), (12, 5, 0.002))
        self.assertEqual(node["attributes"], {"model": "small-1"})
        run = self.sidecar.run(self.run_id)
        self.assertEqual((run["tokensIn"], run["tokensOut"]), (12, 5))

    def test_with_block_and_decorator_record_input_and_output(self) -> None:
        plan = self.payload("/plan#0")
        self.assertEqual(plan["input"], {"goal": "answer"})
        self.assertEqual(plan["output"], {"hits": 3})
        search = self.payload("/plan#0/search#1")
        self.assertEqual(search["input"], {"query": "beta", "limit": 1})
        self.assertEqual(search["output"], ["beta-0"])
        summarize = self.payload("/summarize#0")
        self.assertEqual(summarize["input"], {"texts": ["alpha-0", "alpha-1", "beta-0"]})
        self.assertEqual(summarize["output"], "alpha-0 alpha-1 beta-0")
        gather = self.payload("/gather#0")
        self.assertEqual(gather["output"], ["W", "X", "Y"])
        self.assertEqual(self.payload("/gather#0/lookup#2")["input"], {"term": "y"})
        log = self.payload("/finished#0")
        self.assertEqual((log["status"], log["output"], log["attributes"]), ("ok", "finished", {"route": "answer"}))

    def test_run_carries_workflow_command_and_git_context(self) -> None:
        run = self.sidecar.run(self.run_id)
        self.assertEqual(run["workflow"], "agent")
        self.assertEqual(run["status"], "ok")
        self.assertIsNotNone(run["endedAt"])
        self.assertIn(str(AGENT), run["command"])
        self.assertEqual(run["cwd"], str(REPO_ROOT))
        # git and a checkout are prerequisites of the suite (the examples search with git grep), not skips.
        git = shutil.which("git")
        self.assertIsNotNone(git, "git is not installed: the test suite needs it")
        head = subprocess.run([str(git), "rev-parse", "HEAD"], cwd=str(REPO_ROOT), capture_output=True, text=True)
        self.assertEqual(head.returncode, 0, f"the repository is not a git checkout: {head.stderr}")
        self.assertEqual(run["git"]["commit"], head.stdout.strip())
        self.assertIsInstance(run["git"]["dirty"], bool)
