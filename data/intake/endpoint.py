"""``warroom intake serve``: signals by HTTP, for webhooks (docs/intake.md, "By HTTP").

``POST /signals`` on loopback, with ``Authorization: Bearer <[intake] token>`` and a JSON
signal object as the body. The standard library's threaded server; requests are recorded
one at a time (the journal takes one batch at a time anyway). Every answer is JSON:
201 ``{"signal", "repeat_of"}``; 400 (malformed or refused), 401 (token), 404, 405, 411
(no Content-Length), 413 (over :data:`SIGNAL_RAW_MAX`), 503 (the journal cannot be
written), 500 (whether it was written is unknown) with ``{"error": "..."}``; nothing is
written unless the answer is 201.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from data.commands import AppendRefused
from data.engine.models import SIGNAL_RAW_MAX
from data.intake.record import record
from data.intake.ways import Refused, from_json

PATH = "/signals"
HOST = "127.0.0.1"


class IntakeServer(ThreadingHTTPServer):
    """The endpoint: ``settings`` (who records, which journal), the token's bytes, and
    ``log`` (one line per request, for people)."""

    daemon_threads = True

    def __init__(self, port: int, settings: Any, token: str, log: Callable[[str], None]) -> None:
        self.settings = settings
        self.token = token.encode("utf-8")
        self.log = log
        self.lock = threading.Lock()
        super().__init__((HOST, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: IntakeServer
    server_version = "warroom-intake"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that stops sending is dropped

    def _answer(self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")  # ASCII: controls as \\u escapes
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if code >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._answer(code, {"error": message}, headers)

    def log_message(self, format: str, *args: Any) -> None:
        from data.privacy.text import visible_escape

        self.server.log(visible_escape(" ".join(f"{self.address_string()} {format % args}".split()))[:500])

    def _route(self) -> bool:
        """Whether the request is for the endpoint (else it has been answered)."""
        path = self.path.split("?", 1)[0]
        if path != PATH:
            self._error(404, f"nothing here: signals are POSTed to {PATH}")
            return False
        if self.command != "POST":
            self._error(405, f"{PATH} takes POST only", {"Allow": "POST"})
            return False
        return True

    def do_GET(self) -> None:  # (http.server's names)
        self._route()

    do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def do_POST(self) -> None:
        if not self._route():
            return
        given = self.headers.get("Authorization", "")  # (header bytes as latin-1: encoded back exactly)
        scheme, _, token = given.partition(" ")
        ok = hmac.compare_digest(token.strip().encode("latin-1", "replace"), self.server.token)
        if scheme.lower() != "bearer" or not ok:
            self._error(401, "a bearer token is required: Authorization: Bearer <[intake] token>",
                        {"WWW-Authenticate": 'Bearer realm="warroom"'})  # fmt: skip
            return
        if self.headers.get("Transfer-Encoding"):
            self._error(411, "send the body with a Content-Length, not chunked")
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            self._error(411, "a Content-Length is required")
            return
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0:
            self._error(400, "the Content-Length is not a number of bytes")
            return
        if length > SIGNAL_RAW_MAX:
            self._error(413, f"the body is {length} bytes, over the {SIGNAL_RAW_MAX}-byte limit of a signal")
            return
        body = self.rfile.read(length)
        if len(body) != length:
            self._error(400, f"the body ended after {len(body)} of {length} bytes")
            return
        try:
            incoming = from_json(body)
        except Refused as exc:
            self._error(400, f"nothing was written: {exc}")
            return
        self._record(incoming)

    def _record(self, incoming: Any) -> None:
        from data.engine.journal import JournalError, WriteUnknown
        from data.engine.store import StoreError

        try:
            with self.server.lock:
                recorded, _ = asyncio.run(record(self.server.settings, [("the body", incoming)]))
        except AppendRefused as exc:
            self._error(400, "nothing was written: " + "; ".join(exc.lines))
            return
        except WriteUnknown as exc:
            self._error(500, f"whether the signal was written is unknown: {exc}")
            return
        except (JournalError, StoreError) as exc:
            self._error(503, f"nothing was written: {exc}")
            return
        self._answer(201, {"signal": recorded[0].signal, "repeat_of": recorded[0].repeat_of})
