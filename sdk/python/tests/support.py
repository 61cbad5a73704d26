"""
Shared pieces of the SDK tests: a real sidecar (`node dist/sidecar.js`) as a process, its REST API,
and fixture workflows run as real Python processes.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

TESTS = Path(__file__).resolve().parent
SDK_ROOT = TESTS.parent
REPO_ROOT = SDK_ROOT.parents[1]
BUNDLE = REPO_ROOT / "dist" / "sidecar.js"
FIXTURES = TESTS / "fixtures"
START_TIMEOUT = 30.0
SCRIPT_TIMEOUT = 60.0

if str(SDK_ROOT) not in sys.path:
    sys.path.insert(0, str(SDK_ROOT))

# The tests choose every RUNTRAIL_* setting themselves; none may leak in from the shell.
for _name in [name for name in os.environ if name.startswith("RUNTRAIL_")]:
    del os.environ[_name]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sidecar:
    """The built sidecar bundle, started exactly as a user starts it."""

    def __init__(self, *, data_dir: Optional[str] = None, port: int = 0) -> None:
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="runtrail-py-")
        self.port = port
        self.url = ""
        self.token = ""
        self._process: Optional[subprocess.Popen[str]] = None
        self._reader: Optional[threading.Thread] = None
        self._lines: List[str] = []

    def start(self) -> "Sidecar":
        if not BUNDLE.exists():
            raise RuntimeError(f"{BUNDLE} is missing: run `npm run build` first")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "RUNTRAIL_PORT": str(self.port),
            "RUNTRAIL_DATA_DIR": self.data_dir,
            "RUNTRAIL_LOG_LEVEL": "info",
        }
        process = subprocess.Popen(
            ["node", str(BUNDLE)],
            cwd=str(REPO_ROOT),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._process = process
        listening = threading.Event()
        found: Dict[str, Any] = {}

        def read() -> None:
            assert process.stdout is not None
            # Keeps draining after the listening line so the sidecar never blocks on a full pipe.
            for line in process.stdout:
                self._lines.append(line)
                if not listening.is_set() and '"msg":"listening"' in line:
                    try:
                        found.update(json.loads(line))
                    except ValueError:
                        continue
                    listening.set()
            listening.set()

        self._reader = threading.Thread(target=read, name="sidecar-output", daemon=True)
        self._reader.start()
        if not listening.wait(START_TIMEOUT) or "url" not in found:
            self.stop()
            raise RuntimeError("the sidecar did not start:\n" + "".join(self._lines))
        self.url = found["url"]
        self.port = int(urllib.parse.urlsplit(self.url).port or 0)
        self.token = Path(found["tokenFile"]).read_text(encoding="utf-8").strip()
        return self

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        self._process = None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self._reader is not None:
            self._reader.join(5)
            self._reader = None
        if process.stdout is not None:
            process.stdout.close()

    def remove(self) -> None:
        self.stop()
        if self._own_dir:
            import shutil

            shutil.rmtree(self.data_dir, ignore_errors=True)

    def output(self) -> str:
        return "".join(self._lines)

    # ---- REST ----

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=15) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path} → {error.code}: {error.read().decode('utf-8', 'replace')}") from None
        return json.loads(payload) if payload else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def run(self, run_id: str) -> Dict[str, Any]:
        return self.get(f"/api/runs/{run_id}")  # type: ignore[no-any-return]

    def nodes(self, run_id: str) -> List[Dict[str, Any]]:
        return self.get(f"/api/runs/{run_id}/tree?format=flat")["nodes"]  # type: ignore[no-any-return]

    def roots(self, run_id: str) -> List[Dict[str, Any]]:
        return self.get(f"/api/runs/{run_id}/tree?format=nested")["roots"]  # type: ignore[no-any-return]

    def node(self, node_id: str) -> Dict[str, Any]:
        """One node with its payloads (input, output, attributes)."""
        return self.get(f"/api/nodes/{node_id}")  # type: ignore[no-any-return]

    def by_key(self, run_id: str) -> Dict[str, Dict[str, Any]]:
        return {node["key"]: node for node in self.nodes(run_id)}

    def runs_of(self, workflow: str) -> List[Dict[str, Any]]:
        return self.get(f"/api/runs?workflow={urllib.parse.quote(workflow)}")["runs"]  # type: ignore[no-any-return]

    def env(self) -> Dict[str, str]:
        """Settings a workflow finds the sidecar by: only the data folder (sidecar.json + token)."""
        return {"RUNTRAIL_DATA_DIR": self.data_dir}


_shared: Optional[Sidecar] = None


def shared_sidecar() -> Sidecar:
    """One sidecar for every test that does not stop or replace it."""
    global _shared
    if _shared is None:
        _shared = Sidecar().start()
    return _shared


def stop_shared_sidecar() -> None:
    global _shared
    if _shared is not None:
        _shared.remove()
        _shared = None


# Also when a test file runs on its own (python3 -m unittest): never leave a sidecar behind.
atexit.register(stop_shared_sidecar)


def script_env(extra: Mapping[str, str]) -> Dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("RUNTRAIL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(SDK_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_fixture(name: str, env: Mapping[str, str], args: Sequence[str] = ()) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [sys.executable, str(FIXTURES / name), *args],
        env=script_env(env),
        cwd=str(REPO_ROOT),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
    )


def last_json(stdout: str) -> Dict[str, Any]:
    """The fixture's report: its last stdout line, as JSON."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError("the fixture printed nothing")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def marked_lines(path: Path) -> Dict[str, int]:
    """`# @mark <name>` comments → their 1-based line numbers."""
    marks: Dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.search(r"#\s*@mark\s+(\S+)", line)
        if match:
            marks[match.group(1)] = number
    return marks


def warnings_in(stderr: str) -> List[str]:
    return [line for line in stderr.splitlines() if line.startswith("runtrail:")]
