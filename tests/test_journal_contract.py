"""The journal contract, run against both implementations: a file (FileJournal) and a
PostgreSQL database (PgJournal, in the throwaway cluster of tests/pg.py).

Whatever keeps the journal, the same events give the same bytes, the same chain, the same
order and the same projection. The file journal's own concerns (torn lines, fragments,
chunks, oversize lines, flock) stay in tests/test_journal_file.py and
tests/test_concurrency.py; PostgreSQL's own (copy, init, roles, a URL on the command line)
are at the end.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from data.engine.chain import verify
from data.engine.journal import START, FileJournal, JournalError, JournalUnavailable, Position
from data.engine.locations import open_journal
from data.engine.store import Store
from data.roster import queries as roster_queries
from tests._journal_helpers import (
    ROOT,
    WARROOM,
    batch_lines,
    cli_env,
    person,
    sample_events,
    sha,
    writer_events,
)
from tests.helpers import chain as chain_lines

PATIENCE = 120.0  # a guard against a hung process, not a timing assertion


@dataclass
class Target:
    """One journal under test: where it is and how to tamper with it."""

    kind: str
    spec: str
    cluster: Any = None
    dbname: str = ""

    def open(self, **kw: Any) -> Any:
        if self.kind == "file":
            return FileJournal(self.spec, **kw)
        from data.engine.pg_journal import PgJournal

        return PgJournal(self.spec, **kw)

    def replace(self) -> None:
        """Replace the journal by a new, empty one (a new file; new tables)."""
        if self.kind == "file":
            Path(self.spec).rename(self.spec + ".old")
        else:
            self.cluster.psql("DROP TABLE warroom_journal, warroom_schema_version", self.dbname)

    def raw_lines(self) -> list[bytes]:
        j = self.open()
        try:
            return [raw for span in j.read(START) for raw in span.raws]
        finally:
            _close(j)


def _close(journal: Any) -> None:
    close = getattr(journal, "close", None)
    if close is not None:
        close()


@pytest.fixture(params=["file", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "file":
        yield Target("file", str(tmp_path / "journal.jsonl"))
        return
    url = request.getfixturevalue("pg_url")
    cluster = request.getfixturevalue("pg_cluster")
    yield Target("postgresql", url, cluster, url.rsplit("/", 1)[1])


@pytest.fixture
def journal(target: Target) -> Iterator[Any]:
    j = target.open()
    yield j
    _close(j)


def _people(prefix: str, n: int) -> list[dict[str, Any]]:
    return [person(f"{prefix}{i}", f"{prefix}-{i:04d}") for i in range(n)]


# --- writing and reading ------------------------------------------------------------------


async def test_append_then_read_is_byte_exact_and_chained(target: Target, journal: Any) -> None:
    events = sample_events(40)
    assert not journal.exists() or journal.end() == 0
    ids = await journal.append(events[:15])
    ids += await journal.append(events[15:])
    assert ids == [e["id"] for e in events]
    # what a FileJournal writes: compact JSON; in a batch of two or more, "batch": [k, n]
    # just before prev; prev chained
    expected = batch_lines([events[:15], events[15:]])
    spans = list(journal.read(START))
    assert [raw for s in spans for raw in s.raws] == expected
    assert spans[0].line == 1 and all(not s.long for s in spans)
    assert orjson.loads(expected[0])["prev"] is None
    report = verify(journal)
    assert report.intact and report.lines == 40 and report.fragment == 0
    assert journal.exists()


async def test_reading_from_a_position_gives_what_follows(target: Target, journal: Any) -> None:
    await journal.append(_people("a", 10))
    spans = list(journal.read(START))
    # stand where a reader of the first 4 lines stands
    lines = [raw for s in spans for raw in s.raws]
    if target.kind == "file":
        offset = sum(len(x) + 1 for x in lines[:4])
        pos = Position(offset, 4, journal.identity(), sha(lines[3]), offset - 1 - len(lines[3]))
    else:
        pos = Position(4, 4, journal.identity(), sha(lines[3]), 3)
    assert journal.check(pos).ok
    rest = list(journal.read(pos))
    assert rest[0].line == 5
    assert [raw for s in rest for raw in s.raws] == lines[4:]
    assert rest[-1].end == journal.end()
    assert list(journal.read(Position(rest[-1].end, 10, pos.identity))) == []


async def test_under_lock_runs_holding_the_lock_and_its_refusal_writes_nothing(
    target: Target, journal: Any
) -> None:
    await journal.append(_people("a", 3))
    before, end = target.raw_lines(), journal.end()
    seen: list[int] = []

    async def refuse() -> None:
        seen.append(journal.end())  # the journal may be read while the lock is held
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        await journal.append(_people("b", 2), under_lock=refuse)
    assert seen == [end]
    assert target.raw_lines() == before and journal.end() == end
    # and the next append goes through, chained to the last line
    await journal.append(_people("c", 1))
    assert verify(journal).intact and len(target.raw_lines()) == 4


async def test_oversize_event_is_refused_and_nothing_is_written(target: Target, journal: Any) -> None:
    await journal.append(_people("a", 1))
    big = person("z", "z-1", extra="x" * 262_144)
    with pytest.raises(JournalError, match="nothing was written"):
        await journal.append([person("y", "y-1"), big])
    assert len(target.raw_lines()) == 1


async def test_two_tasks_appending_keep_a_gap_free_order_and_an_intact_chain(
    target: Target, journal: Any
) -> None:
    other = target.open()

    async def writer(j: Any, prefix: str) -> None:
        for k in range(15):

            async def pause() -> None:
                await asyncio.sleep(0)

            await j.append(_people(f"{prefix}{k}-", 2), under_lock=pause)

    try:
        await asyncio.gather(writer(journal, "p"), writer(other, "q"))
    finally:
        _close(other)
    lines = target.raw_lines()
    assert len(lines) == 60
    report = verify(journal)
    assert report.intact and report.lines == 60
    # each batch on consecutive lines, each writer's batches in its order
    ids = [orjson.loads(x)["id"] for x in lines]
    for i in range(0, 60, 2):
        assert ids[i][:-4] == ids[i + 1][:-4]
    for prefix in ("p", "q"):
        mine = [x for x in ids if x.startswith(prefix)]
        assert mine == sorted(mine, key=lambda s: (int(s[1:].split("-")[0]), s))


def _writer_proc(kind: str, spec: str, writer: int, count: int, barrier: Any) -> None:
    sys.path.insert(0, str(ROOT))
    from data.engine.locations import open_journal

    journal = open_journal(spec) if kind == "postgresql" else FileJournal(spec, lock_timeout=120)
    batches = writer_events(writer, count)

    async def main() -> None:
        barrier.wait(timeout=PATIENCE)
        for batch in batches:
            await journal.append(batch)

    asyncio.run(main())


async def test_two_processes_appending_keep_a_gap_free_order_and_an_intact_chain(
    target: Target, journal: Any, tmp_path: Path
) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_writer_proc, args=(target.kind, target.spec, w, 30, barrier)) for w in range(2)
    ]
    for p in procs:
        p.start()

    def wait() -> None:
        for p in procs:
            p.join(PATIENCE)
            if p.is_alive():
                p.kill()
                pytest.fail("a writer process hung")
            assert p.exitcode == 0

    await asyncio.to_thread(wait)
    lines = target.raw_lines()
    assert len(lines) == 60
    assert verify(journal).intact
    ids = [orjson.loads(x)["id"] for x in lines]
    for w in range(2):
        assert [x for x in ids if x.startswith(f"w{w}-")] == [f"w{w}-{i:04d}" for i in range(30)]
    if target.kind == "postgresql":
        seqs = target.cluster.psql(
            "SELECT string_agg(seq::text, ',' ORDER BY seq) FROM warroom_journal", target.dbname
        )
        assert seqs == ",".join(str(i) for i in range(1, 61))
    store = await Store.open(tmp_path / "store.db")
    try:
        r = await store.sync(journal)
        assert (r.lines, r.ingested, r.quarantined, r.chain_breaks) == (60, 60, 0, 0)
    finally:
        await store.close()


def _put_lines(target: Target, journal: Any, lines: list[bytes]) -> None:
    """Put raw lines into the empty journal as they are (a file's bytes; a database's rows by
    ``warroom journal copy``)."""
    if target.kind == "file":
        Path(target.spec).write_bytes(b"".join(x + b"\n" for x in lines))
    else:
        assert journal.copy_in(lines) == len(lines)


async def test_a_batch_cut_short_is_quarantined_and_an_unfinished_one_waits(
    target: Target, journal: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lines a writer killed mid-batch left in a file (kept as they are by a copy to the
    database): whatever keeps the journal, a reader applies none of a batch cut short and
    quarantines its lines, and waits for a batch not finished at the end; read in small
    pieces (a file's reads, a database's pages), no span ends inside a batch it cannot
    know complete."""
    from data.engine import journal as journal_module
    from data.engine import pg_journal

    source = tmp_path / "source.jsonl"
    writer = FileJournal(source)
    await writer.append(_people("a", 7))
    await writer.append(_people("c", 6))
    raws = source.read_bytes().split(b"\n")[:-1]
    lines = raws[:11]  # the writer of batch c was killed after 4 of its 6 lines
    source.write_bytes(b"".join(x + b"\n" for x in lines))
    await writer.append(_people("b", 5))
    await writer.append(_people("u", 8))
    raws = source.read_bytes().split(b"\n")[:-1]
    lines = raws[:19]  # batch u: 3 of 8 lines so far
    _put_lines(target, journal, lines)
    monkeypatch.setattr(journal_module, "CHUNK", 700)
    monkeypatch.setattr(pg_journal, "SPAN_ROWS", 3)

    spans = list(journal.read(START))
    assert sum(len(s) for s in spans) == 16 and spans[-1].line + len(spans[-1]) - 1 == 16
    assert sorted(i + s.line for s in spans for i in s.broken) == [8, 9, 10, 11]
    store = await Store.open(tmp_path / "s.db")
    try:
        r = await store.sync(journal)
        assert (r.lines, r.ingested, r.quarantined, r.chain_breaks, r.line) == (16, 12, 4, 0, 16)
        reasons = {q.reason for q in await store.quarantine()}
        assert reasons == {
            "part of a batch of 6 lines that was never completely written; none of it is applied"
        }
        await journal.append(_people("z", 2))  # the next writer's lines: batch u was cut short too
        r = await store.sync(journal)
        assert (r.lines, r.ingested, r.quarantined, r.chain_breaks) == (5, 2, 3, 0)
        assert [q.line for q in await store.quarantine()] == [8, 9, 10, 11, 17, 18, 19]
        seen = await _batch_view(store)
    finally:
        await store.close()
    assert verify(journal).intact
    # the same lines in a file give the same projection
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(b"".join(x + b"\n" for x in target.raw_lines()))
    other = await Store.open(tmp_path / "o.db")
    try:
        await other.sync(FileJournal(copy))
        assert await _batch_view(other) == seen
    finally:
        await other.close()


