"""Replay as the runner starts it: RUNTRAIL_REPLAY_OF (+ RUNTRAIL_REPLAY_UNTIL, RUNTRAIL_OVERRIDES)
against the real sidecar, counting which step bodies really ran; and the SDK's lookup of the
recording against a small local stub (only the query it sends and how it reads the answer)."""

from __future__ import annotations

import http.server
import json
import os
import tempfile
import threading
import unittest
from typing import Any, Dict, List, Tuple

from support import Sidecar, last_json, run_fixture, shared_sidecar

from runtrail._client import SidecarClient
from runtrail._replay import Replay, ReplayedError, parse_overrides, replayed_error, split_key

ALL_KEYS = [
    "/fetch#0",
    "/flaky#0",
    "/flaky#1",
    "/validate#0",
    "/audit#0",
    "/plan#0",
    "/plan#0/think#0",
    "/plan#0/think#1",
    "/route#0",
    "/answer-a#0",
    "/summarize#0",
]


class Outcome:
    def __init__(self, run_id: str, result: Dict[str, Any], bodies: List[str]) -> None:
        self.run_id = run_id
        self.result = result
        self.bodies = bodies


def replay_run(sidecar: Sidecar, extra: Dict[str, str]) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="runtrail-replay-") as folder:
        bodies = os.path.join(folder, "bodies")
        open(bodies, "w").close()
        done = run_fixture("replayable.py", {**sidecar.env(), "RUNTRAIL_TEST_BODIES": bodies, **extra})
        if done.returncode != 0 or done.stderr:
            raise AssertionError(f"the fixture failed ({done.returncode}): {done.stderr}")
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        with open(bodies, encoding="utf-8") as read:
            ran = [line for line in read.read().splitlines() if line]
    return Outcome(lines[0]["runId"], last_json(done.stdout)["result"], ran)


def nodes_by_key(sidecar: Sidecar, run_id: str) -> Dict[str, Dict[str, Any]]:
    return {key: sidecar.node(node["id"]) for key, node in sidecar.by_key(run_id).items()}


