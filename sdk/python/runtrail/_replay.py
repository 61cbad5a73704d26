"""
The replay seam: every step asks `recorded(key)` before running its function.

Outside a replay (no RUNTRAIL_REPLAY_OF) the answer is always None. In a replay the recording of
the original run is fetched once (`GET /api/runs/:id/recorded`) and a key found there is served
from it instead of re-running the step. A 404 (no such run, or a sidecar without the route) or
any failure means the replay runs live.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any, Dict, Optional

from ._client import SidecarClient, Unreachable
from ._diagnostics import warn_once


class Recorded:
    """One recorded node: what the step returned the first time."""

    __slots__ = ("key", "output", "node_id")

    def __init__(self, key: str, output: Any, node_id: Optional[str]) -> None:
        self.key = key
        self.output = output
        self.node_id = node_id


class Replay:
    def __init__(self, client: Optional[SidecarClient], of_run: Optional[str]) -> None:
        self.of_run = of_run
        self._client = client
        self._lock = threading.Lock()
        self._loaded = False
        self._by_key: Optional[Dict[str, Recorded]] = None

    @property
    def active(self) -> bool:
        """True when a recording was loaded: a key missing from it is a divergence."""
        return self._load() is not None

    def recorded(self, key: str) -> Optional[Recorded]:
        if self.of_run is None:
            return None
        recording = self._load()
        return None if recording is None else recording.get(key)

    def _load(self) -> Optional[Dict[str, Recorded]]:
        if self.of_run is None:
            return None
        with self._lock:
            if not self._loaded:
                self._by_key = self._fetch()
                self._loaded = True
            return self._by_key

    def _fetch(self) -> Optional[Dict[str, Recorded]]:
        """None means: no recording to replay from, every step runs live."""
        assert self.of_run is not None and self._client is not None
        path = f"/api/runs/{urllib.parse.quote(self.of_run, safe='')}/recorded"
        try:
            reply = self._client.request("GET", path)
        except Unreachable as error:
            warn_once("replay", f"could not fetch the recording of run {self.of_run} ({error}); this replay runs live")
            return None
        if reply.status == 404:
            return None
        if not reply.ok:
            warn_once("replay", f"could not fetch the recording of run {self.of_run} ({reply.message}); this replay runs live")
            return None
        return _parse(reply.body)


def _parse(body: Any) -> Dict[str, Recorded]:
    """Entries by key from `{nodes: [{id, key, output}, ...]}` (a `{key: entry}` map is read too).
    Nodes recorded with another status than ok are not served: they run again."""
    container = body.get("recorded", body.get("nodes")) if isinstance(body, dict) else None
    entries: Dict[str, Any] = {}
    if isinstance(container, dict):
        entries = {k: v for k, v in container.items() if isinstance(v, dict)}
    elif isinstance(container, list):
        entries = {v["key"]: v for v in container if isinstance(v, dict) and isinstance(v.get("key"), str)}
    out: Dict[str, Recorded] = {}
    for key, entry in entries.items():
        if entry.get("status", "ok") != "ok":
            continue
        node_id = entry.get("id", entry.get("nodeId"))
        out[key] = Recorded(key, entry.get("output"), node_id if isinstance(node_id, str) else None)
    return out
