"""Snapshot tests of the console (pytest-textual-snapshot): seeded data, a frozen clock.

Review the SVGs under tests/__snapshots__ when they change; update them with
``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from data.config import Settings
from data.engine import clock
from tests._console_helpers import frozen_war_room, settle

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SIZE = (150, 42)


def ts(minutes: float) -> str:
    t = NOW + timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _events() -> list[dict[str, Any]]:
    n = 0

    def ev(
        etype: str, data: dict[str, Any], incident: str | None = None, at: float = -60, actor: str = "amara"
    ) -> dict[str, Any]:
        nonlocal n
        n += 1
        e: dict[str, Any] = {"v": 1, "id": f"SNAP{n:06d}", "ts": ts(at), "actor": actor, "type": etype}
        if incident:
            e["incident"] = incident
        e["data"] = data
        return e

    # the console's own actor (demo-ic) is one of the roster's people (else its handle is marked)
    people = [("demo-ic", "Dee Morgan", "emergency_response", "US", "America/New_York"),
              ("hugo", "Hugo Martin", "emergency_response", "UK", "Europe/London"),
              ("isla", "Isla Thompson", "emergency_response", "AU", "Australia/Sydney")]  # fmt: skip
    out = [
        ev("roster.person", {"handle": h, "name": nm, "team": t, "region": r, "tz": tz}, at=-600)
        for h, nm, t, r, tz in people
    ]
    out += [
        ev("roster.rotation", {"rotation": "au-ic", "team": "emergency_response", "region": "AU", "tz": "Australia/Sydney",
                               "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "08:00", "hours": 10,
                               "members": ["isla"], "anchor": "2026-01-04"}, at=-600),
        ev("roster.rotation", {"rotation": "uk-ic", "team": "emergency_response", "region": "UK", "tz": "Europe/London",
                               "days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "hours": 9,
                               "members": ["hugo"], "anchor": "2026-01-05"}, at=-600),
        ev("incident.opened", {"title": "EDR: welfare concern, police ref 4411", "category": "edr", "severity": 1,
                               "source": "law_enforcement", "regions": ["US", "UK"],
                               "summary": "Emergency disclosure request received by the LE portal."}, "INC-0101", at=-42),
        ev("incident.role_set", {"role": "commander", "person": "demo-ic"}, "INC-0101", at=-40),
        ev("incident.status_set", {"status": "investigating", "reason": "Requester verified"}, "INC-0101", at=-35),
        ev("checklist.added", {"item": "verify", "text": "Verify the requester out of band", "team": "le_response",
                               "due": ts(-12)}, "INC-0101", at=-41),
        ev("checklist.added", {"item": "legal", "text": "Good-faith decision with Legal", "team": "legal",
                               "due": ts(8)}, "INC-0101", at=-41),
        ev("checklist.added", {"item": "preserve", "text": "Preserve the account and its content for 90 days under the "
                               "preservation request; confirm with Legal before any deletion job runs",
                               "team": "security_privacy", "due": ts(55), "basis": "18 U.S.C. 2703(f)"}, "INC-0101", at=-41),
        ev("checklist.added", {"item": "notice", "text": "Defer user notice; set a review task", "team": "legal"}, "INC-0101", at=-41),
        # every clock state: met (verify), missed (log), at risk (legal; the update), ok
        # (preserve), overdue (hash); the acknowledgement was met
        ev("checklist.added", {"item": "log", "text": "Log the request and start the clock", "team": "le_response",
                               "due": ts(-30)}, "INC-0101", at=-41),
        ev("checklist.added", {"item": "hash", "text": "Hash and block re-uploads", "team": "security_privacy",
                               "due": ts(-3)}, "INC-0101", at=-41),
        ev("checklist.set", {"item": "log", "state": "done"}, "INC-0101", at=-10, actor="amara"),
        ev("incident.action", {"kind": "stakeholder_update", "text": "Update to Legal and leadership."}, "INC-0101", at=-15),
        ev("checklist.set", {"item": "verify", "state": "done"}, "INC-0101", at=-20, actor="hugo"),
        ev("incident.note", {"text": "Called the officer back on the directory number; verified.", "pinned": True}, "INC-0101", at=-19),
        ev("incident.action", {"kind": "disclosure", "text": "Disclosed minimal subscriber data over the portal.",
                               "ref": "LE-2026-0042"}, "INC-0101", at=-5),
        ev("incident.opened", {"title": "Hash match on uploaded media, account 66685", "category": "csea", "severity": 2,
                               "source": "hash_match", "regions": ["AU"], "restricted": True}, "INC-0102", at=-30),
        ev("incident.role_set", {"role": "commander", "person": "isla"}, "INC-0102", at=-29),
        ev("incident.opened", {"title": "Press inquiry [red]x[/] on moderation failure", "category": "media", "severity": 3,
                               "source": "media", "regions": ["UK"]}, "INC-0103", at=-90),
        ev("incident.opened", {"title": "Spam surge in comments, campaign 45791", "category": "other", "severity": 4,
                               "source": "proactive_detection", "regions": ["EU"]}, "INC-0104", at=-3),
    ]  # fmt: skip
    return out


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Settings]:
    with frozen_war_room(tmp_path, _events(), NOW) as settings:
        yield settings


async def _settled(pilot: Any, ready: Any = None) -> None:
    """Wait for the first sync and ``ready``, then for everything that changes the picture."""
    await settle(pilot, ready)


def _detail_loaded(app: Any) -> bool:
    from widgets.timeline import Timeline

    screen = app.screen
    try:
        return screen.query_one(Timeline).incident is not None
    except Exception:
        return False


def _app(settings: Settings) -> Any:
    from app.console import WarRoom

    return WarRoom(settings)


def test_main_screen(snap_compare: Any, seeded: Settings) -> None:
    assert snap_compare(_app(seeded), terminal_size=SIZE, run_before=lambda p: _settled(p, _detail_loaded))


def test_main_screen_at_the_smallest_size(snap_compare: Any, seeded: Settings) -> None:
    assert snap_compare(
        _app(seeded), terminal_size=(120, 35), run_before=lambda p: _settled(p, _detail_loaded)
    )


def test_main_screen_wide(snap_compare: Any, seeded: Settings) -> None:
    """160x45: every pane, every queue column, the title as wide as the rest leaves."""
    assert snap_compare(
        _app(seeded), terminal_size=(160, 45), run_before=lambda p: _settled(p, _detail_loaded)
    )


async def _until(pilot: Any, ready: Any, what: str) -> None:
    deadline = time.monotonic() + 10
    while not ready():
        assert time.monotonic() < deadline, what
        await pilot.pause()


def test_main_screen_at_80x24_shows_one_pane_and_the_clocks(snap_compare: Any, seeded: Settings) -> None:
    """80x24: the queue alone, the pane tabs and the selected incident's clocks above it."""
    assert snap_compare(
        _app(seeded), terminal_size=(80, 24), run_before=lambda p: _settled(p, _detail_loaded)
    )


