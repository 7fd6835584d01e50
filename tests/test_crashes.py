"""Crashes and lockouts: row keys that masking or need-to-know can make equal, workers and
timers that reach a screen that is not (or no longer) there, a crash's exit status and the
terminal it leaves, and the pending-handoff banner of an incoming commander of another
region."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult

from app.console import WarRoom
from data.incidents.views import ChecklistRow, IncidentRow
from data.procedures.clocks import Clock
from screens.handoff import CriticalTable, HandoffScreen
from tests._console_helpers import opened, scoped, seed, settings_for, wait_for
from widgets.checklist import ChecklistPane
from widgets.queue import IncidentQueue

SIZE = (150, 42)
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


async def _ready(pilot: Any, app: WarRoom) -> None:
    await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")


# --- row keys ------------------------------------------------------------------------------


async def test_handoff_of_a_restricted_incident_with_two_items_due_at_one_minute(tmp_path: Path) -> None:
    """A console whose actor holds no role in a restricted incident opens the handoff: the
    two items due at the same minute are withheld alike, and each keeps its own row."""
    due = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0).isoformat()
    settings = settings_for(tmp_path, actor="outsider")
    await seed(settings, [
        opened("INC-CSEA", title="Hash match", category="csea", severity=1, restricted=True, regions=["US"]),
        scoped("incident.role_set", "INC-CSEA", role="commander", person="boss"),
        scoped("checklist.added", "INC-CSEA", item="ncmec", text="Report to NCMEC", team="legal", due=due),
        scoped("checklist.added", "INC-CSEA", item="preserve", text="Preserve the content", team="legal", due=due),
    ])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HandoffScreen) and app.screen.report is not None,
                       what="the handoff screen")  # fmt: skip
        screen = app.screen
        table = screen.query_one(CriticalTable)
        items = [t for t in screen.report.time_critical if t.kind == "item"]
        assert [t.what for t in items] == [None, None]  # withheld from this console
        assert table.row_count == len(screen.report.time_critical)
        texts = [table.get_row_at(n)[5].plain for n in range(table.row_count)]
        assert texts.count("(restricted item)") == 2
        assert "Report to NCMEC" not in str(texts)


class _Panes(App[None]):
    """A tiny host of the queue and the checklist, fed view models directly."""

    def compose(self) -> ComposeResult:
        yield IncidentQueue(id="queue")
        yield ChecklistPane(id="checklist")


def _incident(incident: str, severity: int) -> IncidentRow:
    return IncidentRow(
        incident, severity, "A title", "edr", "new", None, NOW - timedelta(hours=1), False, ("US",), 1
    )


async def test_queue_orders_rows_by_id_even_when_the_shown_id_is_masked() -> None:
    """An incident id that reads like a phone number is masked on screen: the queue orders
    its rows by the id itself, never by the text shown."""
    app = _Panes()
    async with app.run_test(size=(140, 30)) as pilot:
        queue = app.query_one(IncidentQueue)
        phone, other = _incident("INC-555-123-4567", 1), _incident("INC-2", 2)
        queue.show((phone, other), NOW)
        await pilot.pause()
        assert queue.get_cell("INC-555-123-4567", "id").plain != "INC-555-123-4567"  # masked
        queue.show((other, phone), NOW)  # the order changes: a sort
        await pilot.pause()
        assert [str(r.key.value) for r in queue.ordered_rows] == ["INC-2", "INC-555-123-4567"]


def _item(item: str, team: str = "legal") -> ChecklistRow:
    return ChecklistRow(item, f"Item {item}", team, "open", NOW + timedelta(hours=1), None, None, None, None)


async def test_checklist_item_ids_never_meet_the_keys_of_its_headings() -> None:
    """Item ids are any text of up to 32 characters: one may read like a heading's or a
    response clock's key. Each keeps its own row, and the cursor finds the item."""
    app = _Panes()
    async with app.run_test(size=(140, 30)) as pilot:
        pane = app.query_one(ChecklistPane)
        clocks = (
            Clock("INC-1", "ack", "ack", "Acknowledge", NOW - timedelta(hours=1), NOW + timedelta(hours=1)),
        )
        names = ["team:legal", "clock:ack", "heading:clocks", "plain"]
        pane.show("INC-1", tuple(_item(n) for n in names), NOW, clocks)
        await pilot.pause()
        assert pane.row_count == 1 + len(clocks) + 1 + len(names)  # the headings, the clock, the items
        for name in names:
            pane.move_cursor(row=pane.get_row_index(name))
            assert pane.selected_item() == name
            row = pane.selected_row()
            assert row is not None and row.item == name
        pane.move_cursor(row=0)  # the clocks' heading: no item
        assert pane.selected_row() is None and pane.selected_item() is None
        pane.tick(NOW + timedelta(minutes=30))


