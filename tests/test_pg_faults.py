"""Faults of a PostgreSQL journal under real consoles (issue 7): the server stopped and
restarted under a running console, two writers appending at once through the database, and
a connection cut in the middle of an append. Skipped, like every PostgreSQL test, where
the server binaries are missing (tests/pg.py), unless WARROOM_REQUIRE_PG=1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from app.console import WarRoom
from data.commands import AppendRefused, append_to, build_events
from data.config import Settings
from data.engine import outbox
from data.engine.chain import verify
from data.engine.journal import JournalError, JournalUnavailable
from data.engine.pg_journal import PgJournal
from data.engine.store import Store
from data.incidents import queries as incident_queries
from screens import dialogs
from tests._console_helpers import ACTOR, SIZE, opened, scoped, wait_for
from tests.test_actions import open_dialog, select_incident, started, type_into

ROOT = Path(__file__).resolve().parent.parent


def pg_settings(tmp_path: Path, url: str, actor: str = ACTOR) -> Settings:
    return Settings(tmp_path / "journal-name", tmp_path / "console.db", actor, journal_url=url)


def lines_of(url: str) -> list[dict[str, Any]]:
    journal = PgJournal(url)
    try:
        return [json.loads(raw) for raw in journal.lines()]
    finally:
        journal.close()


async def seed_pg(url: str, folder: Path, events: list[dict[str, Any]], actor: str = "seeder") -> None:
    journal = PgJournal(url)
    store = await Store.open(folder / "seed.db")
    try:
        await append_to(journal, store, build_events([(e["type"], e) for e in events], actor))
    finally:
        await store.close()
        journal.close()


def seqs(pg_cluster: Any, url: str) -> list[int]:
    db = url.rsplit("/", 1)[1]
    out = pg_cluster.psql("SELECT seq FROM warroom_journal ORDER BY seq", dbname=db)
    return [int(x) for x in out.split()]


def intact(url: str) -> int:
    journal = PgJournal(url)
    try:
        report = verify(journal)  # type: ignore[arg-type]  # any Journal reads the same
    finally:
        journal.close()
    assert report.breaks == [] and report.fragment == 0
    return report.lines


def status(app: WarRoom) -> str:
    from widgets.status import StatusBar

    return str(app.screen_stack[1].query_one(StatusBar).render())


async def test_server_stopped_and_restarted_under_a_running_console(
    pg_cluster: Any, pg_url: str, tmp_path: Path
) -> None:
    await seed_pg(pg_url, tmp_path, [opened("INC-1")])
    settings = pg_settings(tmp_path, pg_url)
    app = WarRoom(settings)
    try:
        async with app.run_test(size=SIZE) as pilot:
            main = await started(pilot, app, ["INC-1"])
            await select_incident(pilot, main, "INC-1")
            assert await app.act([scoped("incident.note", "INC-1", text="before the outage")]) is None
            pg_cluster.stop()
            try:
                # nothing asked: the watch loses its connection and the console notices
                await wait_for(pilot, lambda: "STALE" in status(app), timeout=15, what="STALE while down")
                assert app.last_snapshot is not None and [r.id for r in app.last_snapshot.incidents] == [
                    "INC-1"
                ]
                # an action typed meanwhile: queued, the dialog closed
                dialog = await open_dialog(pilot, app, "a", dialogs.NoteDialog)
                await type_into(pilot, dialog.query_one("#text", Input), "typed during the outage")
                await pilot.press("enter")
                await wait_for(pilot, lambda: app.screen is not dialog, timeout=15, what="queued")
                await wait_for(pilot, lambda: "1 queued" in status(app), what="1 queued")
                [entry] = await outbox.entries(app.store)
            finally:
                pg_cluster.start()
            # back: the sync loop's next good sync sends it
            await wait_for(pilot, lambda: app.outbox_counts == (0, 0), timeout=20, what="the outbox sent")
            await wait_for(pilot, lambda: "STALE" not in status(app), timeout=10, what="live again")
            assert await app.act([scoped("incident.note", "INC-1", text="after the outage")]) is None
            console_digest = await app.store.digest()
    finally:
        if not pg_cluster.running:
            pg_cluster.start()
    lines = lines_of(pg_url)
    texts = [x["data"].get("text") for x in lines if x["type"] == "incident.note"]
    assert texts == ["before the outage", "typed during the outage", "after the outage"]
    assert len({x["id"] for x in lines}) == len(lines)  # everything exactly once
    assert entry.events[0]["id"] in {x["id"] for x in lines}
    assert intact(pg_url) == len(lines)
    assert seqs(pg_cluster, pg_url) == list(range(1, len(lines) + 1))
    # a fresh store fed the same journal agrees with the console's
    journal = PgJournal(pg_url)
    fresh = await Store.open(tmp_path / "fresh.db")
    try:
        await fresh.sync(journal)
        assert await fresh.digest() == console_digest
    finally:
        await fresh.close()
        journal.close()


WRITER = """
import asyncio, sys
from data.commands import append_to, build_events
from data.engine.pg_journal import PgJournal
from data.engine.store import Store