def test_main_screen_at_80x24_checklist_with_an_item_whole(snap_compare: Any, seeded: Settings) -> None:
    """80x24, 3: the checklist alone; the item under the cursor whole under the table."""

    async def run(pilot: Any) -> None:
        from widgets.checklist import ChecklistPane

        await _settled(pilot, _detail_loaded)
        await pilot.press("3")
        pane = pilot.app.screen.query_one(ChecklistPane)
        await _until(pilot, lambda: pane.has_focus, "the checklist was not focused")
        target = pane.get_row_index("preserve")
        while pane.cursor_row < target:
            await pilot.press("down")
        await _until(pilot, lambda: pane.selected_item() == "preserve", "the cursor did not reach the item")
        await pilot.pause()

    assert snap_compare(_app(seeded), terminal_size=(80, 24), run_before=run)


def test_main_screen_at_80x24_timeline(snap_compare: Any, seeded: Settings) -> None:
    """80x24, 2: the timeline alone, at its newest entry; the checklist items added
    together at opening read as one entry."""

    async def run(pilot: Any) -> None:
        from widgets.timeline import Timeline

        await _settled(pilot, _detail_loaded)
        await pilot.press("2")
        timeline = pilot.app.screen.query_one(Timeline)
        await _until(pilot, lambda: timeline.has_focus, "the timeline was not focused")
        await pilot.pause()

    assert snap_compare(_app(seeded), terminal_size=(80, 24), run_before=run)


def test_incident_screen(snap_compare: Any, seeded: Settings) -> None:
    async def run(pilot: Any) -> None:
        await _settled(pilot, _detail_loaded)
        await pilot.press("enter")
        await _settled(pilot, lambda app: type(app.screen).__name__ == "IncidentScreen")

    assert snap_compare(_app(seeded), terminal_size=SIZE, run_before=run)


def test_new_incident_form_with_a_validation_error(snap_compare: Any, seeded: Settings) -> None:
    async def run(pilot: Any) -> None:
        await _settled(pilot, _detail_loaded)
        await pilot.press("o")
        # the form is up, on the field to fill
        await settle(pilot, lambda app: getattr(app.focused, "id", None) == "title")
        screen = pilot.app.screen
        field = screen.query_one("#incident-id")
        field.value = "INC-0200"
        field.cursor_position = len(field.value)  # (no selection: the same picture however fast it went)
        for each in screen.query("Input"):  # the cursor shown, whatever the blink's phase
            each.cursor_blink = False
        screen.action_submit()  # nothing chosen, no title: inline errors, nothing written
        await settle(pilot, lambda app: bool(app.screen.query(".error.shown")))

    assert snap_compare(_app(seeded), terminal_size=SIZE, run_before=run)


def test_empty_state(snap_compare: Any, tmp_path: Path) -> None:
    clock.freeze(NOW)
    try:
        settings = Settings(tmp_path / "journal.jsonl", tmp_path / "store.db", "demo-ic")
        assert snap_compare(_app(settings), terminal_size=SIZE, run_before=lambda p: _settled(p))
    finally:
        clock.freeze(None)


def test_help(snap_compare: Any, seeded: Settings) -> None:
    async def run(pilot: Any) -> None:
        await _settled(pilot, _detail_loaded)
        await pilot.press("question_mark")
        await settle(pilot, lambda app: type(app.screen).__name__ == "HelpScreen" and app.screen.is_mounted)

    assert snap_compare(_app(seeded), terminal_size=SIZE, run_before=run)
