"""Delivery as a workflow process lives it: flush at exit, joined runs, a sidecar that restarts,
is absent, or rejects records, RUNTRAIL_DISABLED, calls before start_run, replay without a recording."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import unittest
from typing import IO, Any, Dict, cast

from support import FIXTURES, REPO_ROOT, SCRIPT_TIMEOUT, Sidecar, free_port, last_json, run_fixture, script_env, shared_sidecar, warnings_in

AGENT_OUTPUT = {"summary": "alpha-0 alpha-1 beta-0", "route": "answer", "page": "page body", "lookups": ["W", "X", "Y"]}


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


class ExitFlushTest(unittest.TestCase):
    def test_records_are_flushed_at_interpreter_exit_without_finish(self) -> None:
        sidecar = shared_sidecar()
        done = run_fixture("agent.py", sidecar.env(), ["--no-finish"])
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr, "")
        run_id = last_json(done.stdout)["runId"]
        run = sidecar.run(run_id)
        self.assertEqual(run["status"], "ok")
        nodes = sidecar.nodes(run_id)
        self.assertEqual(len(nodes), 13)
        self.assertNotIn("running", {node["status"] for node in nodes})
        self.assertIn("/finished#0", {node["key"] for node in nodes})

    def test_an_uncaught_exception_marks_the_run_as_failed(self) -> None:
        sidecar = shared_sidecar()
        done = run_fixture("agent.py", sidecar.env(), ["--crash"])
        self.assertEqual(done.returncode, 1)
        self.assertIn("RuntimeError: crashed at the end", done.stderr)
        self.assertEqual(warnings_in(done.stderr), [])
        run = sidecar.run(last_json(done.stdout)["runId"])
        self.assertEqual(run["status"], "error")
        self.assertEqual(run["error"]["message"], "crashed at the end")
        self.assertEqual(run["error"]["type"], "RuntimeError")
        self.assertEqual(run["counts"]["total"], 13)


class JoinedRunTest(unittest.TestCase):
    def test_runtrail_run_id_joins_the_run_and_never_sets_its_status(self) -> None:
        sidecar = shared_sidecar()
        run_id = unique("joined")
        workflow = unique("py-joined")
        sidecar.request("POST", "/api/runs", {"id": run_id, "workflow": "started-by-runner"})
        done = run_fixture(
            "agent.py", {**sidecar.env(), "RUNTRAIL_RUN_ID": run_id, "RUNTRAIL_WORKFLOW": workflow}
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(last_json(done.stdout)["runId"], run_id)
        run = sidecar.run(run_id)
        self.assertEqual((run["workflow"], run["status"], run["endedAt"]), ("started-by-runner", "running", None))
        self.assertEqual(run["counts"]["total"], 13)
        self.assertEqual(sidecar.runs_of(workflow), [])


class RestartTest(unittest.TestCase):
    def test_a_sidecar_restarted_mid_run_loses_nothing(self) -> None:
        sidecar = Sidecar(port=free_port()).start()
        self.addCleanup(sidecar.remove)
        process = subprocess.Popen(
            [sys.executable, str(FIXTURES / "phased.py")],
            env=script_env({"RUNTRAIL_URL": sidecar.url, "RUNTRAIL_TOKEN": sidecar.token}),
            cwd=str(REPO_ROOT),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(_end, process)
        stdin, stdout = cast(IO[str], process.stdin), cast(IO[str], process.stdout)

        def say(command: str) -> Dict[str, Any]:
            stdin.write(command + "\n")
            stdin.flush()
            return cast(Dict[str, Any], json.loads(stdout.readline()))

        run_id = json.loads(stdout.readline())["runId"]
        self.assertEqual(say("step before"), {"done": "before"})
        self.assertEqual(say("flush"), {"flushed": True})
        sidecar.stop()
        # Recorded while nobody listens: buffered and retried.
        self.assertEqual(say("step during"), {"done": "during"})
        sidecar.start()
        self.assertEqual(say("step after"), {"done": "after"})
        self.assertEqual(say("finish"), {"finished": True})
        _, stderr = process.communicate(timeout=SCRIPT_TIMEOUT)
        self.assertEqual(process.returncode, 0, stderr)

        nodes = sidecar.nodes(run_id)
        self.assertEqual(
            sorted((node["key"], node["status"]) for node in nodes),
            sorted(
                (key, "ok")
                for phase in ("before", "during", "after")
                for key in (f"/{phase}#0", f"/{phase}#0/work#0")
            ),
        )
        self.assertEqual(sidecar.run(run_id)["status"], "ok")
        warnings = warnings_in(stderr)
        self.assertEqual(len(warnings), 1, stderr)
        self.assertIn("cannot reach the sidecar", warnings[0])


def _end(process: "subprocess.Popen[str]") -> None:
    if process.poll() is None:
        process.kill()
    process.communicate()


class UnavailableSidecarTest(unittest.TestCase):
    def test_without_a_sidecar_the_workflow_completes_with_one_warning(self) -> None:
        url = f"http://127.0.0.1:{free_port()}"
        done = run_fixture("agent.py", {"RUNTRAIL_URL": url, "RUNTRAIL_TOKEN": "no-sidecar-here"})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual({k: v for k, v in last_json(done.stdout).items() if k != "runId"}, AGENT_OUTPUT)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, done.stderr)
        self.assertTrue(lines[0].startswith(f"runtrail: cannot reach the sidecar at {url}"), lines[0])

    def test_rejected_records_are_dropped_with_one_warning_naming_the_sidecars_message(self) -> None:
        sidecar = shared_sidecar()
        missing = unique("no-such-run")
        done = run_fixture("agent.py", {**sidecar.env(), "RUNTRAIL_RUN_ID": missing})
        self.assertEqual(done.returncode, 0, done.stderr)
        warnings = warnings_in(done.stderr)
        self.assertEqual(len(warnings), 1, done.stderr)
        self.assertIn(f"No run {missing}", warnings[0])
        self.assertIn("dropped", warnings[0])


    def test_a_wrong_token_gives_one_warning_and_the_workflow_still_completes(self) -> None:
        sidecar = shared_sidecar()
        done = run_fixture("agent.py", {**sidecar.env(), "RUNTRAIL_TOKEN": "not-the-token"})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual({k: v for k, v in last_json(done.stdout).items() if k != "runId"}, AGENT_OUTPUT)
        warnings = warnings_in(done.stderr)
        self.assertEqual(len(warnings), 1, done.stderr)
        self.assertIn("401", warnings[0])
        self.assertIn("RUNTRAIL_TOKEN", warnings[0])


class DisabledTest(unittest.TestCase):
    def test_runtrail_disabled_runs_everything_and_sends_nothing(self) -> None:
        sidecar = shared_sidecar()
        workflow = unique("py-disabled")
        done = run_fixture("agent.py", {**sidecar.env(), "RUNTRAIL_DISABLED": "1", "RUNTRAIL_WORKFLOW": workflow})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr, "")
        self.assertEqual({k: v for k, v in last_json(done.stdout).items() if k != "runId"}, AGENT_OUTPUT)
        self.assertEqual(sidecar.runs_of(workflow), [])

    def test_calls_before_start_run_still_run_and_warn_once(self) -> None:
        sidecar = shared_sidecar()
        done = run_fixture("before_start.py", sidecar.env())
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(last_json(done.stdout), {"double": 42, "tool": 3, "chosen": "b"})
        warnings = warnings_in(done.stderr)
        self.assertEqual(len(warnings), 1, done.stderr)
        self.assertIn("start_run()", warnings[0])


class ReplayTest(unittest.TestCase):
    def test_a_replay_without_a_recording_runs_live(self) -> None:
        sidecar = shared_sidecar()
        original = unique("gone")
        done = run_fixture("agent.py", {**sidecar.env(), "RUNTRAIL_REPLAY_OF": original})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr, "")
        report = last_json(done.stdout)
        self.assertEqual({k: v for k, v in report.items() if k != "runId"}, AGENT_OUTPUT)
        run = sidecar.run(report["runId"])
        self.assertEqual((run["replayOf"], run["status"]), (original, "ok"))
        nodes = sidecar.nodes(report["runId"])
        self.assertEqual(len(nodes), 13)
        self.assertFalse(any(node["replayed"] or node["diverged"] for node in nodes))


# No skip for platforms without os.fork: this suite runs only where `npm test` does (it starts
# redis-server and a Neo4j launcher; Linux, macOS), and os.fork exists on all of them.
class ForkTest(unittest.TestCase):
    def test_a_forked_child_records_into_the_same_run(self) -> None:
        sidecar = shared_sidecar()
        done = run_fixture("forked.py", sidecar.env())
        self.assertEqual(done.returncode, 0, done.stderr)
        # Python 3.12+ adds a DeprecationWarning about fork() with threads; Runtrail says nothing.
        self.assertEqual(warnings_in(done.stderr), [])
        report = last_json(done.stdout)
        self.assertEqual(report["childStatus"], 0)
        nodes = sidecar.by_key(report["runId"])
        self.assertEqual(sorted(nodes), ["/after-child#0", "/parent#0", "/parent#0/in-child#0"])
        self.assertEqual(nodes["/parent#0/in-child#0"]["parentId"], nodes["/parent#0"]["id"])
        self.assertEqual(sidecar.run(report["runId"])["status"], "ok")