def test_item_ids_are_at_most_32_characters() -> None:
    """What keeps the checklist's heading keys apart from item ids (widgets/checklist.py)."""
    from data.commands import AppendRefused, build_events
    from widgets.checklist import NOT_ITEM

    assert len(NOT_ITEM) > 32
    build_events([("ok", scoped("checklist.added", "INC-1", item="x" * 32, text="t", team="legal"))], "me")
    with pytest.raises(AppendRefused):
        build_events(
            [("long", scoped("checklist.added", "INC-1", item="x" * 33, text="t", team="legal"))], "me"
        )


# --- a crash: its exit status and the terminal it leaves -----------------------------------

CRASHING = """
import sys
from app.cli import run
from screens.main import MainScreen

def boom() -> None:
    title = "Codename " + "BLUE" + "BIRD"  # what a restricted incident's title may be
    raise RuntimeError("boom in a handler")

mounted = MainScreen.on_mount

def on_mount(self):
    mounted(self)
    self.call_after_refresh(boom)

MainScreen.on_mount = on_mount
sys.argv = ["warroom", *sys.argv[1:]]
run()
"""


def _in_a_terminal(
    args: list[str], env: dict[str, str], timeout: float = 60.0
) -> tuple[int, bytes, list[Any], list[Any]]:
    """Run ``python ARGS`` with a pseudo-terminal as its stdin, stdout and stderr; returns
    its exit status, everything it wrote, and the terminal's modes before and after."""
    import fcntl
    import os
    import select
    import struct
    import subprocess
    import sys
    import termios
    import time

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen([sys.executable, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)  # fmt: skip
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.1)
            chunk = b""
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                out += chunk
            if not chunk and proc.poll() is not None:
                break  # exited, and everything it wrote has been read
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"the console did not exit: {bytes(out[-2000:])!r}")
        after = termios.tcgetattr(slave)
    finally:
        os.close(slave)
        os.close(master)
    return proc.wait(), bytes(out), before, after


def test_a_crash_exits_non_zero_and_leaves_the_terminal_sane(tmp_path: Path) -> None:
    import os

    script = tmp_path / "crash.py"
    script.write_text(CRASHING)
    env = {**os.environ, "WARROOM_JOURNAL": str(tmp_path / "journal.jsonl"), "WARROOM_DB": str(tmp_path / "c.db"),
           "WARROOM_ACTOR": "ic-test", "TERM": "xterm-256color", "HOME": str(tmp_path)}  # fmt: skip
    env.pop("TEXTUAL", None)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])  # this checkout's code
    status, out, before, after = _in_a_terminal([str(script), "console"], env)
    text = out.decode("utf-8", "replace")
    assert status == 1, text[-3000:]
    assert "boom in a handler" in text  # the traceback is printed
    assert "BLUEBIRD" not in text  # without the values of local variables
    assert "warroom: the console stopped on an unexpected error" in text
    assert after == before  # the terminal's modes are as they were (not raw)
    assert text.rfind("\x1b[?1049l") > text.rfind("\x1b[?1049h")  # out of the alternate screen
    assert text.rfind("\x1b[?25h") > text.rfind("\x1b[?25l")  # the cursor shown again
    assert text.rfind("\x1b[?1000l") > text.rfind("\x1b[?1000h")  # the mouse no longer reported


# --- the pending banner across regions ------------------------------------------------------


