"""start_run() and finish(): which sidecar, which run, its git context, and the flush at exit."""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from typing import Any, Dict, List, Optional, Sequence

from ._client import SidecarClient
from ._context import Scope
from ._diagnostics import warn
from ._replay import Replay
from ._transport import Delivery, Transport
from ._wire import STATUSES, check_id, error_info, new_id, now_ms

DEFAULT_URL = "http://127.0.0.1:7317"
EXIT_FLUSH_SECONDS = 5.0
GIT_TIMEOUT_SECONDS = 2.0


class Run:
    """One run being recorded: `id`, `workflow`, `url` (None when disabled), `joined` (created by
    the runner through RUNTRAIL_RUN_ID: its status is the runner's to set, so finish() only
    flushes), `recording` (False with RUNTRAIL_DISABLED=1), `flush()`, `finish()`."""

    def __init__(
        self,
        run_id: str,
        workflow: str,
        *,
        url: Optional[str],
        delivery: Delivery,
        joined: bool,
        recording: bool,
        replay: Replay,
    ) -> None:
        self.id = run_id
        self.workflow = workflow
        self.url = url
        self.joined = joined
        self.recording = recording
        self._root = Scope(self, None, "")
        self._replay = replay
        self._delivery = delivery
        self._seq = 0
        self._seq_lock = threading.Lock()
        self._finished = False
        self._finish_lock = threading.Lock()

    def __repr__(self) -> str:
        mode = "joined" if self.joined else ("recording" if self.recording else "disabled")
        return f"<runtrail.Run {self.id} workflow={self.workflow!r} {mode}>"

    @property
    def finished(self) -> bool:
        return self._finished

    def _next_seq(self) -> int:
        with self._seq_lock:
            seq = self._seq
            self._seq += 1
        return seq

    def _send(self, record: Dict[str, Any]) -> None:
        self._delivery.send(record)

    def flush(self, timeout: float = EXIT_FLUSH_SECONDS) -> bool:
        """Waits (at most `timeout` seconds) until the sidecar holds every record sent so far."""
        return self._delivery.flush(timeout)

    def finish(self, status: Optional[str] = None, error: Any = None, *, timeout: float = EXIT_FLUSH_SECONDS) -> None:
        """Flushes, and sets the run's status when this SDK created the run. `status` defaults to
        "error" when `error` is given, else "ok"."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"runtrail: finish status must be one of {', '.join(STATUSES)}, got {status!r}")
        info = None if error is None else error_info(error)
        with self._finish_lock:
            if self._finished:
                return
            self._finished = True
        _forget(self)
        patch: Optional[Dict[str, Any]] = None
        if not self.joined:
            patch = {"status": status or ("ok" if info is None else "error"), "endedAt": now_ms()}
            if info is not None:
                patch["error"] = info
        self._delivery.finish_run(patch)
        self._delivery.close(timeout)
        self._delivery.report_undelivered()

    def _forked(self) -> None:
        """In a forked child: new locks and a sender thread of its own; the parent owns the run."""
        self.joined = True
        self._seq_lock = threading.Lock()
        self._finish_lock = threading.Lock()
        self._delivery = self._delivery.forked()

    def _finish_at_exit(self) -> None:
        # The interpreter sets sys.last_value when an uncaught exception ends the program.
        failure = getattr(sys, "last_value", None)
        status = None
        if isinstance(failure, KeyboardInterrupt):
            status = "cancelled"
        elif failure is not None:
            status = "error"
        self.finish(status, failure, timeout=EXIT_FLUSH_SECONDS)


_lock = threading.Lock()
_active: Optional[Run] = None
_atexit_registered = False


def active_run() -> Optional[Run]:
    return _active


def _forget(run: Run) -> None:
    global _active
    with _lock:
        if _active is run:
            _active = None


def _at_exit() -> None:
    run = _active
    if run is not None:
        run._finish_at_exit()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()
    run = _active
    if run is not None:
        run._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _env(name: str) -> Optional[str]:
    value = os.environ.get(name, "").strip()
    return value or None


def _disabled() -> bool:
    return (_env("RUNTRAIL_DISABLED") or "").lower() in ("1", "true", "yes", "on")


def data_dir() -> str:
    """The sidecar's data folder, chosen as the sidecar chooses it (sidecar/config.ts)."""
    configured = _env("RUNTRAIL_DATA_DIR")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        return os.path.join(os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local"), "Runtrail")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "Runtrail")
    return os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share"), "runtrail")


def _discovery(folder: str) -> Dict[str, Any]:
    """`<data dir>/sidecar.json` of a sidecar that is still running, else {}."""
    try:
        with open(os.path.join(folder, "sidecar.json"), encoding="utf-8") as file:
            found = json.load(file)
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict) or not isinstance(found.get("url"), str):
        return {}
    pid = found.get("pid")
    # os.kill(pid, 0) only probes on POSIX; on Windows it would terminate the process.
    if os.name == "posix" and isinstance(pid, int) and pid > 0:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return {}
        except OSError:
            pass
    return found


