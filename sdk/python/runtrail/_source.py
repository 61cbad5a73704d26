"""The caller's source location: the first frame outside the SDK (and asyncio's event loop)."""

from __future__ import annotations

import os
import sys
import threading
from itertools import islice
from types import CodeType, FrameType
from typing import Any, Callable, Dict, Optional

_SDK_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_ASYNCIO_DIR = os.path.join(os.path.dirname(os.path.abspath(threading.__file__)), "asyncio") + os.sep
_sdk_files: Dict[str, bool] = {}

Location = Dict[str, Any]


def _in_sdk(filename: str) -> bool:
    known = _sdk_files.get(filename)
    if known is None:
        known = os.path.abspath(filename).startswith(_SDK_DIR)
        _sdk_files[filename] = known
    return known


def _file(code: CodeType) -> str:
    name = code.co_filename
    # "<stdin>", "<string>": not paths, keep them as they are.
    return name if name.startswith("<") else os.path.abspath(name)


def _function(code: CodeType) -> str:
    return getattr(code, "co_qualname", code.co_name)


def _location(frame: FrameType) -> Location:
    code = frame.f_code
    line = frame.f_lineno
    column: Optional[int] = None
    positions = getattr(code, "co_positions", None)  # Python 3.11+
    if positions is not None and frame.f_lasti >= 0:
        position = next(islice(positions(), frame.f_lasti // 2, None), None)
        if position is not None and position[0] is not None:
            line = position[0]
            if position[2] is not None:
                column = position[2] + 1
    location: Location = {"file": _file(code), "line": max(1, line or 1), "function": _function(code)}
    if column is not None:
        # 1-based like the line, as stack traces print it.
        location["column"] = column
    return location


def caller(fallback: Optional[Callable[..., Any]] = None) -> Optional[Location]:
    """Where the workflow called into the SDK. Without such a frame (a coroutine driven straight by
    the event loop), where `fallback` is defined."""
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None and _in_sdk(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is not None and not (fallback is not None and os.path.abspath(frame.f_code.co_filename).startswith(_ASYNCIO_DIR)):
        return _location(frame)
    code = getattr(fallback, "__code__", None)
    if isinstance(code, CodeType):
        return {"file": _file(code), "line": max(1, code.co_firstlineno), "function": _function(code)}
    return None