async def main(url, db, n):
    journal = PgJournal(url)
    store = await Store.open(db)
    try:
        for i in range(n):
            ev = {"type": "incident.note", "incident": "INC-1", "data": {"text": f"second {i}"}}
            await append_to(journal, store, build_events([("note", ev)], "second-process"))
            await asyncio.sleep(0.01)
    finally:
        await store.close()
        journal.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_a_console_and_a_second_process_append_concurrently(
    pg_cluster: Any, pg_url: str, tmp_path: Path
) -> None:
    n = 15
    await seed_pg(pg_url, tmp_path, [opened("INC-1")])
    settings = pg_settings(tmp_path, pg_url)
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, pg_url, str(tmp_path / "second.db"), str(n),
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        # the console appends for as long as the second process does (at least n times)
        mine = 0
        while mine < n or (proc.returncode is None and mine < 400):
            assert await app.act([scoped("incident.note", "INC-1", text=f"console {mine}")]) is None
            mine += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.01)
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        total = 1 + n + mine
        await wait_for(pilot, lambda: app.sync_state.line == total and app.sync_state.error is None,
                       timeout=15, what="the console to see every event")  # fmt: skip
        console_digest = await app.store.digest()
    lines = lines_of(pg_url)
    assert len(lines) == total and len({x["id"] for x in lines}) == total
    texts = [x["data"]["text"] for x in lines if x["type"] == "incident.note"]
    assert sorted(texts) == sorted([f"console {i}" for i in range(mine)] + [f"second {i}" for i in range(n)])
    # each writer's own events in the order it wrote them, the two interleaved
    assert [t for t in texts if t.startswith("console")] == [f"console {i}" for i in range(mine)]
    assert [t for t in texts if t.startswith("second")] == [f"second {i}" for i in range(n)]
    first, last = texts.index("second 0"), texts.index(f"second {n - 1}")
    assert any(t.startswith("console") for t in texts[first:last]), "the writers did not overlap"
    assert seqs(pg_cluster, pg_url) == list(range(1, total + 1))  # gap-free
    assert intact(pg_url) == total
    # the second process's store, caught up, agrees with the console's
    journal = PgJournal(pg_url)
    second = await Store.open(tmp_path / "second.db")
    try:
        await second.sync(journal)
        assert (await second.status()).line == total
        assert await second.digest() == console_digest
    finally:
        await second.close()
        journal.close()


async def test_a_connection_cut_mid_append_writes_nothing_and_a_retry_succeeds(
    pg_cluster: Any, pg_url: str, tmp_path: Path
) -> None:
    await seed_pg(pg_url, tmp_path, [opened("INC-1")])
    db = pg_url.rsplit("/", 1)[1]
    journal = PgJournal(pg_url)
    store = await Store.open(tmp_path / "s.db")
    cut: list[str] = []
    try:
        events = build_events([("note", scoped("incident.note", "INC-1", text="cut"))], ACTOR)

        async def terminate() -> None:
            # the appending backend holds the journal's advisory lock: end it, and wait until it is gone
            sql = (
                "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                f"WHERE l.locktype = 'advisory' AND l.granted AND a.datname = '{db}'"
            )
            pid = int(await asyncio.to_thread(pg_cluster.psql, sql, db))
            cut.append(await asyncio.to_thread(pg_cluster.psql, f"SELECT pg_terminate_backend({pid})", db))
            gone = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}"
            deadline = time.monotonic() + 20
            while await asyncio.to_thread(pg_cluster.psql, gone, db) != "0":
                assert time.monotonic() < deadline, "the appending backend did not end"
                await asyncio.sleep(0.05)  # (polled)

        before = lines_of(pg_url)
        with pytest.raises((JournalUnavailable, JournalError)) as failed:
            await asyncio.wait_for(journal.append(events, under_lock=terminate), 20)
        assert cut == ["t"], cut  # one backend was terminated: the appender's
        assert not isinstance(failed.value, AppendRefused)
        assert lines_of(pg_url) == before  # nothing partial
        # a retry (the same events, the same ids) succeeds, once
        await append_to(journal, store, events)
        after = lines_of(pg_url)
        assert after[:-1] == before and after[-1]["id"] == events[0]["id"]
        assert intact(pg_url) == len(after)
        assert seqs(pg_cluster, pg_url) == list(range(1, len(after) + 1))
    finally:
        await store.close()
        journal.close()