async def _batch_view(store: Store) -> tuple[Any, ...]:
    """What the projection holds of those lines (a quarantined line's offset aside: a
    position in a database journal is not a byte offset)."""
    quarantined = [(q.line, q.reason, bytes(q.raw)) for q in await store.quarantine()]
    return quarantined, await roster_queries.people(store), (await store.status()).counters


# --- positions, checks and rebuilds -------------------------------------------------------


async def test_end_moves_with_appends_and_check_accepts_the_position_read(
    target: Target, journal: Any, tmp_path: Path
) -> None:
    assert journal.end() == 0
    await journal.append(_people("a", 5))
    end = journal.end()
    assert end > 0
    store = await Store.open(tmp_path / "store.db")
    try:
        r = await store.sync(journal)
        assert r.lines == 5 and r.offset == end and r.rebuilt is None
        status = await store.status()
        await journal.append(_people("b", 2))
        assert journal.end() > end
        r = await store.sync(journal)
        assert r.lines == 2 and r.rebuilt is None
        assert status is not None
    finally:
        await store.close()


async def test_a_replaced_journal_makes_the_next_sync_rebuild(
    target: Target, journal: Any, tmp_path: Path
) -> None:
    await journal.append(_people("a", 5))
    store = await Store.open(tmp_path / "store.db")
    try:
        await store.sync(journal)
        target.replace()
        fresh = target.open()
        try:
            await fresh.append(_people("b", 6))  # a new journal, longer than the old
            r = await store.sync(fresh)
            assert r.rebuilt and "replaced" in r.rebuilt
            assert r.lines == 6
            handles = sorted(p.handle for p in await roster_queries.people(store))
            assert handles == [f"b{i}" for i in range(6)]
        finally:
            _close(fresh)
    finally:
        await store.close()


