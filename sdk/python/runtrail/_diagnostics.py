"""Warnings on stderr. The workflow's own output is the user's; Runtrail speaks rarely and once."""

from __future__ import annotations

import sys
import threading
from typing import Set

_lock = threading.Lock()
_said: Set[str] = set()


def warn(message: str) -> None:
    try:
        print(f"runtrail: {message}", file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - a closed stderr must not break the workflow
        pass


def warn_once(topic: str, message: str) -> bool:
    """Warns the first time `topic` comes up in this process; returns whether it did."""
    with _lock:
        if topic in _said:
            return False
        _said.add(topic)
    warn(message)
    return True