# --- a commit whose reply was lost, a store that cannot catch up (issue 12) ---------------


def _lose_the_commit_reply(
    monkeypatch: pytest.MonkeyPatch, *, committed: bool, then: Any = None
) -> list[str]:
    """The next commit of a transaction loses its connection: after the server committed
    (``committed``) or before (the connection dies, the server rolls back); ``then()`` runs
    at that moment."""
    import asyncpg
    from asyncpg.transaction import Transaction

    real = Transaction.commit
    calls: list[str] = []

    async def commit(self: Any) -> None:
        if calls:
            return await real(self)
        calls.append("lost")
        if committed:
            await real(self)
        self._connection.terminate()
        if then is not None:
            then()
        raise asyncpg.exceptions.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation"
        )

    monkeypatch.setattr(Transaction, "commit", commit)
    return calls


@pytest.mark.parametrize("committed", [True, False])
async def test_a_commit_whose_reply_was_lost_is_resolved_by_its_ids(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, committed: bool
) -> None:
    """Before answering, the writer asks the journal for the batch's ids: all there as
    sent, it was written (the ids are returned); none, it was not (nothing written, safe to
    retry). Issue 12: 3 of 41 calls failed under a restart had committed."""
    await seed_pg(pg_url, tmp_path, [opened("INC-1")])
    journal = PgJournal(pg_url)
    store = await Store.open(tmp_path / "s.db")
    try:
        events = build_events(
            [("note", scoped("incident.note", "INC-1", text=f"lost reply {n}")) for n in range(3)], ACTOR
        )
        before = lines_of(pg_url)
        calls = _lose_the_commit_reply(monkeypatch, committed=committed)
        if committed:
            result = await append_to(journal, store, events)
            assert calls == ["lost"]
            assert result.ids == [e["id"] for e in events] and result.store_error is None
            assert [x["id"] for x in lines_of(pg_url)[len(before) :]] == result.ids
        else:
            with pytest.raises(JournalUnavailable) as failed:
                await append_to(journal, store, events)
            assert calls == ["lost"]
            assert "the commit did not happen: nothing was written" in str(failed.value)
            assert lines_of(pg_url) == before
            result = await append_to(journal, store, events)  # the retry writes it, once
            assert [x["id"] for x in lines_of(pg_url)[len(before) :]] == result.ids
        assert intact(pg_url) == len(before) + 3
    finally:
        await store.close()
        journal.close()


async def test_a_lost_commit_that_cannot_be_resolved_is_unknown(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data.engine.journal import WriteUnknown

    await seed_pg(pg_url, tmp_path, [opened("INC-1")])
    journal = PgJournal(pg_url, resolve_timeout=0.5)
    try:
        events = build_events([("note", scoped("incident.note", "INC-1", text="unknown"))], ACTOR)

        async def unreachable(*args: Any) -> list[Any]:
            raise ConnectionRefusedError(111, "Connection refused")

        # the server does not come back in time to be asked
        _lose_the_commit_reply(
            monkeypatch, committed=True, then=lambda: setattr(journal, "_sql", unreachable)
        )
        with pytest.raises(WriteUnknown) as failed:
            await journal.append(events)
        assert failed.value.ids == [events[0]["id"]]
        assert "could not be asked afterwards whether the batch was written" in str(failed.value)
        assert isinstance(failed.value, JournalUnavailable)  # a console queues it; its ids resolve it
    finally:
        journal.close()


async def test_a_restart_right_after_the_commit_leaves_the_write_written(
    pg_cluster: Any, pg_url: str, tmp_path: Path
) -> None:
    """The journal committed, then the server restarted before the store could read it
    back: the append reports the ids written and the store's failure apart."""
    await seed_pg(pg_url, tmp_path, [opened("INC-1")])
    journal = PgJournal(pg_url)
    store = await Store.open(tmp_path / "s.db")
    real = journal.append

    async def then_stop(*args: Any, **kw: Any) -> list[str]:
        ids = await real(*args, **kw)
        await asyncio.to_thread(pg_cluster.stop)
        return ids

    journal.append = then_stop  # type: ignore[method-assign]
    try:
        events = build_events([("note", scoped("incident.note", "INC-1", text="then a restart"))], ACTOR)
        try:
            result = await append_to(journal, store, events)
        finally:
            await asyncio.to_thread(pg_cluster.start)
        assert result.ids == [events[0]["id"]]
        assert result.store_error is not None and "cannot be reached" in result.store_error
        assert lines_of(pg_url)[-1]["id"] == events[0]["id"]
        await store.sync(journal)  # once back, the store catches up
        assert [e.id for e in await incident_queries.timeline(store, "INC-1")][-1] == events[0]["id"]
    finally:
        await store.close()
        journal.close()