async def test_check_refuses_a_position_beyond_the_end(target: Target, journal: Any) -> None:
    await journal.append(_people("a", 3))
    lines = target.raw_lines()
    ident = journal.identity()
    if target.kind == "file":
        far = Position(10_000, 50, ident, sha(lines[-1]), 9_000)
    else:
        far = Position(50, 50, ident, sha(lines[-1]), 49)
    verdict = journal.check(far)
    assert not verdict.ok and verdict.reason


# --- watching -----------------------------------------------------------------------------


async def _listening(cluster: Any = None, dbname: str = "") -> None:
    """Until a ``changes()`` iterator just started watches: for a file, one turn of the loop
    (it takes its baseline at once); for PostgreSQL, until its LISTEN is in place."""
    await asyncio.sleep(0)
    if cluster is None:
        return
    sql = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{dbname}' AND query LIKE 'LISTEN %'"
    deadline = time.monotonic() + PATIENCE
    while await asyncio.to_thread(cluster.psql, sql, dbname) == "0":
        assert time.monotonic() < deadline, "the watcher never listened"
        await asyncio.sleep(0.05)  # (polled)


async def test_changes_yields_after_another_writer_appends(target: Target, journal: Any) -> None:
    await journal.append(_people("a", 1))
    other = target.open()
    changes = journal.changes(poll=0.2)
    try:
        waiter = asyncio.ensure_future(changes.__anext__())
        await _listening(target.cluster, target.dbname)
        await other.append(_people("b", 1))
        await asyncio.wait_for(waiter, 20)
        # and again (the iterator goes on)
        waiter = asyncio.ensure_future(changes.__anext__())
        await _listening(target.cluster, target.dbname)
        await other.append(_people("c", 1))
        await asyncio.wait_for(waiter, 20)
    finally:
        await changes.aclose()
        _close(other)


