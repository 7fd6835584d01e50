"""A snapshot makes again only what changed (docs/performance.md, "Round two: the
console"): each incident's clocks are kept by what they are made from, and are exactly
what :func:`incident_clocks` makes afresh."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from data.engine.store import IncidentRecord
from data.incidents import views
from data.incidents.queries import ItemRow
from data.incidents.views import _clocks_of, incident_clocks
from data.procedures.clocks import Due, Policy
from tests.helpers import T0, incident_record

#: another value for each field of the store's row (those a clock may read among them)
OTHER: dict[str, Any] = {
    "id": "INC-2", "title": "u", "category": "csea", "severity": 3, "source": "y", "regions": ("EU",),
    "summary": "s", "restricted": True, "status": "resolved", "roles": {"commander": "ana"},
    "detected_at": (T0 - timedelta(hours=2)).isoformat(), "opened_at": (T0 + timedelta(minutes=7)).isoformat(),
    "opened_by": "y", "opened_seq": 2, "acknowledged_at": (T0 + timedelta(minutes=9)).isoformat(),
    "contained_at": (T0 + timedelta(hours=1)).isoformat(), "resolved_at": (T0 + timedelta(hours=2)).isoformat(),
    "closed_at": (T0 + timedelta(hours=3)).isoformat(), "updated_at": (T0 + timedelta(hours=3)).isoformat(),
    "last_seq": 9, "events": 9, "last_update_at": (T0 + timedelta(minutes=20)).isoformat(),
    "acknowledged_severity": 2, "participants": ("bo",),
}  # fmt: skip


def _item(**over: Any) -> ItemRow:
    row: dict[str, Any] = {
        "incident": "INC-1", "item": "verify", "text": "Verify", "due": (T0 + timedelta(hours=1)).isoformat(),
        "basis": None, "template": None, "state": "open", "note": None, "state_by": None, "state_at": None,
        "added_seq": 2, "added_by": "x", "added_at": T0.isoformat(), "team": "le_response",
    }  # fmt: skip
    row.update(over)
    return ItemRow(**row)


def test_every_field_of_the_row_is_covered_by_a_variant() -> None:
    assert set(OTHER) == {f.name for f in fields(IncidentRecord)}


@pytest.mark.parametrize("name", sorted(OTHER))
def test_the_clocks_kept_are_those_made_afresh_whichever_field_changes(name: str) -> None:
    policy = Policy()
    base = incident_record(acknowledged_at=None)
    items = [_item()]
    assert _clocks_of(base, items, policy) == incident_clocks(base, items, policy)
    changed = incident_record(**{name: OTHER[name]})
    assert _clocks_of(changed, items, policy) == incident_clocks(changed, items, policy)
    for other_items in ([], [_item(due=(T0 + timedelta(hours=5)).isoformat())], [_item(state="done")]):
        assert _clocks_of(base, other_items, policy) == incident_clocks(base, other_items, policy)
    tighter = Policy(ack={**policy.ack, 1: Due(minutes=1)})
    assert _clocks_of(base, items, tighter) == incident_clocks(base, items, tighter)


async def test_a_snapshot_makes_the_clocks_of_the_changed_incident_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data.engine.journal import FileJournal
    from data.engine.store import Store
    from data.incidents.views import SyncState, load_snapshot
    from tests._console_helpers import opened, scoped, seed, settings_for

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-A"), opened("INC-B"), opened("INC-C")])
    made: list[str] = []
    original = views.incident_clocks

    def counted(inc: IncidentRecord, *args: Any) -> Any:
        made.append(inc.id)
        return original(inc, *args)

    monkeypatch.setattr(views, "incident_clocks", counted)
    policy = Policy()
    store = await Store.open(settings.db)
    try:
        await store.sync(FileJournal(settings.journal))
        first = await load_snapshot(store, SyncState(journal="x"), policy=policy)
        assert sorted(made) == ["INC-A", "INC-B", "INC-C"]
        made.clear()
        await seed(settings, [scoped("incident.severity_set", "INC-B", severity=1)])
        await store.sync(FileJournal(settings.journal))
        second = await load_snapshot(store, SyncState(journal="x"), policy=policy)
    finally:
        await store.close()
    assert made == ["INC-B"]
    clocks = {r.id: r.clocks for r in first.incidents}
    assert {r.id: r.clocks for r in second.incidents if r.id != "INC-B"} == {
        i: c for i, c in clocks.items() if i != "INC-B"
    }
    assert next(r for r in second.incidents if r.id == "INC-B").severity == 1
