"""The surface in this process: forms of step/llm/tool, exceptions, retries, payloads, threads and
bad input, each checked against what the sidecar recorded."""

from __future__ import annotations

import asyncio
import contextvars
import secrets
import threading
import unittest
from typing import Any, Callable, Dict, List, Tuple, Type

from support import shared_sidecar

import runtrail


class Boom(Exception):
    pass


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque thing>"


class InProcessTest(unittest.TestCase):
    def setUp(self) -> None:
        self.sidecar = shared_sidecar()
        self.trail = runtrail.start_run(f"py-steps-{secrets.token_hex(4)}", url=self.sidecar.url, token=self.sidecar.token)
        self.addCleanup(runtrail.finish)

    def recorded(self) -> Dict[str, Dict[str, Any]]:
        """Finishes the run and returns its nodes by key, payloads included."""
        runtrail.finish()
        return {key: self.sidecar.node(node["id"]) for key, node in self.sidecar.by_key(self.trail.id).items()}


class ExceptionTest(InProcessTest):
    def test_exceptions_propagate_unchanged_and_are_recorded_in_every_form(self) -> None:
        boom = Boom("kaput")

        def explode() -> None:
            raise boom

        @runtrail.step
        def decorated() -> None:
            raise boom

        with self.assertRaises(Boom) as call_form:
            runtrail.step("explode", explode)
        with self.assertRaises(Boom) as decorator_form:
            decorated()
        with self.assertRaises(Boom) as with_form:
            with runtrail.step("block"):
                raise boom
        for caught in (call_form, decorator_form, with_form):
            self.assertIs(caught.exception, boom)

        nodes = self.recorded()
        for key in ("/explode#0", "/decorated#0", "/block#0"):
            with self.subTest(key=key):
                node = nodes[key]
                self.assertEqual(node["status"], "error")
                self.assertEqual(node["error"]["message"], "kaput")
                self.assertEqual(node["error"]["type"], f"{Boom.__module__}.Boom")
                self.assertIn("raise boom", node["error"]["stack"])
                self.assertIsNotNone(node["endedAt"])

    def test_retries_give_one_node_per_attempt_and_reraise_the_last_failure(self) -> None:
        failures: List[ValueError] = []

        def always_fails() -> None:
            failures.append(ValueError(f"attempt {len(failures) + 1}"))
            raise failures[-1]

        with self.assertRaises(ValueError) as caught:
            runtrail.step("doomed", always_fails, retries=2, attributes={"service": "x"})
        self.assertIs(caught.exception, failures[-1])
        self.assertEqual(len(failures), 3)

        calls = {"n": 0}

        @runtrail.tool("flaky-tool", retries=1)
        def flaky() -> str:
            calls["n"] += 1
            if calls["n"] == 1:
                raise TimeoutError("slow")
            return "ok now"

        self.assertEqual(flaky(), "ok now")
        nodes = self.recorded()
        self.assertEqual(
            [(nodes[f"/doomed#{i}"]["status"], nodes[f"/doomed#{i}"]["attributes"]) for i in range(3)],
            [("error", {"service": "x", "attempt": i + 1}) for i in range(3)],
        )
        self.assertEqual([nodes[f"/doomed#{i}"]["error"]["message"] for i in range(3)], ["attempt 1", "attempt 2", "attempt 3"])
        self.assertEqual((nodes["/flaky-tool#0"]["status"], nodes["/flaky-tool#1"]["status"]), ("error", "ok"))
        self.assertEqual(nodes["/flaky-tool#1"]["kind"], "tool")