# --- PostgreSQL only ----------------------------------------------------------------------


def _cli(args: list[str], env_journal: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WARROOM, *args],
        env=cli_env(env_journal, tmp_path / "cli.db"),
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )


async def test_store_of_a_file_and_of_its_postgresql_copy_have_the_same_digest(
    pg_url: str, tmp_path: Path
) -> None:
    from data.engine.copy import copy_journal

    events = sample_events(600, per_incident=60)
    path = tmp_path / "journal.jsonl"
    await FileJournal(path).append(events)
    report = copy_journal(str(path), pg_url)
    assert report.lines == 600 and report.dest_chain.intact
    pg = open_journal(pg_url)
    try:
        digests = []
        for name, j in (("file", FileJournal(path)), ("pg", pg)):
            store = await Store.open(tmp_path / f"{name}.db")
            try:
                r = await store.sync(j)
                assert r.lines == 600
                digests.append((await store.digest(), (await store.status()).counters))
            finally:
                await store.close()
        assert digests[0] == digests[1]
    finally:
        _close(pg)


async def test_journal_copy_both_ways_is_byte_exact_and_verified(pg_url: str, tmp_path: Path) -> None:
    src = tmp_path / "journal.jsonl"
    big = orjson.dumps({"v": 1, "id": "big", "junk": "x" * 300_000})  # oversize lines are copied whole
    lines = [*chain_lines(sample_events(30)), b"not json \xff", big]
    src.write_bytes(b"".join(x + b"\n" for x in lines) + b'{"torn')
    r = _cli(["journal", "copy", str(src), pg_url], str(src), tmp_path)
    # the source's chain breaks after the bad lines? no: non-JSON lines chain by hash; the
    # oversize one has no prev, so it is a break -> exit 1, copied as it is
    assert "copied 32 lines" in r.stdout, r.stdout + r.stderr
    assert "not copied: 6 bytes" in r.stdout
    assert "source: broken at line 32" in r.stdout and "copy: broken at line 32" in r.stdout
    assert r.returncode == 1
    back = tmp_path / "back.jsonl"
    r = _cli(["journal", "copy", pg_url, str(back)], str(src), tmp_path)
    assert "copied 32 lines" in r.stdout, r.stdout + r.stderr
    assert back.read_bytes() == b"".join(x + b"\n" for x in lines)
    # into a journal that is not empty: refused
    r = _cli(["journal", "copy", str(back), pg_url], str(src), tmp_path)
    assert r.returncode != 0 and "not empty" in r.stderr


