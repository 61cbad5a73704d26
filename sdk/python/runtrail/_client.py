"""HTTP to the sidecar with urllib: one request, its status and JSON body, or why it never arrived."""

from __future__ import annotations

import email.utils
import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Unreachable(Exception):
    """The request never got an HTTP answer: refused, reset, timed out, DNS failed."""


class Reply:
    __slots__ = ("status", "body", "retry_after")

    def __init__(self, status: int, body: Any, retry_after: Optional[float]) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """The sidecar's own words from `{error: {code, message}}`, or the bare status."""
        if isinstance(self.body, dict):
            error = self.body.get("error")
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                return f"{self.status} {error['message']}"
        return f"HTTP {self.status}"

    def detail(self, name: str) -> Any:
        if isinstance(self.body, dict):
            error = self.body.get("error")
            if isinstance(error, dict) and isinstance(error.get("details"), dict):
                return error["details"].get(name)
        return None


class SidecarClient:
    def __init__(self, base_url: str, token: Optional[str], timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        host = urllib.parse.urlsplit(self.base_url).hostname or ""
        # A local sidecar must never be reached through the user's HTTP proxy.
        local = host in _LOOPBACK or host.startswith("127.")
        handlers = [urllib.request.ProxyHandler({})] if local else []
        self._opener = urllib.request.build_opener(*handlers)

    def request(self, method: str, path: str, body: Any = None, *, raw_body: Optional[bytes] = None) -> Reply:
        data = raw_body if raw_body is not None else (None if body is None else json.dumps(body).encode("utf-8"))
        headers: Dict[str, str] = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Reply(response.status, _parse(response.read()), None)
        except urllib.error.HTTPError as error:
            try:
                payload = error.read()
            except Exception:  # noqa: BLE001 - a body cut short still leaves the status
                payload = b""
            finally:
                error.close()
            return Reply(error.code, _parse(payload), _retry_after(error.headers.get("Retry-After")))
        except urllib.error.URLError as error:
            raise Unreachable(_reason(error.reason)) from None
        except (OSError, http.client.HTTPException, socket.timeout) as error:
            raise Unreachable(_reason(error)) from None


def _parse(payload: bytes) -> Any:
    if not payload:
        return None
    try:
        return json.loads(payload.decode("utf-8"))
    except ValueError:
        return None


def _reason(error: Any) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds to wait, from either form of Retry-After (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
