"""
Runtrail: report a Python workflow's steps to the Runtrail sidecar.

    import runtrail
    runtrail.start_run()
    ...
    runtrail.finish()

Standard library only; see README.md for the surface and sdk/README.md for the wire format.
"""

from __future__ import annotations

from ._replay import ReplayedError
from ._run import Run, active_run, finish, start_run
from ._steps import StepHandle, StepSpec, Usage, decide, llm, log, step, tool, usage

__all__ = [
    "ReplayedError",
    "Run",
    "StepHandle",
    "StepSpec",
    "Usage",
    "active_run",
    "decide",
    "finish",
    "llm",
    "log",
    "start_run",
    "step",
    "tool",
    "usage",
]

__version__ = "0.1.0"
