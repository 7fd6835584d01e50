"""``warroom serve`` in a real headless browser: Debian's chromium loads the page, xterm.js
connects its WebSocket, an observer console starts for it, and the queue reaches the page.

The terminal is drawn on a canvas, so the test reads what the page was sent, over the
DevTools protocol (the WebSocket frames the page received: the terminal's output), asks
the page whether its terminal is up (textual-serve marks the body ``-first-byte`` once
the terminal has been written to), and takes a screenshot (kept in the test's folder).

Without chromium it is skipped, unless ``WARROOM_REQUIRE_BROWSER=1`` (``.ci/run``), where a
missing browser fails.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests._console_helpers import opened, scoped, seed, settings_for

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Welfare concern, ref 4411"


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def browser() -> str:
    path = chromium()
    if path is None:
        message = "chromium is not installed (apt-get install -y chromium); the browser test of warroom serve needs it"
        if os.environ.get("WARROOM_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " and WARROOM_REQUIRE_BROWSER=1")
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[Any], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"warroom serve exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"warroom serve is not listening on {port}")


class Cdp:
    """A minimal DevTools protocol client (aiohttp's WebSocket client, which textual-serve
    brings): commands on one page session, events gathered."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.n = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            data = msg.json()
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
            elif "method" in data:
                self.events.append(data)

    async def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.n += 1
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.n] = fut
        msg: dict[str, Any] = {"id": self.n, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        await self.ws.send_json(msg)
        reply = await asyncio.wait_for(fut, 15)
        assert "error" not in reply, (method, reply)
        return reply.get("result", {})


def frames_text(events: list[dict[str, Any]]) -> str:
    """What the page's WebSocket received (the terminal output), escapes removed."""
    out = []
    for e in events:
        if e["method"] != "Network.webSocketFrameReceived":
            continue
        frame = e["params"]["response"]
        data = frame["payloadData"]
        if frame.get("opcode") == 2:
            data = base64.b64decode(data).decode("utf-8", "replace")
        out.append(data)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", "".join(out))


async def drive(
    browser_path: str, url: str, profile: Path, shot: Path, expect: list[str]
) -> tuple[str, bool]:
    import aiohttp

    proc = subprocess.Popen(
        [browser_path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1400,900", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not (active.exists() and len(active.read_text().splitlines()) >= 2):
            assert time.monotonic() < deadline and proc.poll() is None, "chromium did not start"
            await asyncio.sleep(0.1)
        port, path = active.read_text().splitlines()[:2]
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0) as ws,
        ):
            cdp = Cdp(ws)
            target = (await cdp.send("Target.createTarget", url="about:blank"))["targetId"]
            session = (await cdp.send("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
            await cdp.send("Network.enable", session)
            await cdp.send("Page.enable", session)
            await cdp.send("Page.navigate", session, url=url)
            deadline = time.monotonic() + 30
            text, up = "", False
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                text = frames_text(cdp.events)
                result = await cdp.send("Runtime.evaluate", session, returnByValue=True,
                                        expression="document.body.classList.contains('-first-byte') && "
                                                   "!!document.querySelector('.xterm-screen')")  # fmt: skip
                up = bool(result["result"].get("value"))
                if up and all(e in text for e in expect):
                    break
            await asyncio.sleep(0.5)
            png = await cdp.send("Page.captureScreenshot", session, format="png")
            shot.write_bytes(base64.b64decode(png["data"]))
            cdp.reader.cancel()
            return text, up
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_serve_shows_the_queue_in_a_browser(tmp_path: Path, browser: str) -> None:
    settings = settings_for(tmp_path, actor="boss")
    asyncio.run(seed(settings, [
        opened("INC-4411", title=TITLE, severity=1),
        scoped("incident.role_set", "INC-4411", role="commander", person="boss"),
    ]))  # fmt: skip
    before = settings.journal.read_bytes()
    port = free_port()
    env = {**os.environ, "WARROOM_OBSERVER": "0"}  # serve makes its consoles observers anyway
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--journal", str(settings.journal),
         "--db", str(settings.db), "--actor", "boss"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_port(port, server)
        shot = tmp_path / "serve.png"
        text, up = asyncio.run(drive(browser, f"http://127.0.0.1:{port}/", tmp_path / "profile", shot,
                                     ["INC-4411", TITLE, "OBSERVER"]))  # fmt: skip
        assert up, "the page's terminal never came up"
        assert "INC-4411" in text and TITLE in text, text[-2000:]
        assert "OBSERVER" in text and "read-only" in text
        assert shot.stat().st_size > 10_000  # a rendered terminal, not a blank page
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    assert settings.journal.read_bytes() == before  # the observer wrote nothing


def test_serve_refuses_other_sites_and_unknown_hosts(tmp_path: Path) -> None:
    """Cross-site WebSocket hijacking and DNS rebinding: a page of another origin cannot
    open a console session, and a request for another Host is refused."""
    pytest.importorskip("textual_serve")
    import aiohttp

    settings = settings_for(tmp_path, actor="boss")
    asyncio.run(seed(settings, [opened("INC-1")]))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--journal", str(settings.journal),
         "--db", str(settings.db), "--actor", "boss"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip

    async def probe() -> dict[str, int]:
        out: dict[str, int] = {}
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/") as r:
                out["index"] = r.status
                page = await r.text()
                assert "fonts.googleapis.com" not in page
            async with http.get(base + "/", headers={"Host": "evil.example:80"}) as r:
                out["rebound"] = r.status
            # every path checks the Host header, not only the page and the WebSocket
            for name, path in (("download", "/download/some-key"), ("static", "/static/js/textual.js")):
                async with http.get(base + path, headers={"Host": "evil.example:80"}) as r:
                    out[f"rebound {name}"] = r.status
            async with http.get(base + "/download/some-key") as r:
                out["download"] = r.status
            for name, origin in (("other site", "http://evil.example"), ("same", base)):
                try:
                    async with http.ws_connect(base + "/ws", origin=origin) as ws:
                        out[name] = 101
                        await ws.close()
                except aiohttp.WSServerHandshakeError as exc:
                    out[name] = exc.status
        return out

    try:
        wait_port(port, server)
        got = asyncio.run(probe())
    finally:
        server.terminate()
        server.wait(10)
    assert got == {"index": 200, "rebound": 421, "rebound download": 421, "rebound static": 421, "download": 404,
                   "other site": 403, "same": 101}  # fmt: skip


def test_serve_warns_beyond_loopback() -> None:
    from app.serve import allowed, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3") and not is_loopback("warroom.internal")
    hosts, origins = allowed("127.0.0.1", 8000, "https://warroom.example.com")
    assert "warroom.example.com" in hosts and "https://warroom.example.com" in origins
    assert "http://evil.example" not in origins


def test_serve_beyond_loopback_prints_a_warning(tmp_path: Path) -> None:
    pytest.importorskip("textual_serve")
    settings = settings_for(tmp_path, actor="boss")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "0.0.0.0", "--port", str(port),
         "--journal", str(settings.journal), "--db", str(settings.db), "--actor", "boss"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stderr is not None
        first = server.stderr.readline()
    finally:
        server.terminate()
        server.wait(10)
    assert first.startswith("warroom: warning: serving on 0.0.0.0") and "no authentication" in first


def test_served_consoles_ignore_the_working_directory(tmp_path: Path) -> None:
    """``warroom serve`` started from a folder holding an ``app/`` package and a
    ``numbers.py``: the console each session starts is warroom's own (it reaches the page),
    and nothing from that folder is imported."""
    pytest.importorskip("textual_serve")
    import aiohttp

    from tests.helpers import warroom_command
    from tests.test_spawn import hostile_folder, marks

    settings = settings_for(tmp_path, actor="boss")
    asyncio.run(seed(settings, [opened("INC-7", title="Hostile folder")]))
    evil = hostile_folder(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [*warroom_command(), "serve", "--port", str(port), "--journal", str(settings.journal),
         "--db", str(settings.db), "--actor", "boss"],
        cwd=evil, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    seen: list[str] = []  # what the session received (the console's output), escapes removed

    async def session() -> None:
        base = f"http://127.0.0.1:{port}"
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(base + "/ws?width=140&height=40", origin=base) as ws,
        ):
            while "INC-7" not in "".join(seen) or "OBSERVER" not in "".join(seen):
                msg = await ws.receive()
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise AssertionError(f"the session ended: {''.join(seen)[-2000:]!r}")
                data = msg.data if isinstance(msg.data, str) else msg.data.decode("utf-8", "replace")
                seen.append(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", data))

    try:
        wait_port(port, server)
        try:
            asyncio.run(asyncio.wait_for(session(), 60))
        except TimeoutError:
            raise AssertionError(
                f"the console never reached the session: {''.join(seen)[-2000:]!r}"
            ) from None
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    assert marks(tmp_path) == []
