"""Snapshot of the post-mortem screen (pytest-textual-snapshot): seeded data, a frozen clock.

Update with ``pytest tests/test_snapshots_postmortem.py --snapshot-update`` and review the SVG.
"""

from __future__ import annotations

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

    def ev(etype: str, data: dict[str, Any], at: float, actor: str = "amara") -> dict[str, Any]:
        nonlocal n
        n += 1
        return {"v": 1, "id": f"PM{n:06d}", "ts": ts(at), "actor": actor, "type": etype, "incident": "INC-0101",
                "data": data}  # fmt: skip

    return [
        ev(
            "incident.opened",
            {
                "title": "EDR: welfare concern, police ref 4411",
                "category": "edr",
                "severity": 1,
                "source": "law_enforcement",
                "regions": ["US", "UK"],
            },
            -3000,
        ),
        ev("incident.role_set", {"role": "commander", "person": "demo-ic"}, -2996),
        ev(
            "incident.note",
            {"text": "Requester verified by call-back on an independent number", "pinned": True},
            -2950,
        ),
        ev(
            "incident.action",
            {"kind": "disclosure", "text": "Minimal subscriber data disclosed", "ref": "LE-4411"},
            -2930,
        ),
        ev("incident.status_set", {"status": "contained"}, -2900),
        ev("incident.status_set", {"status": "resolved"}, -2800),
        ev(
            "postmortem.section_set",
            {
                "section": "summary",
                "text": "An EDR arrived at 03:00 UTC; verified in 12 minutes.\nMinimal data disclosed within the hour.",
            },
            -100,
        ),
        ev(
            "postmortem.section_set",
            {"section": "root_cause", "text": "[red]The call-back list[/] was 9 months stale."},
            -95,
        ),
        ev(
            "postmortem.action_added",
            {
                "action": "callback-list",
                "kind": "prevent",
                "text": "Refresh the call-back list monthly",
                "owner": "hugo",
                "due": ts(40000),
            },
            -90,
        ),
        ev(
            "postmortem.action_added",
            {
                "action": "drill",
                "kind": "process",
                "text": "EDR drill each quarter",
                "owner": "isla",
                "due": ts(-10),
            },
            -85,
        ),
        ev("postmortem.status_set", {"status": "in_review"}, -80),
    ]


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Settings]:
    with frozen_war_room(tmp_path, _events(), NOW) as settings:
        yield settings


def test_postmortem_screen(snap_compare: Any, seeded: Settings) -> None:
    from app.console import WarRoom
    from screens.postmortem import PostmortemScreen

    async def run(pilot: Any) -> None:
        app = pilot.app
        await settle(pilot)
        app.push_screen(PostmortemScreen("INC-0101"))
        await settle(
            pilot, lambda app: isinstance(app.screen, PostmortemScreen) and app.screen.pm is not None
        )

    assert snap_compare(WarRoom(seeded), terminal_size=SIZE, run_before=run)
