"""Snapshot of the trends screen (pytest-textual-snapshot): eight weeks of the demo's
settled history (deterministic: a fixed seed and a frozen clock).

Review the SVG under tests/__snapshots__ when it changes; update it with
``pytest tests/test_snapshots_trends.py --snapshot-update``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from data.config import Settings
from tests._console_helpers import frozen_war_room, settle

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SIZE = (150, 42)


def _events() -> list[dict[str, Any]]:
    from app.demo import history, with_procedures
    from data.sample import Generator

    gen = Generator(seed=3, start=NOW - timedelta(days=57), prefix="INC")
    rng = random.Random(3)
    roster = list(gen.roster())
    past = history(gen, rng, NOW - timedelta(days=56), NOW - timedelta(hours=2))
    events = with_procedures(past, rng, cadence_written={e["incident"] for e in past if "incident" in e})
    for n, e in enumerate(events):  # ids made deterministic (the demo's are ULIDs)
        e["id"] = f"SNAPT{n:06d}"
    return roster + events


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Settings]:
    with frozen_war_room(tmp_path, _events(), NOW) as settings:
        yield settings


def test_trends_screen(snap_compare: Any, seeded: Settings) -> None:
    from app.console import WarRoom
    from screens.trends import TrendsScreen

    async def run(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("t")
        await settle(
            pilot, lambda app: isinstance(app.screen, TrendsScreen) and app.screen.trends is not None
        )

    assert snap_compare(WarRoom(seeded), terminal_size=SIZE, run_before=run)
