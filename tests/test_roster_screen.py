"""The roster screen: a snapshot with the demo's follow-the-sun roster (no gap) and two
overrides at a frozen clock, and the screen fed hostile names directly.

Review the SVG under tests/__snapshots__ when it changes; update it with
``pytest tests/test_roster_screen.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text

from data.config import Settings
from data.engine import clock
from data.incidents.views import Snapshot
from data.roster.rotation import Override, Rotation
from data.sample import PEOPLE, ROTATIONS
from tests._console_helpers import frozen_war_room, settle, wait_for
from tests._roster_helpers import GAPPY_ROTATIONS

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # Sunday: Sydney on call, London and New York off
SIZE = (150, 42)


def _events() -> list[dict[str, Any]]:
    n = 0

    def ev(etype: str, data: dict[str, Any]) -> dict[str, Any]:
        nonlocal n
        n += 1
        return {"v": 1, "id": f"ROSTER{n:06d}", "ts": "2026-11-20T12:00:00.000Z", "actor": "roster-bot",
                "type": etype, "data": data}  # fmt: skip

    out = [
        ev("roster.person", {"handle": h, "name": nm, "team": t, "region": r, "tz": tz})
        for h, nm, t, r, tz in PEOPLE
    ]
    out += [ev("roster.rotation", dict(r)) for r in ROTATIONS]
    out += [
        ev("roster.override", {"rotation": "uk-ic-tue", "person": "hugo", "start": "2026-11-24T09:00:00Z",
                               "end": "2026-11-24T13:00:00Z", "reason": "Dana at the regulator meeting"}),
        ev("roster.override", {"rotation": "us-ic-tue", "person": "ben", "start": "2026-11-26T09:00:00-05:00",
                               "end": "2026-11-26T18:00:00-05:00", "reason": "Thanksgiving cover"}),
    ]  # fmt: skip
    return out


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Settings]:
    with frozen_war_room(tmp_path, _events(), NOW) as settings:
        yield settings


async def _open_roster(pilot: Any) -> None:
    from screens.roster import RosterScreen

    app = pilot.app
    await settle(pilot, lambda app: bool(app.last_snapshot.rotations))
    app.push_screen(RosterScreen(app.last_snapshot))
    await settle(pilot, _roster_shown)


def _roster_shown(app: Any) -> bool:
    return type(app.screen).__name__ == "RosterScreen" and app.screen.is_mounted


def test_roster_screen(snap_compare: Any, seeded: Settings) -> None:
    from app.console import WarRoom

    assert snap_compare(WarRoom(seeded), terminal_size=SIZE, run_before=_open_roster)


# --- without the console: a host app fed a snapshot ---------------------------------------


def _snapshot(rotations: list[Rotation], overrides: list[Override] = ()) -> Snapshot:  # type: ignore[assignment]
    return Snapshot(rotations=tuple(rotations), overrides=tuple(overrides))


def _host(snapshot: Snapshot) -> Any:
    from textual.app import App

    from screens.roster import RosterScreen

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(RosterScreen(snapshot))

    return Host()


def _plain_table(app: Any) -> list[list[str]]:
    from textual.widgets import DataTable

    table = app.screen.query_one("#week-table", DataTable)
    return [[Text(str(c)).plain if not isinstance(c, Text) else c.plain for c in table.get_row_at(i)]
            for i in range(table.row_count)]  # fmt: skip


async def test_hostile_names_render_literally(hostile: list[str]) -> None:
    from widgets.coverage import CoverageStrip

    clock.freeze(NOW)
    try:
        for text in hostile:
            rot = Rotation(text[:64], "emergency_response", "US", "UTC", ("sun",), "00:00", 12, (text[:64],),
                           date(2026, 1, 4))  # fmt: skip
            over = Override(1, text[:64], "[/]", NOW, NOW + timedelta(hours=1), text)
            app = _host(_snapshot([rot], [over]))
            async with app.run_test(size=SIZE) as pilot:
                await wait_for(pilot, lambda app=app: _roster_shown(app), what="the roster screen")
                rows = _plain_table(app)
                assert rows, text[:40]
                assert any("[/] *" in cell for row in rows for cell in row)
                strip = app.screen.query_one(CoverageStrip)
                assert "ALL regions" in strip.text
                assert app.is_running
    finally:
        clock.freeze(None)


async def test_keys_move_the_day_and_escape_closes() -> None:
    from widgets.coverage import CoverageStrip

    clock.freeze(NOW)
    try:
        rots = [Rotation.from_row(r) for r in GAPPY_ROTATIONS]
        app = _host(_snapshot(rots))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: _roster_shown(app), what="the roster screen")
            strip = app.screen.query_one(CoverageStrip)
            assert "▼ now 03:00 UTC" in strip.text
            assert "GAP  07:00-09:00 UTC (2h00m, in 4h00m)" in strip.text
            # regions in the order the sun reaches them; who is on call now, after each row
            rows = [line for line in strip.text.splitlines() if line[:4] in ("AU  ", "UK  ", "US  ")]
            assert [(r[:14].strip(), r.rsplit("  ", 1)[1]) for r in rows] == [
                ("AU  Sydney", "chen"), ("UK  London", "nobody"), ("US  New York", "nobody")
            ]  # fmt: skip
            table = _plain_table(app)
            assert table[0][:6] == [
                "au-ic",
                "AU Sydney",
                "Sun 22 Nov",
                "09:00-18:00 AEDT",
                "Sat 22:00-07:00+1",
                "chen",
            ]
            assert table[0][6].startswith("◀ NOW")
            await pilot.press("right")
            assert "not today" in strip.text
            assert _plain_table(app)[1][2] == "Tue 24 Nov"
            await pilot.press("t")
            assert "▼ now" in strip.text
            await pilot.press("escape")
            await wait_for(
                pilot, lambda: type(app.screen).__name__ != "RosterScreen", what="the roster closed"
            )
    finally:
        clock.freeze(None)


async def test_an_empty_roster_explains_how_to_add_one() -> None:
    app = _host(_snapshot([]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: _roster_shown(app), what="the roster screen")
        assert app.screen.has_class("empty")
        assert "warroom roster import" in str(app.screen.query_one("#roster-empty").render())
