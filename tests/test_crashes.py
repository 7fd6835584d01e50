"""Crashes and lockouts: row keys that masking or need-to-know can make equal, workers and
timers that reach a screen that is not (or no longer) there, a crash's exit status and the
terminal it leaves, and the pending-handoff banner of an incoming commander of another
region."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.console import WarRoom
from screens.handoff import CriticalTable, HandoffScreen
from tests._console_helpers import opened, scoped, seed, settings_for, wait_for

SIZE = (150, 42)


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
