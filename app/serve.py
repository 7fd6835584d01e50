"""``warroom serve``: an observer console in a web browser, through textual-serve.

Each browser session (each WebSocket) gets its own ``warroom --observer console`` process on
the same journal, store and actor; the processes share the store file, which the store
supports (every write transaction is ``BEGIN IMMEDIATE`` and re-reads the checkpoint).

There is **no authentication** here: anyone who can reach the port sees what the actor may
see. It listens on loopback by default; beyond loopback it must sit behind an authenticating
proxy (docs/observer.md). What it does check:

- the ``Host`` header of every request, whatever its path (a middleware), is the address it
  serves (or the ``--public-url``), so a page elsewhere cannot reach it through DNS rebinding;
- the ``Origin`` of a WebSocket is the page's own origin, so another site open in the same
  browser cannot open a console session (cross-site WebSocket hijacking: browsers let any
  page open a WebSocket to loopback);
- at most ``max_sessions`` console processes at once.

The page textual-serve ships loads a font from fonts.googleapis.com; the page served here
does not (it would tell Google who is looking at the war room, and when).
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from data.config import Settings
from data.engine.spawn import python_argv

DEFAULT_MAX_SESSIONS = 8


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve anywhere


def console_command(settings: Settings) -> str:
    """The shell command textual-serve runs for each session: an observer console, started
    isolated from the working directory (data/engine/spawn.py: never ``python -m app``, which
    would import an ``app`` or ``numbers.py`` found in the folder serve was started from)."""
    if settings.journal_url is not None:  # not on a command line (ps shows it): the environment
        os.environ["WARROOM_JOURNAL"] = settings.journal_url
        where: list[str] = []
    else:
        where = ["--journal", str(settings.journal)]
    return shlex.join(python_argv(
        "app.cli:run", *where, "--db", str(settings.db), "--actor", settings.actor, "--observer", "console",
    ))  # fmt: skip


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed(host: str, port: int, public_url: str) -> tuple[set[str], set[str]]:
    """The ``Host`` headers and WebSocket ``Origin``\\ s a server accepts."""
    hosts = {f"{host}:{port}".lower(), urlsplit(public_url).netloc.lower()}
    if is_loopback(host):
        for name in ("localhost", "127.0.0.1", "[::1]"):
            hosts.add(f"{name}:{port}")
    origins = {_origin(public_url)} | {f"http://{h}" for h in hosts} | {f"https://{h}" for h in hosts}
    return hosts, origins


def _page_templates(into: Path) -> Path:
    """textual-serve's page without its Google Fonts stylesheet (the terminal falls back
    to a local monospace font)."""
    import textual_serve

    source = Path(textual_serve.__file__).parent / "templates" / "app_index.html"
    html = source.read_text(encoding="utf-8")
    html = re.sub(r"<link[^>]*fonts\.googleapis\.com[^>]*>", "", html, flags=re.S)
    (into / "app_index.html").write_text(html, encoding="utf-8")
    return into


def make_server(
    settings: Settings, host: str, port: int, public_url: str | None = None,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
) -> Any:  # fmt: skip
    """The textual-serve server (a subclass with the checks above)."""
    from aiohttp import web
    from textual_serve.server import Server

    class ObserverServer(Server):
        def __init__(self) -> None:
            url = public_url or f"http://{host if ':' not in host else '[' + host + ']'}:{port}"
            templates = _page_templates(Path(tempfile.mkdtemp(prefix="warroom-serve-")))
            super().__init__(
                console_command(settings), host=host, port=port, title=f"warroom (observer) · {settings.actor}",
                public_url=url, templates_path=templates,
            )  # fmt: skip
            self.hosts, self.origins = allowed(host, port, self.public_url)
            self.sessions = 0

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(self._check_host)  # every path: /, /ws, /download/{key}, /static
            return app

        @web.middleware
        async def _check_host(self, request: web.Request, handler: Any) -> Any:
            if request.host.lower() not in self.hosts:
                raise web.HTTPMisdirectedRequest(text="warroom serve: unexpected Host header\n")
            return await handler(request)

        async def handle_websocket(self, request: web.Request) -> Any:
            origin = request.headers.get("Origin", "").lower()
            if origin not in self.origins:
                raise web.HTTPForbidden(
                    text="warroom serve: a console session from another site is refused\n"
                )
            if self.sessions >= max_sessions:
                raise web.HTTPServiceUnavailable(text="warroom serve: too many sessions open\n")
            self.sessions += 1
            try:
                return await super().handle_websocket(request)
            finally:
                self.sessions -= 1

        async def on_startup(self, app: web.Application) -> None:
            self.console.print(f"warroom serve: an observer console for {settings.actor} on {self.public_url}",
                               highlight=False, markup=False)  # fmt: skip
            self.console.print("Press Ctrl+C to stop", highlight=False, markup=False)

    return ObserverServer()
