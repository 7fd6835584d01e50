"""Helpers for pilot tests of the console: seed a journal, read back what was written,
wait for the sync loop, and read what the screen shows as plain text."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip

from data.commands import append_to, build_events
from data.config import Settings
from data.engine import clock
from data.engine.journal import FileJournal
from data.engine.store import Store

SIZE = (140, 40)
ACTOR = "ic-test"

OPEN: dict[str, Any] = {
    "title": "EDR: welfare concern",
    "category": "edr",
    "severity": 2,
    "source": "law_enforcement",
    "regions": ["US"],
}

#: control characters that must never reach a rendered cell (and the bidi override of the
#: hostile RTL string, which data.privacy.text.clean() replaces too)
CONTROLS = ("\x1b", "\x00", "\r", "\u202e")


def settings_for(tmp_path: Path, actor: str = ACTOR) -> Settings:
    return Settings(tmp_path / "journal.jsonl", tmp_path / "console.db", actor)


def opened(incident: str, **data: Any) -> dict[str, Any]:
    return {"type": "incident.opened", "incident": incident, "data": {**OPEN, **data}}


def scoped(etype: str, incident: str, **data: Any) -> dict[str, Any]:
    return {"type": etype, "incident": incident, "data": data}


async def seed(settings: Settings, events: list[dict[str, Any]], actor: str = "seeder") -> None:
    """Append ``events`` (``type``/``incident``/``data``, optionally ``actor``) through the
    validated write path, with a store of its own (never the console's)."""
    store = await Store.open(settings.db.with_name(settings.db.stem + "-seed.db"))
    try:
        built = build_events([(e["type"], e) for e in events], actor)
        await append_to(FileJournal(settings.journal), store, built)
    finally:
        await store.close()


def journal_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of the journal, parsed (a test journal holds only JSON lines)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def new_lines(path: Path, before: int) -> list[dict[str, Any]]:
    return journal_lines(path)[before:]


async def wait_for(pilot: Any, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> None:
    """Poll ``predicate`` (letting the app run) until it is true, up to ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for the console{': ' + what if what else ''}")
        await pilot.pause(0.05)


#: the workers that run as long as the console does (never waited for)
ENDLESS = ("sync", "watch", "simulator", "chain-check", "pager")
#: the screens' one-shot timers that change what is shown when they fire (the footer's
#: keys after a selection, the paint held while an incident loads, the trends' refresh);
#: each is set back to None when it fires
PENDING_TIMERS = ("_footer_timer", "_paint_timer", "_pending")


def busy_workers(app: Any) -> list[Any]:
    return [w for w in app.workers if w.group not in ENDLESS and not w.is_finished]


def timers_pending(app: Any) -> bool:
    return any(getattr(s, name, None) is not None for s in app.screen_stack for name in PENDING_TIMERS)


def synced(app: Any) -> bool:
    """The first sync's snapshot is in (not the stored one painted before it, "syncing…")."""
    return app.last_snapshot is not None and app.last_snapshot.sync.synced_at is not None


async def settle(pilot: Any, ready: Callable[[Any], Any] | None = None, timeout: float = 20.0) -> None:
    """Wait for the first sync and ``ready(app)``, then until no worker is busy (but the
    endless ones), no screen timer that changes the picture is pending, no animation is
    scheduled and every message is processed: what a snapshot is taken of. Text cursors
    stop blinking (shown steadily), so the picture does not depend on when it is taken."""
    app = pilot.app
    await wait_for(
        pilot, lambda: synced(app) and (ready is None or ready(app)), timeout, "the console to be ready"
    )
    deadline = time.monotonic() + timeout
    for field in app.screen.query("Input, TextArea"):
        field.cursor_blink = False
    while True:
        # (polled, not awaited: awaiting a worker with a deadline would cancel the worker
        # itself when the deadline passes, hiding the very hang the deadline is there to show)
        while busy_workers(app):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for the workers {busy_workers(app)}")
            await pilot.pause(0.02)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        if not busy_workers(app) and not timers_pending(app):
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the console to settle")
        if timers_pending(app):
            await pilot.pause(0.02)  # (polled: the timer fires on its own time)


async def next_syncs(pilot: Any, app: Any, count: int = 2, timeout: float = 20.0) -> None:
    """Ask the sync loop for ``count`` more passes and wait until each has synced: what a
    pass does after its sync (sending the outbox) is done once the next one has synced."""
    counter = getattr(app, "_test_syncs", None)
    if counter is None:
        counter = app._test_syncs = [0]
        original = app.sync_once

        async def counted() -> None:
            try:
                await original()
            finally:
                counter[0] += 1

        app.sync_once = counted
    for _ in range(count):
        start = counter[0]
        app.request_refresh()
        await wait_for(pilot, lambda start=start: counter[0] > start, timeout, "another sync")


def queue_ids(app: Any) -> list[str]:
    from screens.main import MainScreen
    from widgets.queue import IncidentQueue

    screen = next(s for s in app.screen_stack if isinstance(s, MainScreen))
    return [str(r.key.value) for r in screen.query_one(IncidentQueue).ordered_rows]


def snapshot_ids(app: Any) -> list[str]:
    snap = app.last_snapshot
    return [r.id for r in snap.incidents] if snap is not None else []


def table_texts(table: Any) -> list[list[Text]]:
    """Every cell of a DataTable, row by row (the renderables it was given)."""
    return [list(table.get_row_at(i)) for i in range(table.row_count)]


def plain_cells(table: Any) -> list[str]:
    out = []
    for row in table_texts(table):
        for cell in row:
            assert isinstance(cell, Text), f"a cell is {type(cell).__name__}, not rich Text: {cell!r}"
            out.append(cell.plain)
    return out


def log_lines(log: Any) -> list[str]:
    """The lines the timeline holds, wrapped at its width (as rendered strips)."""
    return [strip.text for strip in log.rendered_lines()]


def log_text(log: Any) -> str:
    """The timeline's text with its wrapped lines joined again (by one space, as wrapping
    breaks lines at spaces): good for ``in`` checks of a phrase."""
    return " ".join(" ".join(strip.text.split()) for strip in log.rendered_lines())


def screen_strips(app: Any) -> list[Strip]:
    """The top screen as the terminal gets it, one strip (row of styled segments) per row.

    The one reach into Textual's internals in the tests: Textual 8 has no public way to
    read what the screen shows as text and styles. ``App.export_screenshot()`` gives only
    SVG (its text split into elements, escaped, and its styles as CSS classes), so it
    cannot give the same rows and segments reliably; this reads the compositor's strips,
    the same compositor ``export_screenshot`` renders."""
    return list(app.screen._compositor.render_strips())


def screen_segments(app: Any) -> list[Segment]:
    """Every segment the top screen renders, as the terminal would get it."""
    segments: list[Segment] = []
    for strip in screen_strips(app):
        segments.extend(strip)
    return segments


def screen_text(app: Any) -> str:
    """The top screen as plain text, one line per terminal row."""
    return "\n".join(strip.text for strip in screen_strips(app))


def assert_no_controls(texts: list[str] | str, where: str) -> None:
    if isinstance(texts, str):
        texts = [texts]
    for text in texts:
        for ch in CONTROLS:
            assert ch not in text, f"{where}: control character {ch!r} reaches the screen in {text[:80]!r}"


def assert_screen_clean(app: Any, where: str) -> None:
    for seg in screen_segments(app):
        if seg.control:
            continue
        assert_no_controls(seg.text, where)


@contextmanager
def frozen_war_room(folder: Path, events: list[dict[str, Any]], now: datetime) -> Iterator[Settings]:
    """A journal holding ``events`` exactly as given (ids and times included), a store
    synced to it, and the console's clock frozen at ``now``: the ground of a snapshot test
    (from a plain ``def`` test, as ``snap_compare`` needs)."""
    settings = Settings(folder / "journal.jsonl", folder / "store.db", "demo-ic")

    async def write() -> None:
        await FileJournal(settings.journal).append(events)
        store = await Store.open(settings.db)
        await store.sync(FileJournal(settings.journal))
        await store.close()

    asyncio.run(write())
    clock.freeze(now)
    try:
        yield settings
    finally:
        clock.freeze(None)
