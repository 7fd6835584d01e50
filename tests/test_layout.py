"""The war room at the sizes a commander's terminal has: every pane at 160 columns, the
queue's title given room at 120x35, one pane at a time with the clocks kept at 80x24; a
checklist item's whole text, in the pane and in dialogs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Static

from app.console import WarRoom
from screens.main import MainScreen
from tests._console_helpers import opened, scoped, screen_text, seed, settings_for, wait_for

LONG_ITEM = (
    "Preserve the account and every post, message and upload it made for ninety days under the "
    "preservation request, confirm with Legal before any deletion job runs, and record the request's "
    "reference in the incident so the disclosure team can find it at 3 a.m."
)
LONG_TITLE = "Coordinated harassment wave against a creator after a viral post, thread 25427"


def _due(minutes: int) -> str:
    return (
        (datetime.now(UTC) + timedelta(minutes=minutes))
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z")
    )


async def _war_room(tmp_path: Path) -> WarRoom:
    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-0001", severity=1, title=LONG_TITLE, category="hate_harassment"),
        scoped("incident.role_set", "INC-0001", role="commander", person="amara"),
        scoped("checklist.added", "INC-0001", item="preserve", text=LONG_ITEM, team="legal", due=_due(50),
               basis="18 U.S.C. 2703(f)"),
        scoped("checklist.added", "INC-0001", item="statement", text="Holding statement", team="comms", due=_due(90)),
        opened("INC-0002", severity=2, title="Coordinated harassment wave against a creator after a viral post, thread 31337",
               category="hate_harassment"),
    ])  # fmt: skip
    return WarRoom(settings)


async def _main(pilot: Any, app: WarRoom) -> MainScreen:
    await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
    screen = app.screen
    assert isinstance(screen, MainScreen)
    await wait_for(pilot, lambda: screen.selected is not None and screen._detail_seq[0] == screen.selected,
                   what="an incident selected")  # fmt: skip
    # the exposure counters' first write done (a test that ends during it races its repaint)
    busy = [w for w in app.workers if w.group == "wellbeing" and not w.is_finished]
    if busy:
        await app.workers.wait_for_complete(busy)
    return screen


# --- the queue's columns -----------------------------------------------------------------


def test_queue_columns_give_way_to_the_title() -> None:
    from widgets.queue import COLUMNS, MIN_TITLE, TITLE_WANTED, queue_columns

    keys = [k for k, _, _ in COLUMNS]
    wide = queue_columns(156, 9)
    assert [k for k, _, _ in wide] == keys  # 160 columns: every column
    assert dict((k, w) for k, _, w in wide)["title"] > 60
    compact = dict((k, w) for k, _, w in queue_columns(116, 15))  # 120 columns, the demo's long ids
    assert compact["title"] >= TITLE_WANTED
    assert {"id", "sev", "title", "status", "commander", "due"} <= set(compact)
    narrow = queue_columns(76, 15)  # 80 columns, one pane
    assert [k for k, _, _ in narrow] == ["id", "sev", "title", "status", "due"]
    assert dict((k, w) for k, _, w in narrow)["title"] >= 20
    assert dict((k, w) for k, _, w in queue_columns(20, 15))["title"] == MIN_TITLE


@pytest.mark.parametrize(("size", "title"), [((160, 45), 60), ((120, 35), 36), ((80, 24), 20)])
async def test_the_queue_title_has_room_to_tell_incidents_apart(
    tmp_path: Path, size: tuple[int, int], title: int
) -> None:
    app = await _war_room(tmp_path)
    async with app.run_test(size=size) as pilot:
        main = await _main(pilot, app)
        from widgets.queue import IncidentQueue

        queue = main.query_one(IncidentQueue)
        widths = {str(key.value): column.width for key, column in queue.columns.items()}
        assert widths["title"] >= title
        assert "due" in widths and "id" in widths  # the clock and the id always
        text = screen_text(app)
        assert "thread 25427" in text or size == (80, 24)  # the two titles differ only at the end
        assert "INC-0001" in text and "INC-0002" in text


# --- one pane at a time ------------------------------------------------------------------


async def test_80x24_shows_one_pane_with_the_clocks_and_1_to_4_switch(tmp_path: Path) -> None:
    from widgets.checklist import ChecklistPane
    from widgets.narrow import ClockStrip, PaneTabs
    from widgets.timeline import Timeline

    app = await _war_room(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        main = await _main(pilot, app)
        assert main.has_class("-narrow") and main.selected == "INC-0001"
        strip = main.query_one(ClockStrip)
        await wait_for(pilot, lambda: "INC-0001 S1" in str(strip.render()), what="the clock strip")
        clocks = str(strip.render())
        assert "Preserve the account" in clocks  # the nearest clock, with its countdown
        assert main.query_one(PaneTabs).shown == "1"
        assert main.query_one("#queue-pane").display and not main.query_one("#timeline-pane").display

        for key, pane, widget in (("2", "#timeline-pane", Timeline), ("3", "#checklist-pane", ChecklistPane),
                                  ("4", "#roster-pane", None), ("1", "#queue-pane", None)):  # fmt: skip
            await pilot.press(key)
            await wait_for(pilot, lambda pane=pane: main.query_one(pane).display, what=f"{pane} shown")
            shown = [p for p in ("#queue-pane", "#timeline-pane", "#checklist-pane", "#roster-pane")
                     if main.query_one(p).display]  # fmt: skip
            assert shown == [pane]
            assert main.query_one(PaneTabs).shown == key
            assert strip.display and "INC-0001 S1" in str(strip.render())  # the clocks stay
            if widget is not None:
                await wait_for(
                    pilot, lambda widget=widget: main.query_one(widget).has_focus, what="its focus"
                )
            lines = screen_text(app).splitlines()
            assert any("1-4 switch" in line for line in lines[:4])  # how to switch, on screen

        # wider again: every pane, no tabs, no strip
        await pilot.resize_terminal(160, 45)
        await wait_for(pilot, lambda: not main.has_class("-narrow"), what="the wide layout")
        await pilot.pause()
        assert all(main.query_one(p).display for p in ("#queue-pane", "#timeline-pane", "#checklist-pane"))
        assert not strip.display


async def test_a_short_terminal_also_shows_one_pane(tmp_path: Path) -> None:
    app = await _war_room(tmp_path)
    async with app.run_test(size=(160, 24)) as pilot:
        main = await _main(pilot, app)
        assert main.has_class("-narrow")
        await pilot.resize_terminal(160, 40)
        await wait_for(pilot, lambda: not main.has_class("-narrow"), what="every pane")


async def test_the_status_bar_keeps_how_current_the_picture_is_at_80_columns(tmp_path: Path) -> None:
    app = await _war_room(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _main(pilot, app)
        await wait_for(
            pilot, lambda: "synced" in screen_text(app).splitlines()[0], what="the sync state on screen"
        )
        top = screen_text(app).splitlines()[0]
        assert "UTC" in top and "line" in top


# --- a checklist item, whole -------------------------------------------------------------


async def test_the_checklist_shows_the_item_under_the_cursor_whole(tmp_path: Path) -> None:
    from widgets.checklist import ChecklistDetail, ChecklistPane

    app = await _war_room(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        main = await _main(pilot, app)
        pane = main.query_one(ChecklistPane)
        detail = main.query_one(ChecklistDetail)
        cell = pane.get_cell("preserve", "text")
        assert cell.plain == LONG_ITEM and cell.overflow == "ellipsis"  # cut where the column ends, with …
        await pilot.press("3")
        await wait_for(pilot, lambda: pane.has_focus, what="the checklist focused")
        target = pane.get_row_index("preserve")
        while pane.cursor_row < target:
            await pilot.press("down")
        await wait_for(pilot, lambda: detail.display, what="the detail")
        text = str(detail.render())
        assert " ".join(text.split()).startswith(LONG_ITEM)  # wrapped, nothing cut
        assert "legal · due" in text and "open" in text and "basis: 18 U.S.C. 2703(f)" in text
        assert " ".join(" ".join(screen_text(app).split()).split("│")).count("reference in the incident") >= 1

        await pilot.press("1")  # the queue again: the table keeps its room
        await wait_for(pilot, lambda: not detail.display, what="the detail hidden")


async def test_a_dialog_shows_an_items_whole_text(tmp_path: Path) -> None:
    from screens.dialogs import ChecklistSetDialog

    app = await _war_room(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _main(pilot, app)
        dialog = ChecklistSetDialog("INC-0001", {"item": "preserve", "text": LONG_ITEM, "state": "done"})
        app.push_screen(dialog)
        await wait_for(pilot, lambda: app.screen is dialog, what="the dialog")
        await pilot.pause()
        subtitle = next(w for w in dialog.query(Static) if str(w.render()).startswith("INC-0001 · "))
        assert str(subtitle.render()) == f"INC-0001 · {LONG_ITEM}"
        wrapped = Text(f"INC-0001 · {LONG_ITEM}").wrap(app.console, subtitle.size.width)
        assert subtitle.size.height == len(wrapped) > 1  # every line of it, wrapped
