"""
Which node is current, and the occurrence counters that make keys.

The current node lives in a ContextVar, so nesting follows the code: a step called inside another
step becomes its child, asyncio tasks inherit the node that created them, and a new thread starts
with no current node (its steps are roots) unless it runs under `contextvars.copy_context().run`.
"""

from __future__ import annotations

import contextvars
import threading
from typing import TYPE_CHECKING, Dict, Optional

if TYPE_CHECKING:
    from ._run import Run


class Scope:
    """A parent for new nodes: a node, or the run itself (id None, key "")."""

    __slots__ = ("run", "node_id", "key", "_counts", "_lock")

    def __init__(self, run: "Run", node_id: Optional[str], key: str) -> None:
        self.run = run
        self.node_id = node_id
        self.key = key
        self._counts: Dict[str, int] = {}
        self._lock = threading.Lock()

    def child_key(self, name: str) -> str:
        """parent key + "/" + name + "#" + how many children of that name came before."""
        with self._lock:
            occurrence = self._counts.get(name, 0)
            self._counts[name] = occurrence + 1
        return f"{self.key}/{name}#{occurrence}"


_current: "contextvars.ContextVar[Optional[Scope]]" = contextvars.ContextVar("runtrail_current_node", default=None)


def parent_for(run: "Run") -> Scope:
    scope = _current.get()
    # A scope left over from an earlier run in this process is no parent for this one.
    return scope if scope is not None and scope.run is run else run._root


def enter(scope: Scope) -> "contextvars.Token[Optional[Scope]]":
    return _current.set(scope)


def leave(token: "contextvars.Token[Optional[Scope]]", previous: Optional[Scope]) -> None:
    try:
        _current.reset(token)
    except ValueError:
        # Left in another context than it was entered in (a generator resumed elsewhere).
        _current.set(previous)


def current() -> Optional[Scope]:
    return _current.get()