class FormsTest(InProcessTest):
    def test_decorator_forms(self) -> None:
        @runtrail.step
        def bare(x: int) -> int:
            """Doubles."""
            return 2 * x

        @runtrail.step()
        def empty_parens() -> str:
            return "e"

        @runtrail.step("renamed", attributes={"team": "search"})
        def original_name(a: int, b: int = 5) -> int:
            return a + b

        class Agent:
            @runtrail.step
            def think(self, topic: str) -> str:
                return f"thought about {topic}"

        @runtrail.llm("chat", model="tiny")
        def chat(prompt: str) -> runtrail.Usage:
            return runtrail.usage(prompt.upper(), tokens_in=2, tokens_out=3)

        self.assertEqual((bare.__name__, bare.__doc__), ("bare", "Doubles."))
        self.assertEqual(bare(4), 8)
        self.assertEqual(empty_parens(), "e")
        self.assertEqual(original_name(1), 6)
        self.assertEqual(Agent().think("tests"), "thought about tests")
        self.assertEqual(chat("hi"), "HI")
        nodes = self.recorded()
        self.assertEqual((nodes["/bare#0"]["input"], nodes["/bare#0"]["output"]), ({"x": 4}, 8))
        self.assertEqual(nodes["/empty_parens#0"]["output"], "e")
        self.assertIsNone(nodes["/empty_parens#0"]["input"])
        renamed = nodes["/renamed#0"]
        self.assertEqual((renamed["input"], renamed["attributes"]), ({"a": 1}, {"team": "search"}))
        self.assertEqual(nodes["/think#0"]["input"], {"topic": "tests"})
        chat_node = nodes["/chat#0"]
        self.assertEqual((chat_node["kind"], chat_node["output"], chat_node["tokensIn"], chat_node["tokensOut"]), ("llm", "HI", 2, 3))
        self.assertEqual(chat_node["attributes"], {"model": "tiny"})

    def test_with_blocks_nest_and_record_output_and_attributes(self) -> None:
        with runtrail.step("outer", input={"q": 1}, attributes={"a": 1}) as outer:
            self.assertIsNotNone(outer.id)
            self.assertEqual(outer.key, "/outer#0")
            with runtrail.tool("inner"):
                pass
            outer.attributes["extra"] = True
            outer.output = ["done"]

        async def main() -> str:
            async with runtrail.step("async-block") as block:
                block.output = await runtrail.step("awaited", _async_answer, 41)
            return "ran"

        self.assertEqual(asyncio.run(main()), "ran")
        nodes = self.recorded()
        outer_node = nodes["/outer#0"]
        self.assertEqual((outer_node["input"], outer_node["output"]), ({"q": 1}, ["done"]))
        self.assertEqual(outer_node["attributes"], {"a": 1, "extra": True})
        self.assertEqual(nodes["/outer#0/inner#0"]["parentId"], outer_node["id"])
        self.assertIsNone(nodes["/outer#0/inner#0"]["output"])
        self.assertEqual(nodes["/async-block#0"]["output"], 42)
        self.assertEqual(nodes["/async-block#0/awaited#0"]["output"], 42)
        self.assertEqual(nodes["/async-block#0/awaited#0"]["input"], {"x": 41})

    def test_log_occurrences_and_run_flush(self) -> None:
        with runtrail.step("work"):
            runtrail.log("tick", n=1)
            runtrail.log("tick", n=2)
        self.assertTrue(self.trail.flush())
        nodes = self.recorded()
        self.assertEqual((nodes["/work#0/tick#1"]["output"], nodes["/work#0/tick#1"]["attributes"]), ("tick", {"n": 2}))
        self.assertEqual(nodes["/work#0/tick#0"]["kind"], "log")

    def test_finish_records_the_runs_error(self) -> None:
        runtrail.step("only", lambda: 1)
        runtrail.finish(error=Boom("gave up"))
        run = self.sidecar.run(self.trail.id)
        self.assertEqual((run["status"], run["error"]["message"], run["error"]["type"]), ("error", "gave up", f"{Boom.__module__}.Boom"))
        self.assertIsNone(runtrail.active_run())


async def _async_answer(x: int) -> int:
    await asyncio.sleep(0)
    return x + 1


class PayloadTest(InProcessTest):
    def test_values_json_cannot_hold_are_recorded_as_repr_and_returned_as_they_are(self) -> None:
        opaque = Opaque()
        self.assertIs(runtrail.step("opaque", lambda: opaque), opaque)
        self.assertEqual(runtrail.step("mixed", lambda: {"thing": opaque, "n": 1, "t": (1, 2)}), {"thing": opaque, "n": 1, "t": (1, 2)})
        nan = runtrail.step("nan", lambda: float("nan"))
        self.assertNotEqual(nan, nan)
        big = runtrail.step("big", lambda: "x" * 300_000)
        self.assertEqual(len(big), 300_000)
        runtrail.step("after-big", lambda: "still recorded")
        nodes = self.recorded()
        self.assertEqual(nodes["/opaque#0"]["output"], "<Opaque thing>")
        self.assertEqual(nodes["/mixed#0"]["output"], {"thing": "<Opaque thing>", "n": 1, "t": [1, 2]})
        self.assertEqual(nodes["/nan#0"]["output"], "nan")
        truncated = nodes["/big#0"]["output"]
        self.assertEqual((truncated["truncated"], truncated["bytes"]), (True, 300_002))
        self.assertTrue(truncated["preview"].startswith('"xxx'))
        self.assertEqual(nodes["/after-big#0"]["output"], "still recorded")


