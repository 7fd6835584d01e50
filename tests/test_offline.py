"""The console through a journal outage (issue 7), without PostgreSQL: a journal double that
wraps a FileJournal and cannot be reached while ``down`` (it raises JournalUnavailable, as
the database journal does when its server is unreachable), driven through the real console.

What a user types while the journal is down goes to the outbox (data/engine/outbox.py), in order,
with its ids; the status bar says STALE and how many actions wait; when the journal is back
the sync loop sends them through the validated path, and the user is told."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input

from app.console import WarRoom
from data.engine import outbox
from data.engine.journal import Check, FileJournal, JournalUnavailable, Position, Span
from data.engine.store import Store
from screens import dialogs
from tests._console_helpers import (
    SIZE,
    journal_lines,
    next_syncs,
    opened,
    scoped,
    seed,
    settings_for,
    wait_for,
)
from tests.test_actions import open_dialog, select_incident, started, type_into


class Outage:
    """A FileJournal that cannot be reached while ``down``: every read, probe and append
    raises JournalUnavailable. ``lose_reply``: the next append is written, then its reply
    is lost (an ambiguous failure: the commit happened) and the journal goes down.
    ``down_after``: the next append is written and answered, then the journal goes down
    (the store cannot catch up after it)."""

    def __init__(self, path: Path) -> None:
        self.inner = FileJournal(path)
        self.location = self.inner.location
        self.path = self.inner.path
        self.down = False
        self.lose_reply = False
        self.down_after = False
        self.appends = 0

    def _gate(self) -> None:
        if self.down:
            raise JournalUnavailable("the journal server cannot be reached (test outage)")

    def exists(self) -> bool:
        return self.inner.exists()

    def check(self, pos: Position) -> Check:
        self._gate()
        return self.inner.check(pos)

    def read(self, pos: Position) -> Iterator[Span]:
        self._gate()
        return self.inner.read(pos)

    def end(self) -> int:
        self._gate()
        return self.inner.end()

    def identity(self) -> str:
        return self.inner.identity()

    async def append(
        self,
        events: Sequence[dict[str, Any]],
        *,
        under_lock: Callable[[], Awaitable[None]] | None = None,
    ) -> list[str]:
        self._gate()
        ids = await self.inner.append(events, under_lock=under_lock)
        self.appends += 1
        if self.lose_reply:
            self.lose_reply = False
            self.down = True
            raise JournalUnavailable("the connection was lost before the reply (test)")
        if self.down_after:
            self.down_after = False
            self.down = True
        return ids

    def changes(self, *, poll: float = 0.5) -> AsyncIterator[None]:
        return self.inner.changes(poll=poll)


def console(settings: Any, **kw: Any) -> tuple[WarRoom, Outage]:
    app = WarRoom(settings, **kw)
    double = Outage(settings.journal)
    app.journal = double
    return app, double


def status(app: WarRoom) -> str:
    from widgets.status import StatusBar

    return str(app.screen_stack[1].query_one(StatusBar).render())


def messages(app: WarRoom) -> list[str]:
    return [n.message for n in app.told]


async def stored_outbox(app: WarRoom, refused: bool | None = None) -> list[outbox.Entry]:
    return await outbox.entries(app.store, refused=refused)


async def outbox_of(db: Path) -> list[outbox.Entry]:
    store = await Store.open(db)
    try:
        return await outbox.entries(store)
    finally:
        await store.close()


async def test_a_note_typed_while_down_is_queued_then_sent_in_order(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app, double = console(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        before = journal_lines(settings.journal)
        double.down = True

        # two notes typed while the journal is down: both dialogs close, nothing written
        for text in ("Called the LE liaison", "Liaison called back"):
            dialog = await open_dialog(pilot, app, "a", dialogs.NoteDialog)
            await type_into(pilot, dialog.query_one("#text", Input), text)
            await pilot.press("enter")
            await wait_for(pilot, lambda d=dialog: app.screen is not d, what="the dialog to close as queued")
        assert journal_lines(settings.journal) == before
        assert any(m.startswith("queued: the journal is unreachable") for m in messages(app))
        assert not any("written to the journal" in m for m in messages(app))
        queued = await stored_outbox(app)
        assert [e.events[0]["data"]["text"] for e in queued] == [
            "Called the LE liaison",
            "Liaison called back",
        ]
        assert [e.refused for e in queued] == [None, None]
        assert queued[0].seq < queued[1].seq
        assert queued[0].description == "incident.note (INC-1)"
        ids = [e.events[0]["id"] for e in queued]
        await wait_for(
            pilot, lambda: "STALE" in status(app) and "2 queued" in status(app), what="stale + 2 queued"
        )

        # the journal is back: the next good sync sends both, in order, with their ids
        app.told.clear()
        double.down = False
        app.request_refresh()
        await wait_for(
            pilot, lambda: len(journal_lines(settings.journal)) == len(before) + 2, what="the notes sent"
        )
        lines = journal_lines(settings.journal)[len(before) :]
        assert [line["id"] for line in lines] == ids
        assert [line["ts"] for line in lines] == [e.events[0]["ts"] for e in queued]
        assert [line["data"]["text"] for line in lines] == ["Called the LE liaison", "Liaison called back"]
        await wait_for(pilot, lambda: app.outbox_counts == (0, 0) and "queued" not in status(app),
                       what="the outbox empty")  # fmt: skip
        assert await stored_outbox(app) == []
        await wait_for(pilot, lambda: "STALE" not in status(app), what="live again")
        sent = [m for m in messages(app) if m.startswith("Sent ")]
        assert sent == ["Sent 2 queued actions to the journal: incident.note ×2"]


async def test_an_action_after_the_journal_returns_goes_after_what_was_queued(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app, double = console(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        n = len(journal_lines(settings.journal))
        double.down = True
        assert isinstance(await app.act([scoped("incident.note", "INC-1", text="first")]), outbox.Queued)
        # back, but the loop has not retried yet: act() sends what waits before its own
        app.workers.cancel_group(app, "sync")
        double.down = False
        assert await app.act([scoped("incident.note", "INC-1", text="second")]) is None
        texts = [line["data"]["text"] for line in journal_lines(settings.journal)[n:]]
        assert texts == ["first", "second"]
        assert app.outbox_counts == (0, 0)


async def test_a_refused_queued_action_is_reported_and_kept(tmp_path: Path) -> None:
    from screens.warnings import WarningsScreen

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app, double = console(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        n = len(journal_lines(settings.journal))
        double.down = True
        assert isinstance(await app.act([opened("INC-2", title="Opened here while down")]), outbox.Queued)
        assert isinstance(
            await app.act([scoped("incident.note", "INC-1", text="still useful")]), outbox.Queued
        )
        # meanwhile another console opened INC-2 in the journal
        await seed(settings, [opened("INC-2", title="Opened elsewhere")])
        app.told.clear()
        double.down = False
        app.request_refresh()
        await wait_for(pilot, lambda: app.outbox_counts == (0, 1), what="one sent, one refused")
        lines = journal_lines(settings.journal)[n:]
        assert [(line["type"], line["data"].get("title")) for line in lines] == [
            ("incident.opened", "Opened elsewhere"),
            ("incident.note", None),
        ]
        [kept] = await stored_outbox(app)
        assert kept.events[0]["data"]["title"] == "Opened here while down"
        # its SOP checklist items were computed when it was queued, in the same batch
        assert {e["type"] for e in kept.events[1:]} == {"checklist.added"} and len(kept.events) > 1
        assert kept.refused is not None and "INC-2 was already opened" in kept.refused
        refusals = [m for m in messages(app) if "refused by the journal" in m]
        assert len(refusals) == 1 and "INC-2 was already opened" in refusals[0]
        assert any(m.startswith("Sent 1 queued action to the journal: incident.note") for m in messages(app))
        await wait_for(pilot, lambda: "1 refused" in status(app), what="the status bar to show it")
        assert "queued" not in status(app)
        # the warnings screen lists it, with why
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, WarningsScreen), what="the warnings screen")
        table = app.screen.query_one("#refused", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1, what="the refused action listed")
        assert table.display
        row = [c.plain for c in table.get_row_at(0)]
        assert row[1].startswith("incident.opened, checklist.added ×") and row[1].endswith("(INC-2)")
        assert "INC-2 was already opened" in row[2]
        # a refused entry is not retried
        await next_syncs(pilot, app)
        assert len(journal_lines(settings.journal)) == n + 2


async def test_a_lost_reply_is_not_written_twice(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app, double = console(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        n = len(journal_lines(settings.journal))
        double.lose_reply = True  # the line is written, then the connection drops
        result = await app.act([scoped("incident.note", "INC-1", text="maybe written")])
        assert isinstance(result, outbox.Queued)
        [line] = journal_lines(settings.journal)[n:]
        [entry] = await stored_outbox(app)
        assert entry.events[0]["id"] == line["id"]
        double.down = False
        app.request_refresh()
        await wait_for(pilot, lambda: app.outbox_counts == (0, 0), what="the outbox to settle")
        await next_syncs(pilot, app)  # and whatever the loop would send next
        lines = journal_lines(settings.journal)[n:]
        assert [x["id"] for x in lines] == [line["id"]]  # once, not twice
        assert double.appends == 1


async def test_a_write_the_journal_took_counts_as_written_though_the_store_lags(tmp_path: Path) -> None:
    """The journal took the action and answered, then went away before the store could catch
    up: the action is written (not queued, never sent twice); the user is told the picture is
    behind (issue 12)."""
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app, double = console(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        n = len(journal_lines(settings.journal))
        double.down_after = True
        result = await app.act([scoped("incident.note", "INC-1", text="taken")])
        assert result is None
        assert await stored_outbox(app) == [] and app.outbox_counts == (0, 0)
        [line] = journal_lines(settings.journal)[n:]
        assert line["data"] == {"text": "taken"}
        await wait_for(pilot, lambda: "STALE" in status(app), what="the picture to show it is behind")
        assert any(
            "Written to the journal; this console's store could not be updated" in m for m in messages(app)
        )
        double.down = False
        app.request_refresh()
        await wait_for(pilot, lambda: "STALE" not in status(app), what="the store to catch up")
        assert [x["id"] for x in journal_lines(settings.journal)[n:]] == [line["id"]]
        assert double.appends == 1


async def test_observers_never_queue(tmp_path: Path) -> None:
    from dataclasses import replace

    settings = replace(settings_for(tmp_path), observer=True)
    await seed(settings, [opened("INC-1")])
    app, double = console(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        double.down = True
        error = await app.act([scoped("incident.note", "INC-1", text="from an observer")])
        assert isinstance(error, str) and "read-only" in error
        assert await stored_outbox(app) == []
        assert app.outbox_counts == (0, 0)


async def test_the_outbox_survives_a_restart_of_the_console(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app, double = console(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        n = len(journal_lines(settings.journal))
        double.down = True
        queued = await app.act([scoped("incident.note", "INC-1", text="typed before quitting")])
        assert isinstance(queued, outbox.Queued)
        await wait_for(pilot, lambda: "1 queued" in status(app), what="1 queued")
    # quit: the outbox is in the store
    [entry] = await outbox_of(settings.db)
    assert journal_lines(settings.journal)[n:] == []
    # a new console on the same store, the journal reachable: it sends it
    again = WarRoom(settings)
    async with again.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: len(journal_lines(settings.journal)) == n + 1, what="sent after restart"
        )
        await wait_for(pilot, lambda: again.outbox_counts == (0, 0), what="the outbox empty")
        assert any(m.startswith("Sent 1 queued action") for m in messages(again))
    [line] = journal_lines(settings.journal)[n:]
    assert line["id"] == entry.events[0]["id"] and line["data"]["text"] == "typed before quitting"
    assert await outbox_of(settings.db) == []


async def test_a_file_journal_error_still_keeps_the_dialog(tmp_path: Path) -> None:
    """Not an outage (a FileJournal never raises JournalUnavailable): nothing is queued."""
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        settings.journal.rename(tmp_path / "aside.jsonl")
        settings.journal.mkdir()
        error = await app.act([scoped("incident.note", "INC-1", text="kept in the dialog")])
        assert isinstance(error, str)
        assert await stored_outbox(app) == []


def test_outbox_is_outside_the_projection(tmp_path: Path) -> None:
    """Rebuild and digest ignore the outbox (a local table, like the exposure counters)."""

    async def run() -> None:
        journal = FileJournal(tmp_path / "j.jsonl")
        store = await Store.open(tmp_path / "s.db")
        try:
            await store.sync(journal)
            digest = await store.digest()
            await outbox.put(store, [{"type": "incident.note", "id": "x"}], 1.0)
            assert await store.digest() == digest
            await store.rebuild(journal)
            assert [e.events for e in await outbox.entries(store)] == [[{"type": "incident.note", "id": "x"}]]
            assert await outbox.counts(store) == (1, 0)
        finally:
            await store.close()

    asyncio.run(run())


def test_the_local_tables_go_through_the_stores_public_methods(tmp_path: Path) -> None:
    """The outbox and the exposure counters reach their tables through ``read_local`` and
    ``write_local`` (never the store's engine): the tables are made on first use, and a
    failure is a StoreError that says what was being done."""
    from sqlalchemy import text

    from data.engine.store import StoreError

    async def run() -> None:
        store = await Store.open(tmp_path / "s.db")
        try:
            done = await store.write_local(outbox.metadata, "the outbox", outbox.outbox.insert().values(
                events="[]", queued_at=1.0, description="probe"))  # fmt: skip
            assert done.key == 1 and done.rows == 1
            assert [r.description for r in await store.read_local(outbox.metadata, "the outbox",
                                                                  text("SELECT description FROM outbox"))] == ["probe"]  # fmt: skip
            try:
                await store.read_local(outbox.metadata, "the outbox", text("SELECT nothing FROM outbox"))
            except StoreError as exc:
                assert str(exc).startswith("reading the outbox failed: ") and "nothing" in str(exc)
            else:
                raise AssertionError("a bad read was not reported")
            await outbox.remove(store, 1)
            assert await outbox.counts(store) == (0, 0)
        finally:
            await store.close()

    asyncio.run(run())


def test_outbox_command_lists_and_drops(tmp_path: Path) -> None:
    """``warroom outbox list`` shows what waits and what was refused; ``drop`` throws away a
    refused entry, and a waiting one only when asked."""
    import json

    from tests.helpers import run_cli

    db = tmp_path / "console.db"

    async def fill() -> None:
        store = await Store.open(db)
        try:
            await outbox.put(store, [{"type": "incident.note", "incident": "INC-1", "id": "W1"}], 1.0,
                             "incident.note (INC-1)")  # fmt: skip
            seq = await outbox.put(store, [{"type": "incident.note", "incident": "INC-9", "id": "R1"}], 2.0,
                                   "incident.note (INC-9)")  # fmt: skip
            await outbox.refuse(store, seq, "incident INC-9 was never opened", 3.0)
        finally:
            await store.close()

    asyncio.run(fill())
    env = {"WARROOM_JOURNAL": str(tmp_path / "journal.jsonl"), "WARROOM_DB": str(db), "WARROOM_ACTOR": "amara",
           "HOME": str(tmp_path)}  # fmt: skip
    r = run_cli(["outbox", "list"], env)
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert "incident.note (INC-1)  waiting" in text and "REFUSED: incident INC-9 was never opened" in text
    listed = json.loads(run_cli(["outbox", "list", "--json"], env).stdout)
    assert [(e["state"], e["events"][0]["id"]) for e in listed] == [("waiting", "W1"), ("refused", "R1")]
    waiting, refused = listed[0]["seq"], listed[1]["seq"]
    r = run_cli(["outbox", "drop", str(waiting)], env)
    assert r.returncode != 0 and b"still waiting" in r.stderr
    assert run_cli(["outbox", "drop", str(refused)], env).returncode == 0
    assert run_cli(["outbox", "drop", str(waiting), "--waiting"], env).returncode == 0
    assert b"the outbox is empty" in run_cli(["outbox", "list"], env).stdout
    assert run_cli(["outbox", "drop", "99"], env).returncode != 0
