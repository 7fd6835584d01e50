"""Several processes at once: writers appending to one journal, a sync killed with SIGKILL
and restarted, stores sharing one SQLite file.

Real processes (``multiprocessing`` with the ``spawn`` context, and the ``warroom``
command), real files; waits are on observable state (files, the store's checkpoint), never
on the clock.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from data.engine.chain import verify
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.sample import write_journal
from tests._journal_helpers import (
    WARROOM,
    clean_digest,
    cli_env,
    read_checkpoint,
    run_cli,
    sha,
    writer_events,
    writer_process,
)

WRITERS = 4
PER_WRITER = 50
BIG = 60_000  # events in the journal the kill test ingests

#: a guard against a hung process, not a timing assertion
PATIENCE = 300.0


# --- concurrent writers -----------------------------------------------------------------


def _check_written_journal(path: Path, expected: dict[int, list[list[dict[str, Any]]]]) -> list[bytes]:
    """Every line complete and valid JSON, every event exactly once, each writer's events
    in its order, each batch on consecutive lines, the chain intact."""
    data = path.read_bytes()
    assert data.endswith(b"\n"), "the journal must end with a complete line"
    lines = data.split(b"\n")[:-1]
    total = sum(len(b) for batches in expected.values() for b in batches)
    assert len(lines) == total, f"{len(lines)} lines for {total} events"
    prev = None
    where: dict[str, int] = {}
    for n, line in enumerate(lines):
        obj = orjson.loads(line)  # raises on an interleaved / torn line
        assert isinstance(obj, dict)
        assert obj["prev"] == prev, f"line {n + 1}: prev does not chain"
        prev = sha(line)
        assert obj["id"] not in where, f"event {obj['id']} written twice"
        where[obj["id"]] = n
        original = next(
            e for batches in expected.values() for b in batches for e in b if e["id"] == obj["id"]
        )
        assert {k: v for k, v in obj.items() if k not in ("prev", "batch")} == original
    for w, batches in expected.items():
        positions = [where[e["id"]] for b in batches for e in b]
        assert positions == sorted(positions), f"writer {w}'s events are out of order"
        for b in batches:
            at = [where[e["id"]] for e in b]
            assert at == list(range(at[0], at[0] + len(b))), f"a batch of writer {w} was split: lines {at}"
            # line k of a batch of n (n > 1) says so, just before its prev (docs/journal.md)
            marks = [orjson.loads(lines[n]).get("batch") for n in at]
            assert marks == ([[k, len(b)] for k in range(1, len(b) + 1)] if len(b) > 1 else [None])
    return lines


def _await_processes(procs: list[Any]) -> None:
    deadline = time.monotonic() + PATIENCE
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            pytest.fail("a writer process hung")
        assert p.exitcode == 0, f"a writer process failed (exit code {p.exitcode})"


async def test_writer_processes_append_concurrently_without_loss_or_interleaving(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WRITERS)  # all start together
    procs = [
        ctx.Process(target=writer_process, args=(str(path), w, PER_WRITER, barrier)) for w in range(WRITERS)
    ]
    for p in procs:
        p.start()
    await asyncio.to_thread(_await_processes, procs)

    expected = {w: writer_events(w, PER_WRITER) for w in range(WRITERS)}
    lines = _check_written_journal(path, expected)

    report = verify(FileJournal(path))
    assert report.intact, report.breaks
    assert (report.lines, report.fragment) == (WRITERS * PER_WRITER, 0)

    store = await Store.open(tmp_path / "store.db")
    try:
        r = await store.sync(FileJournal(path))
        assert (r.lines, r.ingested, r.quarantined, r.duplicates, r.chain_breaks) == (
            len(lines),
            len(lines),
            0,
            0,
            0,
        )
        incidents = await store.incidents()
        assert sorted(i.id for i in incidents) == [f"W{w}-INC" for w in range(WRITERS)]
        assert all(i.events == PER_WRITER for i in incidents)
    finally:
        await store.close()


def _cli_batch(writer: int, round_: int, size: int) -> str:
    incident = f"C{writer}-INC"
    out = []
    for i in range(size):
        if round_ == 0 and i == 0:
            out.append(
                {
                    "type": "incident.opened",
                    "incident": incident,
                    "id": f"c{writer}-{round_}-{i}",
                    "data": {
                        "title": f"CLI writer {writer}",
                        "category": "media",
                        "severity": 2,
                        "source": "media",
                        "regions": ["AU"],
                    },
                }
            )
        else:
            out.append(
                {
                    "type": "incident.note",
                    "incident": incident,
                    "id": f"c{writer}-{round_}-{i}",
                    "data": {"text": f"cli writer {writer} round {round_} note {i}"},
                }
            )
    return "".join(json.dumps(e) + "\n" for e in out)


async def test_cli_appends_from_several_processes_share_one_journal_and_store(tmp_path: Path) -> None:
    """`warroom append` run by 3 processes at once, 2 rounds of 5-event batches each, all
    sharing one journal and one store file."""
    path = tmp_path / "journal.jsonl"
    db = tmp_path / "store.db"
    writers, rounds, size = 3, 2, 5

    def run_writer(w: int) -> list[list[str]]:
        batches = []
        for r in range(rounds):
            done = run_cli(["append"], path, db, input=_cli_batch(w, r, size))
            assert done.returncode == 0, done.stderr
            batches.append(done.stdout.split())
        return batches

    results = await asyncio.gather(*(asyncio.to_thread(run_writer, w) for w in range(writers)))
    for w, batches in enumerate(results):
        # each batch's own events, then (the opening's batch) the incident's procedure
        assert [b[:size] for b in batches] == [[f"c{w}-{r}-{i}" for i in range(size)] for r in range(rounds)]
        assert len(batches[0]) > size and len(batches[1]) == size

    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    objs = [orjson.loads(line) for line in lines[:-1]]
    assert len(objs) == sum(len(b) for batches in results for b in batches)
    ids = [o["id"] for o in objs]
    assert len(set(ids)) == len(ids)
    for batches in results:  # each batch, procedure included, is on consecutive lines
        for batch in batches:
            at = ids.index(batch[0])
            assert ids[at : at + len(batch)] == batch
    assert verify(FileJournal(path)).intact
    done = run_cli(["verify"], path, db)
    assert done.returncode == 0 and done.stdout.startswith("intact"), done.stdout + done.stderr

    status = json.loads(run_cli(["status", "--json"], path, db).stdout)
    assert status["counters"]["applied"] == len(objs)
    assert status["counters"]["quarantined"] == 0
    assert status["digest"] == (await clean_digest(path))[0]


# --- a sync killed mid-way --------------------------------------------------------------


@pytest.fixture(scope="module")
def big_journal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, dict[str, int]]:
    """A 60k-event sample journal, its size, and the digest and counters of one clean sync."""
    path = tmp_path_factory.mktemp("big") / "journal.jsonl"
    size = write_journal(str(path), BIG)
    digest, counters = asyncio.run(clean_digest(path))
    assert counters["applied"] == BIG
    return path, size, digest, counters


async def _wait_checkpoint(db: Path, proc: subprocess.Popen[Any], beyond: int) -> dict[str, Any]:
    """Poll the store (read-only) until its checkpoint is past ``beyond`` bytes."""
    deadline = time.monotonic() + PATIENCE
    while True:
        cp = read_checkpoint(db)
        if cp is not None and cp["offset"] > beyond:
            return cp
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the sync ended before it could be killed: {proc.returncode} {out!r} {err!r}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the sync made no progress")
        await asyncio.sleep(0.002)


def _start_sync(path: Path, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [WARROOM, "sync", "--json"],
        env=cli_env(path, db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=PATIENCE)
    assert proc.returncode == -signal.SIGKILL


async def test_sync_killed_mid_way_resumes_to_the_clean_state(tmp_path: Path, big_journal: Any) -> None:
    path, size, clean, clean_counters = big_journal
    db = tmp_path / "store.db"

    # first run: killed as soon as the first batch is committed
    proc = _start_sync(path, db)
    try:
        await _wait_checkpoint(db, proc, 0)
    finally:
        _kill(proc)
    store = await Store.open(db)
    try:
        first = await store.status()
    finally:
        await store.close()
    assert 0 < first.offset < size, "the kill must land before the sync finished"
    assert first.counters["lines"] == first.line  # the totals and the checkpoint agree

    # second run: resumes, and is killed again a few batches further on
    proc = _start_sync(path, db)
    try:
        await _wait_checkpoint(db, proc, first.offset + 3 * (1 << 20))
    finally:
        _kill(proc)
    store = await Store.open(db)
    try:
        second = await store.status()
        assert first.offset < second.offset < size
        assert second.counters["lines"] == second.line

        # third run, in this process: completes without rebuilding
        r = await store.sync(FileJournal(path))
        assert r.rebuilt is None
        assert r.lines == BIG - second.line
        assert (r.offset, r.line) == (size, BIG)
        final = await store.status()
        assert final.counters == clean_counters
        assert (final.counters["lines"], final.counters["applied"], final.counters["duplicates"]) == (
            BIG,
            BIG,
            0,
        )
        assert await store.digest() == clean
    finally:
        await store.close()

    # and the command line reports the same state
    status = json.loads(run_cli(["status", "--json"], path, db).stdout)
    assert status["digest"] == clean
    assert (status["offset"], status["line"]) == (size, BIG)


# --- stores sharing one file ------------------------------------------------------------


async def test_cli_and_two_in_process_stores_sharing_one_store_file(tmp_path: Path, big_journal: Any) -> None:
    path, _, clean, clean_counters = big_journal
    db = tmp_path / "shared.db"
    proc = _start_sync(path, db)
    try:
        await _wait_checkpoint(db, proc, 0)  # the command line is under way
        a = await Store.open(db)
        b = await Store.open(db)
        a.pipeline_min_bytes = 0  # a catches up through the worker process, b in-process
        try:
            ra, rb = await asyncio.gather(a.sync(FileJournal(path)), b.sync(FileJournal(path)))
            out, err = await asyncio.to_thread(proc.communicate, None, PATIENCE)
            assert proc.returncode == 0, err
            rc = json.loads(out)
            # every line was ingested by exactly one of the three
            assert ra.lines + rb.lines + rc["lines"] == BIG
            assert ra.rebuilt is None and rb.rebuilt is None and rc["rebuilt"] is None
            assert (await a.sync(FileJournal(path))).lines == 0
            assert await a.digest() == clean
            assert (await b.status()).counters == clean_counters
        finally:
            await a.close()
            await b.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


async def test_stores_syncing_while_writer_processes_append(tmp_path: Path) -> None:
    """Two stores on one file and a third on its own file keep syncing while 4 writer
    processes append; all end in the state of a clean rebuild."""
    path = tmp_path / "journal.jsonl"
    shared = tmp_path / "shared.db"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WRITERS + 1)  # the writers and this test start together
    procs = [
        ctx.Process(target=writer_process, args=(str(path), w, PER_WRITER, barrier)) for w in range(WRITERS)
    ]
    for p in procs:
        p.start()
    a = await Store.open(shared)
    b = await Store.open(shared)
    c = await Store.open(tmp_path / "own.db")
    a.pipeline_min_bytes = 0  # a through the ingest worker process, b and c in-process
    journal = FileJournal(path)
    done = asyncio.Event()
    totals = {"a": 0, "b": 0, "c": 0}

    async def keep_syncing(name: str, store: Store, max_lines: int | None) -> None:
        while not done.is_set():
            r = await store.sync(journal, max_lines=max_lines)
            assert r.rebuilt is None
            totals[name] += r.lines
            await asyncio.sleep(0)

    try:
        await asyncio.to_thread(barrier.wait, PATIENCE)
        syncers = [
            asyncio.create_task(keep_syncing("a", a, None)),
            asyncio.create_task(keep_syncing("b", b, 3)),
            asyncio.create_task(keep_syncing("c", c, 7)),
        ]
        await asyncio.to_thread(_await_processes, procs)
        done.set()
        await asyncio.gather(*syncers)
        for name, s in (("a", a), ("b", b), ("c", c)):
            while (r := await s.sync(journal)).lines:
                totals[name] += r.lines
        total = WRITERS * PER_WRITER
        assert totals["a"] + totals["b"] == total, (
            "the two stores sharing a file ingested a line twice or missed one"
        )
        assert totals["c"] == total
        clean, counters = await clean_digest(path)
        assert counters["applied"] == total and counters["chain_breaks"] == 0
        assert await a.digest() == clean
        assert await b.digest() == clean
        assert await c.digest() == clean
    finally:
        for s in (a, b, c):
            await s.close()
        for p in procs:
            if p.is_alive():
                p.kill()


async def test_ingestion_runs_off_the_event_loop_and_reports_progress_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading, hashing, validating and projecting run in a thread: the caller's event loop
    (a console's UI) stays free during a catch-up; progress is told on the loop."""
    import threading

    from data.engine.projector import Projector

    journal = tmp_path / "journal.jsonl"
    write_journal(str(journal), 3000, per_incident=50)
    projected_on: set[int] = set()
    project = Projector.project

    def spy(self: Projector, span: Any) -> Any:
        projected_on.add(threading.get_ident())
        return project(self, span)

    monkeypatch.setattr(Projector, "project", spy)
    told_on: set[int] = set()
    async with await Store.open(tmp_path / "store.db") as store:
        result = await store.sync(
            FileJournal(journal), progress=lambda *_: told_on.add(threading.get_ident())
        )
        assert result.lines == 3000
        assert (await store.digest(), (await store.status()).counters) == await clean_digest(journal)
    loop_thread = threading.get_ident()
    assert projected_on and loop_thread not in projected_on
    assert told_on == {loop_thread}
