"""Real servers that warroom's channels send to in tests: a JSON webhook receiver (an
HTTP server that keeps what is posted) and an SMTP server (aiosmtpd) that keeps the mail.
Each listens on a free local port and runs in a thread of its own."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """What a receiver got, in order; ``status``: what the webhook answers (e.g. 500 to
    refuse)."""

    items: list[Any] = field(default_factory=list)
    status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def all(self) -> list[Any]:
        with self.lock:
            return list(self.items)


@contextmanager
def webhook() -> Iterator[tuple[str, Received]]:
    """A JSON webhook at ``json://127.0.0.1:PORT/hook``: yields (that Apprise URL, what it got)."""
    got = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with got.lock:
                got.items.append({"path": self.path, "json": json.loads(body or b"null")})
            self.send_response(got.status)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/hook", got
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp() -> Iterator[tuple[str, Received]]:
    """An SMTP server (aiosmtpd, no TLS, no login) at 127.0.0.1:PORT: yields (an Apprise
    ``mailto://`` URL that sends to oncall@example.org through it, what it got: each mail's
    sender, recipients, subject and body)."""
    import socket

    from aiosmtpd.controller import Controller

    got = Received()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            mail = message_from_bytes(envelope.content)
            part = mail.get_payload(0) if mail.is_multipart() else mail
            body = part.get_payload(decode=True) if part is not None else b""
            with got.lock:
                got.items.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "subject": str(mail["Subject"]), "body": (body or b"").decode("utf-8", "replace")})  # fmt: skip
            return "250 OK"

    with socket.socket() as s:  # a free port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = f"mailto://warroom@127.0.0.1:{port}?to=oncall@example.org&from=warroom@example.org&secure=no&user=&pass="
        yield url, got
    finally:
        controller.stop()