def _read_token(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip() or None
    except OSError:
        return None


def _default_workflow() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not isinstance(path, str) or not path:
        return "python"
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem == "__main__":
        # `python -m package`: the package's name says more than "__main__".
        stem = os.path.basename(os.path.dirname(os.path.abspath(path))) or stem
    return stem or "python"


def _git(folder: str, *args: str) -> Optional[str]:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip()


def git_context(folder: str) -> Optional[Dict[str, Any]]:
    """repo (the origin remote, else the top folder), branch, commit, dirty; None outside git."""
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    git: Dict[str, Any] = {}
    repo = _git(folder, "config", "--get", "remote.origin.url") or top
    git["repo"] = repo[:2048]
    branch = _git(folder, "rev-parse", "--abbrev-ref", "HEAD")
    if branch and branch != "HEAD":
        git["branch"] = branch[:1024]
    commit = _git(folder, "rev-parse", "HEAD")
    if commit:
        git["commit"] = commit[:64]
        status = _git(folder, "status", "--porcelain")
        if status is not None:
            git["dirty"] = status != ""
    return git


def _code_folder() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if isinstance(path, str) and path:
        return os.path.dirname(os.path.abspath(path))
    return os.getcwd()


def _command() -> List[str]:
    argv: Sequence[str] = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    return [str(arg)[:4096] for arg in list(argv)[:256]]


def _check_labels(labels: Optional[Sequence[str]]) -> Optional[List[str]]:
    if labels is None:
        return None
    if isinstance(labels, str) or not all(isinstance(label, str) and 1 <= len(label) <= 100 for label in labels):
        raise ValueError("runtrail: labels must be a list of strings of 1-100 characters")
    result = list(labels)
    if len(result) > 32:
        raise ValueError(f"runtrail: at most 32 labels, got {len(result)}")
    return result


def start_run(
    workflow: Optional[str] = None,
    *,
    url: Optional[str] = None,
    token: Optional[str] = None,
    run_id: Optional[str] = None,
    labels: Optional[Sequence[str]] = None,
) -> Run:
    """Starts recording. With RUNTRAIL_RUN_ID set (the runner started this process) it joins that
    run; otherwise it creates one (`run_id` chooses its id). With RUNTRAIL_DISABLED=1 everything
    runs and nothing is sent."""
    global _active, _atexit_registered
    if workflow is not None and (not isinstance(workflow, str) or not workflow.strip()):
        raise ValueError(f"runtrail: workflow must be a non-empty string, got {workflow!r}")
    name = (workflow or _env("RUNTRAIL_WORKFLOW") or _default_workflow())[:200]
    checked_labels = _check_labels(labels)
    joined_id = _env("RUNTRAIL_RUN_ID")
    if joined_id is not None:
        check_id(joined_id, "RUNTRAIL_RUN_ID")
    if run_id is not None:
        check_id(run_id, "run_id")
    replay_of = _env("RUNTRAIL_REPLAY_OF")
    if replay_of is not None:
        check_id(replay_of, "RUNTRAIL_REPLAY_OF")

    with _lock:
        previous = _active
    if previous is not None:
        warn(f"start_run() while run {previous.id} is still open: finishing it first")
        previous.finish()

    the_id = joined_id or run_id or new_id()
    if _disabled():
        run = Run(the_id, name, url=None, delivery=Delivery(), joined=joined_id is not None, recording=False, replay=Replay(None, None))
    else:
        folder = data_dir()
        discovered = _discovery(folder)
        base_url = url or _env("RUNTRAIL_URL") or discovered.get("url") or DEFAULT_URL
        token_file = discovered.get("tokenFile") if isinstance(discovered.get("tokenFile"), str) else None
        secret = token or _env("RUNTRAIL_TOKEN") or _read_token(token_file or os.path.join(folder, "token"))
        client = SidecarClient(base_url, secret)
        started_at = now_ms()
        cwd = os.getcwd()
        code_folder = _code_folder()

        def create_body() -> Dict[str, Any]:
            # Built on the sender thread: the git calls never delay the workflow.
            body: Dict[str, Any] = {"id": the_id, "workflow": name, "cwd": cwd, "command": _command(), "startedAt": started_at}
            git = git_context(code_folder)
            if git:
                body["git"] = git
            if checked_labels:
                body["labels"] = checked_labels
            if replay_of:
                body["replayOf"] = replay_of
            return body

        delivery = Transport(client, the_id, None if joined_id else create_body)
        run = Run(
            the_id,
            name,
            url=client.base_url,
            delivery=delivery,
            joined=joined_id is not None,
            recording=True,
            replay=Replay(client, replay_of),
        )
    with _lock:
        _active = run
        if not _atexit_registered:
            _atexit_registered = True
            atexit.register(_at_exit)
    return run


def finish(status: Optional[str] = None, error: Any = None, *, timeout: float = EXIT_FLUSH_SECONDS) -> None:
    """Finishes the current run (see Run.finish); without one it does nothing."""
    run = _active
    if run is not None:
        run.finish(status, error, timeout=timeout)
