"""Snapshots of responder wellbeing (pytest-textual-snapshot): the war room in quiet mode
(graphic categories' titles hidden except on the cursor's row; the wellbeing line with
this shift's counts), and the step-away dialog. Seeded data, a frozen clock.

Review the SVGs under tests/__snapshots__ when they change; update them with
``pytest tests/test_snapshots_wellbeing.py --snapshot-update``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from data.config import Settings
from tests._console_helpers import frozen_war_room, settle

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SIZE = (150, 42)


def ts(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _events() -> list[dict[str, Any]]:
    n = 0

    def ev(
        etype: str, data: dict[str, Any], incident: str, at: float, actor: str = "amara"
    ) -> dict[str, Any]:
        nonlocal n
        n += 1
        return {"v": 1, "id": f"SNAPW{n:05d}", "ts": ts(at), "actor": actor, "type": etype,
                "incident": incident, "data": data}  # fmt: skip

    def opened(incident: str, title: str, category: str, severity: int, at: float) -> dict[str, Any]:
        return ev("incident.opened", {"title": title, "category": category, "severity": severity,
                                      "source": "user_report", "regions": ["US"]}, incident, at)  # fmt: skip

    return [
        opened("INC-0201", "EDR: welfare concern, police ref 4411", "edr", 1, -50),
        ev("incident.role_set", {"role": "commander", "person": "demo-ic"}, "INC-0201", -49),
        ev("incident.role_set", {"role": "deputy", "person": "hugo"}, "INC-0201", -48),
        opened("INC-0202", "Hash match on uploaded media, account 66685", "csea", 1, -40),
        ev("incident.role_set", {"role": "commander", "person": "demo-ic"}, "INC-0202", -39),
        ev("incident.role_set", {"role": "scribe", "person": "demo-ic"}, "INC-0202", -39),
        ev("incident.role_set", {"role": "deputy", "person": "isla"}, "INC-0202", -38),
        opened("INC-0203", "Livestream of [red]self-harm[/] reported by a viewer", "self_harm", 1, -30),
        ev("incident.role_set", {"role": "scribe", "person": "demo-ic"}, "INC-0203", -29),
        opened("INC-0204", "Attack footage re-uploads after the shooting", "violent_extremism", 2, -20),
        opened("INC-0205", "Press inquiry on moderation failure", "media", 3, -10),
    ]


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    config = tmp_path / "config.toml"
    config.write_text("[wellbeing]\nquiet = true\n")
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    monkeypatch.delenv("WARROOM_QUIET", raising=False)
    with frozen_war_room(tmp_path, _events(), NOW) as settings:
        # what this console counted earlier in the shift (numbers only)
        from data.care.exposure import record
        from data.care.wellbeing import Segment
        from data.engine.store import Store

        async def counted() -> None:
            async with await Store.open(settings.db) as store:
                await record(store, settings.actor, [
                    Segment("snap-1", "INC-0202", "csea", NOW - timedelta(minutes=35), 720.0),
                    Segment("snap-2", "INC-0203", "self_harm", NOW - timedelta(minutes=20), 300.0),
                ])  # fmt: skip

        asyncio.run(counted())
        yield settings


async def _settled(pilot: Any) -> None:
    await settle(pilot, lambda app: str(app.screen.query_one("#wellbeing").render()).count("CSEA"))


def _app(settings: Settings) -> Any:
    from app.console import WarRoom

    return WarRoom(settings)


def test_quiet_mode_war_room(snap_compare: Any, seeded: Settings) -> None:
    """The cursor's row (the first, an EDR) and the media row show their titles; the CSEA,
    self-harm and violent-extremism rows say only their category."""
    assert snap_compare(_app(seeded), terminal_size=SIZE, run_before=_settled)


def test_quiet_mode_cursor_reveals_its_row(snap_compare: Any, seeded: Settings) -> None:
    async def run(pilot: Any) -> None:
        await _settled(pilot)
        await pilot.press("down")  # onto the CSEA incident: its title shows, the others stay hidden
        await settle(
            pilot,
            lambda app: (
                app.screen.selected_row() is not None and app.screen.selected_row().category == "csea"
            ),
        )

    assert snap_compare(_app(seeded), terminal_size=SIZE, run_before=run)


def test_step_away_dialog(snap_compare: Any, seeded: Settings) -> None:
    async def run(pilot: Any) -> None:
        from screens.wellbeing import StepAwayDialog

        await _settled(pilot)
        await pilot.press("B")
        await settle(
            pilot,
            lambda app: (
                isinstance(app.screen, StepAwayDialog)
                and app.screen.is_mounted
                and getattr(app.focused, "id", None) == "note"
            ),
        )

    assert snap_compare(_app(seeded), terminal_size=SIZE, run_before=run)
