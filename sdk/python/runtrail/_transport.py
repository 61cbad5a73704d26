"""
Background delivery of one run's records to the sidecar.

Records wait in an ordered buffer keyed by node id, so a node's start and end records merge while
neither has been sent. A daemon thread posts them about every 50 ms or 500 records, creating the
run first when the SDK owns it and sending the run's final PATCH last. 503 and network failures are
retried with exponential backoff (at least what Retry-After asks); any other 4xx drops that batch
with one warning naming the sidecar's message. The workflow never waits on the network except in
flush(), whose wait is bounded.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Set, Union

from ._client import Reply, SidecarClient, Unreachable
from ._diagnostics import warn

FLUSH_INTERVAL = 0.05
BATCH_RECORDS = 500
MAX_BATCH_BYTES = 8 * 1024 * 1024
MAX_BUFFERED = 10_000
# While the sidecar answers, a full buffer makes the workflow wait for room (it is producing faster
# than the sidecar commits) instead of losing records; only an unreachable sidecar drops the oldest.
MAX_BACKPRESSURE_WAIT = 2.0
BACKOFF_BASE = 0.1
BACKOFF_MAX = 2.0
RETRY_AFTER_MAX = 30.0
# Other 5xx answers are retried this many times; a 500 that repeats is a bug, not a hiccup.
SERVER_ERROR_RETRIES = 5


class Delivery:
    """Where records go. This base sends nothing: RUNTRAIL_DISABLED=1 and calls without a run."""

    def send(self, record: Dict[str, Any]) -> None:
        pass

    def finish_run(self, patch: Optional[Dict[str, Any]]) -> None:
        pass

    def flush(self, timeout: float) -> bool:
        return True

    def close(self, timeout: float) -> bool:
        return True

    def report_undelivered(self) -> None:
        pass

    def forked(self) -> "Delivery":
        """The delivery for a forked child process, which inherits no running thread."""
        return self


class Transport(Delivery):
    def __init__(self, client: SidecarClient, run_id: str, create_body: Optional[Callable[[], Dict[str, Any]]]) -> None:
        self._client = client
        self._run_id = run_id
        quoted = urllib.parse.quote(run_id, safe="")
        self._run_path = f"/api/runs/{quoted}"
        self._nodes_path = f"/api/runs/{quoted}/nodes"
        self._create_body = create_body
        self._built_body: Optional[Dict[str, Any]] = None
        self._cond = threading.Condition()
        # Guarded by _cond.
        self._pending: "OrderedDict[str, Dict[str, Any]]" = OrderedDict()
        self._inflight: List[bytes] = []
        self._busy = False
        self._patch: Optional[Dict[str, Any]] = None
        self._run_ready = create_body is None
        self._dead = False
        self._stopping = False
        self._abandoned = False
        self._flushers = 0
        self._network_failures = 0
        self._dropped = 0
        self._stalled = False
        # Written only by the sender thread.
        self._ever_reached = False
        self._failures = 0
        self._server_errors = 0
        self._warned_unreachable = False
        self._warned: Set[str] = set()
        self._thread = threading.Thread(target=self._loop, name="runtrail-sender", daemon=True)
        self._thread.start()

    # ---- the workflow's side -------------------------------------------------------------

    def send(self, record: Dict[str, Any]) -> None:
        with self._cond:
            if self._dead or self._abandoned:
                return
            existing = self._pending.get(record["id"])
            if existing is not None:
                existing.update(record)
                return
            if len(self._pending) + len(self._inflight) >= MAX_BUFFERED and self._healthy():
                deadline = time.monotonic() + MAX_BACKPRESSURE_WAIT
                while len(self._pending) + len(self._inflight) >= MAX_BUFFERED and self._healthy():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        # A request that hangs is no answer: stop waiting until one gets through.
                        self._stalled = True
                        break
                    self._cond.notify_all()
                    self._cond.wait(remaining)
            while self._pending and len(self._pending) + len(self._inflight) >= MAX_BUFFERED:
                self._pending.popitem(last=False)
                self._dropped += 1
            self._pending[record["id"]] = record
            size = len(self._pending)
            if size == 1 or size >= BATCH_RECORDS:
                self._cond.notify_all()

    def finish_run(self, patch: Optional[Dict[str, Any]]) -> None:
        with self._cond:
            if patch is not None and not self._dead:
                self._patch = patch
            self._stopping = True
            self._cond.notify_all()

    def flush(self, timeout: float) -> bool:
        """Waits until everything sent so far is delivered, the timeout passes, or a sidecar that
        was never reached refuses again (nobody is listening: waiting longer helps no one)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._flushers += 1
            self._cond.notify_all()
            failures_before = self._network_failures
            try:
                while not self._idle():
                    if not self._ever_reached and self._network_failures > failures_before:
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                return self._idle()
            finally:
                self._flushers -= 1

    def close(self, timeout: float) -> bool:
        delivered = self.flush(timeout)
        with self._cond:
            if not delivered:
                # Stop retrying for a run the workflow is done with; report_undelivered() says what is lost.
                self._abandoned = True
            self._stopping = True
            self._cond.notify_all()
        return delivered

    def report_undelivered(self) -> None:
        with self._cond:
            left = len(self._pending) + len(self._inflight) + (1 if self._patch is not None else 0)
            dropped = self._dropped
        url = self._client.base_url
        if dropped:
            warn(
                f"{dropped:,} records were dropped while the sidecar at {url} could not be reached "
                f"(at most {MAX_BUFFERED:,} are kept); {left:,} more were not delivered"
            )
        elif left and not self._warned_unreachable:
            warn(f"gave up waiting for the sidecar at {url}; {left:,} records were not delivered")

    def forked(self) -> "Delivery":
        # The parent delivers what it had buffered; the child sends its own records. Creating a
        # run is idempotent (same id and workflow), so a child that may be first creates it too.
        body = self._built_body
        create = None if self._run_ready else (self._create_body if body is None else (lambda: body))
        return Transport(self._client, self._run_id, create)

    # ---- the sender thread -----------------------------------------------------------------

    def _healthy(self) -> bool:
        """The sender is running and its last request got through."""
        return self._failures == 0 and not self._stalled and not self._dead and not self._abandoned and self._thread.is_alive()

    def _has_work(self) -> bool:
        return not self._dead and (not self._run_ready or bool(self._pending) or bool(self._inflight) or self._patch is not None)

    def _idle(self) -> bool:
        return not self._busy and not self._has_work()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._has_work() and not self._must_exit():
                    self._cond.wait()
                if self._must_exit():
                    self._cond.notify_all()
                    return
                if self._run_ready and not self._inflight and self._flushers == 0 and not self._stopping:
                    # Gather for one interval so a burst goes out as one request.
                    deadline = time.monotonic() + FLUSH_INTERVAL
                    while len(self._pending) < BATCH_RECORDS and self._flushers == 0 and not self._stopping:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self._cond.wait(remaining)
                self._busy = True
            try:
                delay = self._exchange()
            except Exception as error:  # noqa: BLE001 - a bug here must not kill delivery silently
                warn(f"internal error while sending records: {error!r}")
                delay = self._backoff(None)
            with self._cond:
                self._busy = False
                self._cond.notify_all()
            if delay is not None:
                self._sleep(delay)

    def _must_exit(self) -> bool:
        return self._abandoned or self._dead or (self._stopping and not self._has_work())

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._cond:
            while not self._abandoned:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)

    def _exchange(self) -> Optional[float]:
        """One request; returns how long to wait before retrying it, or None to go on."""
        if not self._run_ready:
            return self._create_run()
        batch = self._next_batch()
        if batch:
            return self._post_nodes(batch)
        with self._cond:
            patch = self._patch
        if patch is not None:
            return self._finish_run(patch)
        return None

    def _create_run(self) -> Optional[float]:
        if self._built_body is None:
            assert self._create_body is not None
            self._built_body = self._create_body()
        reply = self._call("POST", "/api/runs", raw=json.dumps(self._built_body).encode("utf-8"))
        if not isinstance(reply, Reply):
            return reply
        if reply.ok:
            with self._cond:
                self._run_ready = True
            return None
        hint = ": check RUNTRAIL_TOKEN or the sidecar's token file" if reply.status in (401, 403) else ""
        self._give_up(f"the sidecar at {self._client.base_url} did not take the run ({reply.message}){hint}; nothing from this run is recorded")
        return None

    def _next_batch(self) -> List[bytes]:
        with self._cond:
            if not self._inflight:
                records = [self._pending.popitem(last=False)[1] for _ in range(min(BATCH_RECORDS, len(self._pending)))]
            else:
                records = []
        # Popped records are never merged into again, so they serialise outside the lock.
        if records:
            parts = [json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode("utf-8") for r in records]
            with self._cond:
                self._inflight = parts
        with self._cond:
            parts = self._inflight
        size = 0
        for count, part in enumerate(parts):
            size += len(part) + 1
            if count > 0 and size > MAX_BATCH_BYTES:
                return parts[:count]
        return list(parts)

    def _post_nodes(self, batch: List[bytes]) -> Optional[float]:
        reply = self._call("POST", self._nodes_path, raw=b'{"nodes":[' + b",".join(batch) + b"]}")
        if not isinstance(reply, Reply):
            return reply
        if reply.ok:
            with self._cond:
                del self._inflight[: len(batch)]
            return None
        if reply.status in (401, 403):
            self._give_up(f"the sidecar at {self._client.base_url} refused the records ({reply.message}); check RUNTRAIL_TOKEN")
            return None
        index = reply.detail("index")
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(batch) and len(batch) > 1:
            # The sidecar named the one bad record (e.g. a payload over its size limit): keep the rest.
            self._warn_distinct(reply.message, f"the sidecar rejected a node record and it was dropped: {reply.message}")
            with self._cond:
                del self._inflight[index]
            return None
        self._warn_distinct(reply.message, f"the sidecar rejected {len(batch)} node records and they were dropped: {reply.message}")
        with self._cond:
            del self._inflight[: len(batch)]
        return None

    def _finish_run(self, patch: Dict[str, Any]) -> Optional[float]:
        reply = self._call("PATCH", self._run_path, raw=json.dumps(patch).encode("utf-8"))
        if not isinstance(reply, Reply):
            return reply
        if not reply.ok:
            self._warn_distinct(reply.message, f"the sidecar did not take the run's status: {reply.message}")
        with self._cond:
            self._patch = None
        return None

    def _call(self, method: str, path: str, raw: bytes) -> Union[Reply, float]:
        """The reply to act on, or a delay when the request must be retried."""
        try:
            reply = self._client.request(method, path, raw_body=raw)
        except Unreachable as error:
            if not self._warned_unreachable:
                self._warned_unreachable = True
                warn(
                    f"cannot reach the sidecar at {self._client.base_url} ({error}); keeping up to "
                    f"{MAX_BUFFERED:,} records in memory and retrying in the background "
                    "(RUNTRAIL_URL points elsewhere, RUNTRAIL_DISABLED=1 records nothing)"
                )
            with self._cond:
                self._network_failures += 1
            return self._backoff(None)
        self._ever_reached = True
        if reply.status in (429, 503):
            return self._backoff(reply.retry_after)
        if reply.status >= 500:
            self._server_errors += 1
            if self._server_errors < SERVER_ERROR_RETRIES:
                return self._backoff(reply.retry_after)
        self._failures = 0
        self._server_errors = 0
        self._stalled = False
        return reply

    def _backoff(self, retry_after: Optional[float]) -> float:
        self._failures += 1
        delay = min(BACKOFF_MAX, BACKOFF_BASE * 2.0 ** min(self._failures - 1, 16)) * random.uniform(0.8, 1.2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, RETRY_AFTER_MAX))
        return delay

    def _give_up(self, message: str) -> None:
        warn(message)
        with self._cond:
            self._dead = True
            self._pending.clear()
            self._inflight = []
            self._patch = None
            self._cond.notify_all()

    def _warn_distinct(self, reason: str, message: str) -> None:
        """One warning per distinct answer of the sidecar, however many batches it rejects."""
        if reason not in self._warned:
            self._warned.add(reason)
            warn(message)