class ReplayTest(unittest.TestCase):
    sidecar: Sidecar
    original: Outcome
    original_nodes: Dict[str, Dict[str, Any]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.sidecar = shared_sidecar()
        cls.original = replay_run(cls.sidecar, {})
        cls.original_nodes = nodes_by_key(cls.sidecar, cls.original.run_id)

    def id_of(self, key: str) -> str:
        return str(self.original_nodes[key]["id"])

    def test_the_original_runs_every_body(self) -> None:
        self.assertEqual(
            self.original.bodies,
            ["fetch", "flaky1", "flaky2", "validate", "audit", "plan", "think0", "think1", "choose", "answer-a", "summarize"],
        )
        self.assertEqual(sorted(self.original_nodes), sorted(ALL_KEYS))

    def test_a_replay_serves_every_step_from_the_recording(self) -> None:
        replay = replay_run(self.sidecar, {"RUNTRAIL_REPLAY_OF": self.original.run_id})
        self.assertEqual(replay.bodies, [], "no recorded body ran again")
        original_caught, caught = self.original.result["caught"], replay.result["caught"]
        without_caught = [{k: v for k, v in r.items() if k != "caught"} for r in (replay.result, self.original.result)]
        self.assertEqual(without_caught[0], without_caught[1], "the workflow saw the recorded outputs")
        # A builtin exception comes back as itself; another as a RuntimeError subclass of the same name.
        self.assertEqual(caught[0], original_caught[0])
        self.assertEqual(caught[0]["name"], "ValueError")
        self.assertEqual((caught[1]["name"], caught[1]["message"]), ("QuotaError", "over quota"))
        self.assertEqual((caught[1]["isQuotaError"], caught[1]["isRuntimeError"]), (False, True))

        nodes = nodes_by_key(self.sidecar, replay.run_id)
        self.assertEqual(sorted(nodes), sorted(ALL_KEYS))
        for key in ALL_KEYS:
            node, recorded = nodes[key], self.original_nodes[key]
            self.assertEqual((node["replayed"], node["diverged"]), (True, False), key)
            self.assertEqual(node["status"], recorded["status"], key)
            self.assertEqual(node["output"], recorded["output"], key)
            self.assertEqual(node["attributes"]["replays"], recorded["id"], key)
        self.assertEqual((nodes["/flaky#0"]["status"], nodes["/flaky#0"]["error"]["type"]), ("error", "ConnectionError"))
        self.assertEqual(nodes["/flaky#0"]["attributes"]["attempt"], 1)

    def test_a_fork_goes_live_from_the_until_node_and_its_ancestors(self) -> None:
        fork = replay_run(self.sidecar, {"RUNTRAIL_REPLAY_OF": self.original.run_id, "RUNTRAIL_REPLAY_UNTIL": self.id_of("/plan#0/think#1")})
        self.assertEqual(fork.bodies, ["plan", "think1", "choose", "answer-a", "summarize"])
        self.assertEqual(fork.result["summary"], self.original.result["summary"])
        nodes = nodes_by_key(self.sidecar, fork.run_id)
        self.assertEqual(
            [key for key in ALL_KEYS if nodes[key]["replayed"]],
            ["/fetch#0", "/flaky#0", "/flaky#1", "/validate#0", "/audit#0", "/plan#0/think#0"],
        )
        self.assertFalse(any(nodes[key]["diverged"] for key in ALL_KEYS))

    def test_an_override_takes_the_other_option_and_runs_what_follows_live(self) -> None:
        fork = replay_run(
            self.sidecar,
            {
                "RUNTRAIL_REPLAY_OF": self.original.run_id,
                "RUNTRAIL_REPLAY_UNTIL": self.id_of("/route#0"),
                "RUNTRAIL_OVERRIDES": json.dumps({"/route#0": "b"}),
            },
        )
        self.assertEqual(fork.bodies, ["answer-b", "summarize"], "choose was not called")
        self.assertEqual((fork.result["route"], fork.result["answer"]), ("b", "B: alpha! beta!"))
        nodes = nodes_by_key(self.sidecar, fork.run_id)
        route = nodes["/route#0"]
        self.assertEqual((route["replayed"], route["output"], route["attributes"]["overridden"]), (False, {"chosen": "b"}, True))
        self.assertEqual((nodes["/answer-b#0"]["replayed"], nodes["/answer-b#0"]["diverged"]), (False, True))
        self.assertEqual((nodes["/summarize#0"]["replayed"], nodes["/summarize#0"]["diverged"]), (False, False))
        self.assertTrue(all(nodes[key]["replayed"] for key in ["/fetch#0", "/flaky#1", "/plan#0", "/plan#0/think#1"]))


class _Stub(http.server.BaseHTTPRequestHandler):
    answer: Tuple[int, Any] = (200, {})
    seen: List[Tuple[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server interface
        type(self).seen.append((self.path, self.headers.get("Authorization", "")))
        status, body = type(self).answer
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


class LookupTest(unittest.TestCase):
    def setUp(self) -> None:
        _Stub.seen = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.client = SidecarClient(f"http://127.0.0.1:{self.server.server_address[1]}", "tok")

    def tearDown(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def test_fetches_once_with_until_and_reads_the_verdicts(self) -> None:
        _Stub.answer = (
            200,
            {
                "runId": "r1",
                "untilNodeId": "n3",
                "nodes": [
                    {"id": "n1", "key": "/a#0", "kind": "step", "status": "ok", "output": 1, "error": None, "replay": True},
                    {"id": "n2", "key": "/b#0", "kind": "step", "status": "error", "output": None, "error": {"message": "no"}, "replay": True},
                    {"id": "n3", "key": "/c#0", "kind": "step", "status": "ok", "output": 3, "error": None, "replay": False},
                    {"id": "n4", "key": "/a#0/x#0", "kind": "tool", "status": "ok", "output": 4, "error": None, "replay": True},
                ],
            },
        )
        replay = Replay(self.client, "r 1", until="n3", overrides="")
        self.assertEqual([replay.recorded(k).replay for k in ("/a#0", "/b#0", "/c#0")], [True, True, False])  # type: ignore[union-attr]
        self.assertIsNone(replay.recorded("/zzz#0"))
        self.assertEqual([n.key for n in replay.descendants("/a#0")], ["/a#0/x#0"])
        self.assertEqual(_Stub.seen, [("/api/runs/r%201/recorded?until=n3", "Bearer tok")])

    def test_no_until_and_a_404_run_live(self) -> None:
        _Stub.answer = (404, {"error": {"code": "not_found", "message": "no run"}})
        replay = Replay(self.client, "r1", until="", overrides="")
        self.assertIsNone(replay.recorded("/a#0"))
        self.assertFalse(replay.active)
        self.assertEqual([path for path, _ in _Stub.seen], ["/api/runs/r1/recorded"])

    def test_overrides_errors_and_keys(self) -> None:
        self.assertEqual(parse_overrides('{"/route#0": "b"}'), {"/route#0": "b"})
        self.assertEqual(parse_overrides(None), {})
        error = replayed_error({"message": "gone", "type": "KeyError"})
        self.assertIs(type(error), KeyError)
        custom = replayed_error({"message": "over", "type": "app.errors.QuotaError"})
        self.assertIsInstance(custom, ReplayedError)
        self.assertEqual((type(custom).__name__, str(custom), custom.type), ("QuotaError", "over", "app.errors.QuotaError"))  # type: ignore[attr-defined]
        self.assertEqual(split_key("/plan#0/search#2"), ("/plan#0", "search"))


if __name__ == "__main__":
    unittest.main()
