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


async def test_the_on_call_pane_is_left_alone_by_a_snapshot_that_changes_nothing_in_it() -> None:
    from datetime import UTC, datetime

    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from data.roster.board import OnCallRow
    from widgets.roster import RosterPane

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield RosterPane(id="roster")

    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    rows = [OnCallRow("au-ic", "ana", False, "Sun 14:00", now + timedelta(minutes=90), None),
            OnCallRow("uk-ic", "bo", False, "Sun 03:00", None, "hugo")]  # fmt: skip
    app = Host()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(RosterPane)
        pane.show(rows, now, rebuild=True)
        await pilot.pause()
        table = pane.query_one(DataTable)
        touched: list[str] = []
        add_row, update_cell, clear = table.add_row, table.update_cell, table.clear
        table.add_row = lambda *a, **k: touched.append("add") or add_row(*a, **k)  # type: ignore[method-assign]
        table.update_cell = lambda *a, **k: touched.append(f"{a[0]}.{a[1]}") or update_cell(*a, **k)  # type: ignore[method-assign]
        table.clear = lambda *a, **k: touched.append("clear") or clear(*a, **k)  # type: ignore[method-assign]
        pane.show(list(rows), now, rebuild=True)  # a new snapshot, the same roster
        assert touched == []
        later = now + timedelta(minutes=30)  # one countdown moves on
        pane.show(rows, later, rebuild=True)
        assert touched == ["au-ic.handoff"]
        await pilot.pause()
        assert [c.plain for c in table.get_row_at(0)] == ["au-ic", "ana", "Sun 14:00", "1h00m", "—"]
        touched.clear()
        pane.show(rows[:1], later, rebuild=True)  # a rotation gone: filled again
        assert touched[0] == "clear" and table.row_count == 1


async def test_a_sync_that_finds_nothing_new_keeps_the_picture_and_one_that_does_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One append wakes the sync loop once per file event (its write, then its close):
    the second pass finds the store as the last snapshot saw it, and publishes that
    picture again, synced now, without reading the store. What changes the store, or what
    the snapshot is read with (closed incidents shown), reads it again."""
    import app.console as console_module
    from app.console import WarRoom
    from tests._console_helpers import next_syncs, opened, queue_ids, seed, settings_for, settle, wait_for

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1"), opened("INC-2")])
    loads: list[int] = []
    original = console_module.load_snapshot

    async def counted(*args: Any, **kw: Any) -> Any:
        loads.append(1)
        return await original(*args, **kw)

    monkeypatch.setattr(console_module, "load_snapshot", counted)
    app = WarRoom(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, lambda a: queue_ids(a) == ["INC-1", "INC-2"])
        before, read = app.last_snapshot, len(loads)
        assert before is not None and before.sync.synced_at is not None
        from screens.main import MainScreen
        from widgets.queue import IncidentQueue

        main = app.screen
        assert isinstance(main, MainScreen)
        shown: list[int] = []
        queue = main.query_one(IncidentQueue)
        queue_show = queue.show
        queue.show = lambda *a, **k: shown.append(1) or queue_show(*a, **k)  # type: ignore[method-assign]
        await next_syncs(pilot, app)
        after = app.last_snapshot
        assert len(loads) == read  # the store was not read again
        assert shown == [] and main.snapshot is after  # nor the queue shown again: the status line only
        assert after is not None and after is not before and after.incidents is before.incidents
        assert after.sync.synced_at is not None and after.sync.synced_at >= before.sync.synced_at
        await seed(settings, [opened("INC-3", severity=1)])
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-3", "INC-1", "INC-2"], what="the new incident")
        assert len(loads) > read and shown
        read = len(loads)
        await pilot.press("c")  # closed incidents shown: the snapshot is read with them
        await wait_for(pilot, lambda: len(loads) > read, what="a snapshot read with the closed ones")


async def test_a_snapshot_reads_the_store_through_one_connection(tmp_path: Path) -> None:
    """A dozen queries, one connection (and one state of the store); a read outside
    ``Store.reading`` takes one of its own, as before."""
    from sqlalchemy import event, select

    from data.engine import schema as S
    from data.engine.journal import FileJournal
    from data.engine.store import Store
    from data.incidents.views import SyncState, load_snapshot
    from tests._console_helpers import opened, seed, settings_for

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-A"), opened("INC-B")])
    store = await Store.open(settings.db)
    checkouts: list[int] = []
    try:
        await store.sync(FileJournal(settings.journal))
        event.listen(store.engine.sync_engine, "engine_connect", lambda *a: checkouts.append(1))
        snap = await load_snapshot(store, SyncState(journal="x"))
        assert [r.id for r in snap.incidents] == ["INC-A", "INC-B"]
        assert len(checkouts) == 1
        await store.read_rows(select(S.incidents.c.id))
        await store.read_tuples(select(S.incidents.c.id))
        assert len(checkouts) == 3
    finally:
        await store.close()


async def test_an_incidents_detail_reads_the_store_through_one_connection(tmp_path: Path) -> None:
    """Its events, its checklist, the incidents merged into it and its signals: one
    connection (a move the read-ahead has not reached waits for all of them)."""
    from sqlalchemy import event

    from data.engine.journal import FileJournal
    from data.engine.store import Store
    from data.incidents.views import load_detail
    from tests._console_helpers import opened, scoped, seed, settings_for

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-A"), scoped("incident.note", "INC-A", text="first note")])
    store = await Store.open(settings.db)
    checkouts: list[int] = []
    try:
        await store.sync(FileJournal(settings.journal))
        event.listen(store.engine.sync_engine, "engine_connect", lambda *a: checkouts.append(1))
        detail = await load_detail(store, "INC-A")
    finally:
        await store.close()
    assert any("first note" in str(e) for e in detail.entries)
    assert len(checkouts) == 1


async def test_a_console_run_by_the_command_line_freezes_its_heap_once_after_the_first_synced_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The objects the console holds for the whole session are moved out of the garbage
    collector's sight once its first synced picture is on screen (full collections of a
    console on a long journal stopped it for 100–220 ms each); once, not at every snapshot.
    A console run inside another program (``freeze_heap`` off, as in these tests) leaves
    the collector alone."""
    import gc

    import app.console as console_module
    from app.console import WarRoom, run_console
    from tests._console_helpers import opened, queue_ids, seed, settings_for, settle, wait_for

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    freezes: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))  # (the suite's heap is left alone)
    app = WarRoom(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, lambda a: queue_ids(a) == ["INC-1"])
    assert freezes == []

    app = WarRoom(settings, freeze_heap=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, lambda a: queue_ids(a) == ["INC-1"])
        await wait_for(pilot, lambda: freezes == [1], what="the heap frozen")
        assert app.last_snapshot is not None and app.last_snapshot.sync.synced_at is not None
        await seed(settings, [opened("INC-2")])
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-1", "INC-2"], what="the next snapshot")
        await settle(pilot, lambda a: True)
    assert freezes == [1]  # once

    ran: list[bool] = []
    monkeypatch.setattr(console_module.WarRoom, "run", lambda self: ran.append(self.freeze_heap))
    assert run_console(settings) == 0 and ran == [True]