async def test_journal_copy_of_an_intact_journal_and_verify_on_the_url(pg_url: str, tmp_path: Path) -> None:
    src = tmp_path / "journal.jsonl"
    await FileJournal(src).append(sample_events(50))
    r = _cli(["journal", "copy", str(src), pg_url], str(src), tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "source: intact: 50 lines" in r.stdout and "copy: intact: 50 lines" in r.stdout
    r = _cli(["verify", "--journal", pg_url], str(src), tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "intact: 50 lines", r.stdout + r.stderr
    r = _cli(["verify"], pg_url, tmp_path)  # WARROOM_JOURNAL as a URL
    assert r.returncode == 0 and "intact: 50 lines" in r.stdout


async def test_verify_on_a_url_names_a_break(pg_url: str, pg_cluster: Any, tmp_path: Path) -> None:
    src = tmp_path / "journal.jsonl"
    lines = chain_lines(sample_events(5))
    lines[2] = lines[2].replace(b'"actor":"', b'"actor":"x', 1)  # edited: line 4 breaks
    src.write_bytes(b"".join(x + b"\n" for x in lines))
    _cli(["journal", "copy", str(src), pg_url], str(src), tmp_path)
    r = _cli(["verify", "--journal", pg_url], str(src), tmp_path)
    assert r.returncode == 1 and r.stdout.startswith("broken at line 4"), r.stdout + r.stderr


async def test_journal_init_is_idempotent_and_makes_the_roles(
    pg_url: str, pg_cluster: Any, tmp_path: Path
) -> None:
    r = _cli(["journal", "init", pg_url], pg_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "created the tables warroom_journal" in r.stdout
    assert "warroom_reader" in r.stdout and "warroom_writer" in r.stdout
    r = _cli(["journal", "init", pg_url], pg_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "already there" in r.stdout
    db = pg_url.rsplit("/", 1)[1]
    # a writer may append, a reader may only read; nobody may rewrite a line
    pg_cluster.psql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='obs') THEN "
        "CREATE ROLE obs LOGIN; CREATE ROLE con LOGIN; END IF; END $$; "
        "GRANT warroom_reader TO obs; GRANT warroom_writer TO con",
        db,
    )
    base = pg_url.replace("postgres@", "{}@")
    writer = open_journal(base.format("con"))
    reader = open_journal(base.format("obs"))
    try:
        await writer.append(_people("a", 2))
        assert reader.end() == 2 and verify(reader).intact
        with pytest.raises(JournalError, match="permission denied"):
            await reader.append(_people("b", 1))
        with pytest.raises(subprocess.CalledProcessError):
            pg_cluster.psql("UPDATE warroom_journal SET line = 'x' WHERE seq = 1", db)
        assert reader.end() == 2
    finally:
        _close(writer)
        _close(reader)


async def test_a_roleless_user_is_shown_the_sql(pg_url: str, pg_cluster: Any, tmp_path: Path) -> None:
    db = pg_url.rsplit("/", 1)[1]
    pg_cluster.psql(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='owner1') THEN "
        f'CREATE ROLE owner1 LOGIN; END IF; END $$; ALTER DATABASE "{db}" OWNER TO owner1; '
        "GRANT CREATE ON SCHEMA public TO owner1",
        db,
    )
    r = _cli(["journal", "init", pg_url.replace("postgres@", "owner1@")], pg_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "created the tables" in r.stdout and "may not create roles" in r.stdout
    assert "CREATE ROLE warroom_reader" in r.stdout


def test_an_unreachable_server_is_unavailable_quickly_and_without_the_password() -> None:
    from data.engine.pg_journal import PgJournal

    j = PgJournal("postgresql://warroom:s3cret@127.0.0.1:1/journal", connect_timeout=1)
    started = time.monotonic()
    for probe in (j.end, j.exists, lambda: j.check(Position(3, 3, "x", "y", 2)), lambda: list(j.read(START))):
        with pytest.raises(JournalUnavailable) as err:
            probe()
        assert "s3cret" not in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(JournalUnavailable):
        asyncio.run(j.append(_people("a", 1)))
    assert time.monotonic() - started < 10
    assert j.location == "postgresql://warroom:***@127.0.0.1:1/journal"


async def test_changes_survives_a_server_restart_and_yields_once_back(pg_url: str, pg_cluster: Any) -> None:
    journal = open_journal(pg_url)
    writer = open_journal(pg_url)
    await writer.append(_people("a", 1))
    changes = journal.changes(poll=0.2)
    try:
        waiter = asyncio.ensure_future(changes.__anext__())
        await _listening(pg_cluster, pg_url.rsplit("/", 1)[1])
        pg_cluster.stop()
        try:
            started = time.monotonic()
            with pytest.raises(JournalUnavailable):
                journal.end()
            assert time.monotonic() - started < 10
        finally:
            pg_cluster.start()
        # the connection was lost: it yields (caller syncs); it backed off, it did not die
        await asyncio.wait_for(waiter, 30)
        # and it listens again: an append after the restart is seen
        while True:  # drain the yields of reconnecting
            waiter = asyncio.ensure_future(changes.__anext__())
            try:
                await asyncio.wait_for(asyncio.shield(waiter), 1.5)
            except TimeoutError:
                break
        await writer.append(_people("b", 1))
        await asyncio.wait_for(waiter, 30)
        assert journal.end() == 2
    finally:
        await changes.aclose()
        _close(journal)
        _close(writer)