def test_pending_for_a_region_includes_what_is_addressed_to_the_actor() -> None:
    from data.incidents.views import PendingHandoff, Snapshot

    au = PendingHandoff("HO-AU", "AU", "kai", "isla", "kai", NOW, 7)
    us = PendingHandoff("HO-US", "US", "ana", "ben", "ana", NOW, 8)
    snap = Snapshot(pending=(au, us))
    assert snap.pending_for("UK") == ()
    assert snap.pending_for("UK", "isla") == (au,)  # addressed to her: whatever her region
    assert snap.pending_for("AU", "zoe") == (au,)  # the region's consoles still see it
    assert snap.pending_for("all", "zoe") == (au, us)


async def test_the_incoming_commander_of_another_region_sees_the_banner(tmp_path: Path) -> None:
    """AU hands over to isla, who is on the UK rotation: her console shows the banner,
    addressed to her."""
    from widgets.banner import HandoffBanner

    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    today = datetime.now(UTC).date().isoformat()

    def rotation(name: str, region: str, members: list[str]) -> dict[str, Any]:
        return {"type": "roster.rotation", "data": {"rotation": name, "team": "emergency_response", "region": region,
                                                    "tz": "UTC", "days": every_day, "start": "00:00", "hours": 24,
                                                    "members": members, "anchor": today, "turn_days": 1}}  # fmt: skip

    settings = settings_for(tmp_path, actor="isla")
    await seed(settings, [
        rotation("uk-ic", "UK", ["hugo", "isla"]), rotation("au-ic", "AU", ["kai"]),
        opened("INC-A", severity=2, regions=["AU"]),
        {"type": "handoff.submitted", "data": {"handoff": "HO-AU-1", "from": "kai", "to": "isla", "region": "AU",
                                               "notes": ""}},
    ], actor="kai")  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        banner = app.screen.query_one(HandoffBanner)
        await wait_for(pilot, lambda: bool(banner.pending), what="the pending banner")
        assert banner.has_class("shown")
        assert "AU: kai → isla" in str(banner.content) and "for you" in str(banner.content)


# --- workers and timers never reach a screen that is not (or no longer) there -------------


async def test_a_wellbeing_flush_that_ends_while_the_console_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exposure flush (a worker) finishes after the war room's panes are gone, as the
    console closes: it must not reach them (NoMatches, WorkerFailed, a crash)."""
    import asyncio
    import time

    from data.incidents import queries as incident_queries
    from screens.main import MainScreen
    from widgets.wellbeing import WellbeingLine

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    gate = asyncio.Event()
    waiting = asyncio.Event()
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        # (not an empty list: wait_for_complete([]) waits for every worker, the endless ones too)
        first_flush = [w for w in app.workers if w.group == "wellbeing" and not w.is_finished]
        if first_flush:
            await app.workers.wait_for_complete(first_flush)
        main = next(s for s in app.screen_stack if isinstance(s, MainScreen))
        line = main.query_one(WellbeingLine)
        rows = await incident_queries.handoffs(app.store)

        async def held(store: Any) -> Any:  # the flush's last wait: what follows reaches the screens at once
            waiting.set()
            await gate.wait()
            return rows

        monkeypatch.setattr(incident_queries, "handoffs", held)
        app.run_worker(app.flush_wellbeing(), group="wellbeing", name="wellbeing-late")
        await asyncio.wait_for(waiting.wait(), 10)

        async def release_when_the_panes_are_gone() -> None:
            deadline = time.monotonic() + 10
            while line.is_attached and time.monotonic() < deadline:
                await asyncio.sleep(0)
            gate.set()

        releaser = asyncio.create_task(release_when_the_panes_are_gone())
    await releaser
    assert gate.is_set()


async def test_the_app_tells_no_screen_that_is_not_composed_yet(tmp_path: Path) -> None:
    """A screen just pushed is on the stack before its panes exist: the sync's progress
    and the wellbeing indicator (a worker, a timer) skip it until it is mounted."""
    from screens.main import MainScreen

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        handoff = HandoffScreen()
        app.push_screen(handoff)
        assert handoff in app.screen_stack and not handoff.is_mounted
        app.show_state(app.sync_state)
        second = MainScreen(settings.actor)
        app.push_screen(second)
        assert not second.is_mounted
        app.show_wellbeing()
        app.show_state(app.sync_state)
        await wait_for(pilot, lambda: second.is_mounted and handoff.is_mounted, what="the screens mounted")
        app.show_wellbeing()  # now they are told
        app.show_state(app.sync_state)
        await pilot.pause()