class BurstTest(InProcessTest):
    def test_a_burst_larger_than_the_buffer_is_delivered_completely(self) -> None:
        with runtrail.step("burst"):
            for i in range(12_000):
                runtrail.step("tick", _identity, i)
        runtrail.finish(timeout=60)
        run = self.sidecar.run(self.trail.id)
        self.assertEqual(run["counts"]["total"], 12_001)
        self.assertEqual(run["counts"]["byStatus"], {"ok": 12_001})


def _identity(x: int) -> int:
    return x


class ThreadTest(InProcessTest):
    def test_a_new_thread_starts_roots_unless_it_runs_in_a_copied_context(self) -> None:
        with runtrail.step("parent"):
            plain = threading.Thread(target=runtrail.step, args=("in-plain-thread", lambda: 1))
            plain.start()
            plain.join()
            copied = threading.Thread(target=contextvars.copy_context().run, args=(runtrail.step, "in-copied-context", lambda: 2))
            copied.start()
            copied.join()
        nodes = self.recorded()
        self.assertIsNone(nodes["/in-plain-thread#0"]["parentId"])
        self.assertEqual(nodes["/parent#0/in-copied-context#0"]["parentId"], nodes["/parent#0"]["id"])


class BadInputTest(InProcessTest):
    def test_decide_with_an_unknown_label_raises_a_clear_error_and_records_it(self) -> None:
        with self.assertRaises(ValueError) as caught:
            runtrail.decide("route", ["a", {"label": "b", "score": 1}], lambda options: "c")
        self.assertEqual(
            str(caught.exception), "runtrail: decide('route'): choose returned 'c', which is not one of the options ('a', 'b')"
        )
        self.assertEqual(runtrail.decide("route", ["a", {"label": "b"}], lambda options: options[1]), "b")
        nodes = self.recorded()
        self.assertEqual(nodes["/route#0"]["status"], "error")
        self.assertIn("not one of the options", nodes["/route#0"]["error"]["message"])
        self.assertEqual(nodes["/route#1"]["output"], {"chosen": "b"})

    def test_bad_arguments_are_named_in_the_error(self) -> None:
        cases: List[Tuple[Type[Exception], str, Callable[[], Any]]] = [
            (TypeError, "step name must be a string", lambda: runtrail.step(42)),  # type: ignore[call-overload]
            (ValueError, "step name must not be empty", lambda: runtrail.step("", lambda: 1)),
            (TypeError, "fn must be callable", lambda: runtrail.step("x", "not a function")),  # type: ignore[call-overload]
            (ValueError, "retries must be a non-negative integer", lambda: runtrail.step("x", lambda: 1, retries=-1)),
            (TypeError, "attributes must be a dict", lambda: runtrail.tool("x", lambda: 1, attributes=["a"])),  # type: ignore[call-overload]
            (ValueError, "options must not be empty", lambda: runtrail.decide("d", [], lambda o: "a")),
            (TypeError, "options must be a list", lambda: runtrail.decide("d", "ab", lambda o: "a")),
            (ValueError, "appears twice", lambda: runtrail.decide("d", ["a", "a"], lambda o: "a")),
            (TypeError, "score must be a number", lambda: runtrail.decide("d", [{"label": "a", "score": "high"}], lambda o: "a")),
            (TypeError, "choose must return an option's label", lambda: runtrail.decide("d", ["a"], lambda o: 0)),
            (ValueError, "tokens_in must be a non-negative integer", lambda: runtrail.usage("x", tokens_in=-1)),
            (ValueError, "finish status must be one of ok, error, cancelled", lambda: runtrail.finish("done")),
            (ValueError, "is not a valid id", lambda: runtrail.start_run("w", run_id="no spaces allowed")),
            (ValueError, "labels must be a list of strings", lambda: runtrail.start_run("w", labels=[""])),
        ]
        for error, message, call in cases:
            with self.subTest(message=message):
                with self.assertRaises(error) as caught:
                    call()
                self.assertIn(message, str(caught.exception))
                self.assertTrue(str(caught.exception).startswith("runtrail: "))

        with self.assertRaises(TypeError) as nameless:
            with runtrail.step():
                pass
        self.assertIn("needs a name", str(nameless.exception))
        with self.assertRaises(TypeError) as retried_block:
            with runtrail.step("block", retries=2):
                pass
        self.assertIn("a with block cannot be run again", str(retried_block.exception))
        # The run survived every bad call.
        self.assertIs(runtrail.active_run(), self.trail)
