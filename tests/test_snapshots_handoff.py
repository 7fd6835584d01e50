"""Snapshot tests of the shift handoff: the handoff screen as the incoming commander sees a
submitted handoff, and the war room's pending-handoff banner at the smallest size.

Seeded journal (tests/test_handoff.py), frozen clock. Review the SVGs under
tests/__snapshots__ when they change (``--snapshot-update``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from data.config import Settings
from tests._console_helpers import frozen_war_room, settle, synced
from tests.test_handoff import NOW, _events


def _with_assessments() -> list[dict[str, Any]]:
    events = _events()
    for e in events:
        if e["data"].get("handoff") == "h-open":
            e["data"] = {**e["data"], "notes": "Press deadline at 09:00 UTC; crisis protocol stood down.",
                         "incidents": [{"incident": "INC-1", "trend": "unstable", "severity": 1, "status": "new",
                                        "summary": "Legal agreed; waiting for the officer's call-back",
                                        "contingencies": ["If the officer calls, disclose the subscriber record only",
                                                          "If no call by 06:00Z, chase through the LE portal"]},
                                       {"incident": "INC-4", "trend": "stable"}]}  # fmt: skip
    return events


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Settings]:
    with frozen_war_room(tmp_path, _with_assessments(), NOW) as settings:
        yield replace(settings, actor="isla")


async def _settled(pilot: Any, ready: Any) -> None:
    await settle(pilot, ready)


def _synced(app: Any) -> bool:
    return synced(app)


def _app(settings: Settings) -> Any:
    from app.console import WarRoom

    return WarRoom(settings)


def test_handoff_screen_for_the_incoming_commander(snap_compare: Any, seeded: Settings) -> None:
    async def run(pilot: Any) -> None:
        await _settled(pilot, _synced)
        await pilot.press("h")
        await _settled(pilot, lambda app: getattr(app.screen, "report", None) is not None)

    assert snap_compare(_app(seeded), terminal_size=(150, 42), run_before=run)


def test_pending_banner_at_the_smallest_size(snap_compare: Any, seeded: Settings) -> None:
    def ready(app: Any) -> bool:
        from widgets.banner import HandoffBanner

        return _synced(app) and bool(app.screen.query_one(HandoffBanner).pending)

    assert snap_compare(_app(seeded), terminal_size=(120, 35), run_before=lambda p: _settled(p, ready))
