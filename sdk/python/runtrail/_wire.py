"""What records look like on the wire (protocol/runs.ts `NodeRecord`): ids, times, payloads, errors."""

from __future__ import annotations

import json
import os
import random
import re
import time
import traceback
from typing import Any, Dict, Optional

# The sidecar rejects a node whose input/output/error/attributes is larger than this as JSON
# (RUNTRAIL_MAX_FIELD_BYTES, default 256 KiB); a larger value is replaced by a preview so one big
# payload never costs the whole batch around it.
MAX_FIELD_BYTES = 256 * 1024
PREVIEW_CHARS = 2000
MAX_NAME_CHARS = 1000
MAX_KEY_CHARS = 4096
MAX_STACK_CHARS = 64 * 1024

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")
STATUSES = ("ok", "error", "cancelled")


# Ids need to be unique, not secret: a private generator seeded from the OS is fast, and unlike
# the `random` module's it is never re-seeded by the workflow (random.seed(42) in two runs must not
# give both the same ids). A forked child re-seeds, or it would repeat its parent's ids.
_ids = random.Random(os.urandom(32))
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(32)))


def new_id() -> str:
    """32 random hex characters: generated once per node, so a re-sent record is an idempotent upsert."""
    return f"{_ids.getrandbits(128):032x}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 128 or not ID_PATTERN.match(value):
        raise ValueError(
            f"runtrail: {what} {value!r} is not a valid id: use 1-128 characters "
            "(letters, digits and . _ : @ -), starting with a letter or digit"
        )
    return value


def check_name(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"runtrail: {what} must be a string, got {type(value).__name__}")
    if not value:
        raise ValueError(f"runtrail: {what} must not be empty")
    return value[:MAX_NAME_CHARS]


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ is the user's, not a reason to fail
        return f"<{type(value).__qualname__} (repr failed)>"


def to_json(value: Any) -> str:
    """Compact JSON as the sidecar measures it; values JSON cannot hold become their repr()."""
    try:
        return json.dumps(value, default=_safe_repr, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        # NaN, a cycle, or keys JSON cannot have: the whole value as text.
        return json.dumps(_safe_repr(value), ensure_ascii=False)


def json_safe(value: Any) -> Any:
    """A JSON-compatible snapshot of `value`, taken now (the caller may mutate it afterwards)."""
    kind = type(value)
    # Immutable and certainly small: no need to go through text (one JSON char is at most 6 bytes).
    if value is None or kind is bool or kind is int:
        return value
    if kind is str and len(value) * 6 <= MAX_FIELD_BYTES:
        return value
    if kind is float and value - value == 0.0:  # finite: NaN and infinities are not JSON
        return value
    text = to_json(value)
    size = len(text.encode("utf-8"))
    if size > MAX_FIELD_BYTES:
        return {"truncated": True, "bytes": size, "preview": text[:PREVIEW_CHARS]}
    return json.loads(text)


def type_name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def error_info(error: Any) -> Dict[str, Any]:
    """`{message, type, stack}` for an exception; strings and `{message, ...}` dicts as given."""
    if isinstance(error, BaseException):
        stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        if len(stack) > MAX_STACK_CHARS:
            # The innermost frames, at the end, say the most.
            stack = "…\n" + stack[-MAX_STACK_CHARS:]
        message = str(error) or type(error).__name__
        return {"message": message[:MAX_STACK_CHARS], "type": type_name(error), "stack": stack}
    if isinstance(error, str):
        if not error:
            raise ValueError("runtrail: error must not be an empty string")
        return {"message": error}
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        safe = json_safe(error)
        if isinstance(safe, dict):
            return safe
    raise TypeError(
        f"runtrail: error must be an exception, a message string or a dict with a 'message', got {type(error).__name__}"
    )


def optional_int(value: Any, what: str) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"runtrail: {what} must be a non-negative integer, got {value!r}")
    return value


def optional_cost(value: Any) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
        raise ValueError(f"runtrail: cost_usd must be a non-negative number, got {value!r}")
    return float(value)
