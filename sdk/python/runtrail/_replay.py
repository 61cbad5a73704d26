"""
The replay seam: every step asks `recorded(key)` before running its function.

Outside a replay (no RUNTRAIL_REPLAY_OF) the answer is always None. In a replay the recording of
the original run is fetched once (`GET /api/runs/:id/recorded`, with RUNTRAIL_REPLAY_UNTIL as
`?until=` so the sidecar decides what lies before the fork point). A key recorded with
`replay: true` is served from it instead of re-running the step; a key recorded with
`replay: false` runs live; a key the recording lacks runs live and is marked diverged. A 404 (no
such run, or a sidecar without the route) or any failure means the replay runs live.

RUNTRAIL_OVERRIDES (`{"<decision key>": "<option label>"}`) makes `decide` take that option
without asking `choose`.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import threading
import urllib.parse
from typing import Any, Dict, List, Optional, Type

from ._client import SidecarClient, Unreachable
from ._diagnostics import warn_once


class Recorded:
    """One recorded node: what the step returned (or raised) the first time."""

    __slots__ = ("key", "output", "node_id", "kind", "status", "error", "replay")

    def __init__(
        self,
        key: str,
        output: Any,
        node_id: Optional[str],
        kind: Optional[str] = None,
        status: str = "ok",
        error: Any = None,
        replay: bool = True,
    ) -> None:
        self.key = key
        self.output = output
        self.node_id = node_id
        self.kind = kind
        self.status = status
        self.error = error
        self.replay = replay


class Replay:
    def __init__(
        self,
        client: Optional[SidecarClient],
        of_run: Optional[str],
        until: Optional[str] = None,
        overrides: Optional[str] = None,
    ) -> None:
        self.of_run = of_run
        self._client = client
        # The runner sets these beside RUNTRAIL_REPLAY_OF; read here so start_run stays as it is.
        self.until = until if until is not None else (os.environ.get("RUNTRAIL_REPLAY_UNTIL") or None) if client else None
        raw = overrides if overrides is not None else (os.environ.get("RUNTRAIL_OVERRIDES") or None) if client else None
        self.overrides: Dict[str, str] = parse_overrides(raw)
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

    def descendants(self, key: str) -> List[Recorded]:
        """The finished nodes recorded under `key` (children, grandchildren, ...), in the recording's order."""
        recording = self._load() if self.of_run is not None else None
        prefix = key + "/"
        return [n for n in (recording or {}).values() if n.key.startswith(prefix) and n.status in ("ok", "error")]

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
        if self.until:
            path += "?until=" + urllib.parse.quote(self.until, safe="")
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
    """Entries by key from `{nodes: [{id, key, kind, status, output, error, replay}, ...]}` (a
    `{key: entry}` map is read too; the first node of a key wins). An entry without `replay` (an
    older sidecar) is served when it finished ok."""
    container = body.get("recorded", body.get("nodes")) if isinstance(body, dict) else None
    entries: Dict[str, Any] = {}
    if isinstance(container, dict):
        entries = {k: v for k, v in container.items() if isinstance(v, dict)}
    elif isinstance(container, list):
        for v in container:
            if isinstance(v, dict) and isinstance(v.get("key"), str) and v["key"] not in entries:
                entries[v["key"]] = v
    out: Dict[str, Recorded] = {}
    for key, entry in entries.items():
        status = entry.get("status", "ok")
        status = status if isinstance(status, str) else "ok"
        replay = entry.get("replay")
        node_id = entry.get("id", entry.get("nodeId"))
        kind = entry.get("kind")
        out[key] = Recorded(
            key,
            entry.get("output"),
            node_id if isinstance(node_id, str) else None,
            kind=kind if isinstance(kind, str) else None,
            status=status,
            error=entry.get("error"),
            replay=replay if isinstance(replay, bool) else status == "ok",
        )
    return out


def parse_overrides(raw: Optional[str]) -> Dict[str, str]:
    """RUNTRAIL_OVERRIDES as `{decision key: label}`; anything else is warned about and ignored."""
    if raw is None or not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        warn_once("overrides", "RUNTRAIL_OVERRIDES is not a JSON object of decision key to option label; it is ignored")
        return {}
    out: Dict[str, str] = {}
    for key, label in parsed.items():
        if isinstance(label, str):
            out[key] = label
        else:
            warn_once(f"overrides:{key}", f"RUNTRAIL_OVERRIDES[{key!r}] is not an option label (a string); it is ignored")
    return out


def split_key(key: str) -> "tuple[str, str]":
    """`/plan#0/search#2` -> parent key `/plan#0` and name `search`."""
    slash = key.rfind("/")
    segment = key[slash + 1 :]
    mark = segment.rfind("#")
    return key[: max(0, slash)], segment[:mark] if mark > 0 else segment


class ReplayedError(RuntimeError):
    """Raised by a replayed step whose recorded error is not a builtin exception type: the original
    class may not exist any more, so its name is kept on the class and `type` holds the recorded
    type in full (e.g. `mypkg.errors.QuotaError`)."""

    type: str = "RuntimeError"


_replayed_types: Dict[str, Type[ReplayedError]] = {}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def replayed_error(error: Any) -> BaseException:
    """The exception a replayed step raises in place of the one it recorded: the builtin type of
    that name when one exists, else a ReplayedError subclass named like the original; the message
    is kept."""
    info = error if isinstance(error, dict) else {}
    message = info.get("message") if isinstance(info.get("message"), str) else "the recorded step failed"
    type_name = info.get("type") if isinstance(info.get("type"), str) and info.get("type") else "RuntimeError"
    builtin = getattr(builtins, type_name, None)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        try:
            return builtin(message)
        except Exception:  # noqa: BLE001 - a builtin that wants other arguments (UnicodeDecodeError)
            pass
    cls = _replayed_types.get(type_name)
    if cls is None:
        short = type_name.rsplit(".", 1)[-1]
        name = short if _IDENTIFIER.match(short) else "ReplayedError"
        cls = type(name, (ReplayedError,), {"type": type_name, "__module__": "runtrail"})
        _replayed_types[type_name] = cls
    return cls(message)
