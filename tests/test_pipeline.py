"""The worker-process pipeline ends in exactly the state of the in-process path."""

from __future__ import annotations

from pathlib import Path

from data.engine.journal import FileJournal
from data.engine.store import Store
from data.sample import Generator, chain_lines, write_journal
from tests._journal_helpers import person


async def _digest(journal: Path, db: Path, pipeline_min: int) -> tuple[str, dict[str, int]]:
    store = await Store.open(db)
    store.pipeline_min_bytes = pipeline_min
    try:
        await store.sync(FileJournal(journal))
        return await store.digest(), (await store.status()).counters
    finally:
        await store.close()


async def test_pipeline_equals_in_process_rebuild(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    write_journal(str(journal), 6000, seed=3, per_incident=40)
    with open(journal, "ab") as f:  # bad lines and a duplicate too
        f.write(b"not json\n")
        f.write(journal.read_bytes().splitlines(keepends=True)[20])
    piped = await _digest(journal, tmp_path / "a.db", 0)
    plain = await _digest(journal, tmp_path / "b.db", 1 << 62)
    assert piped == plain
    assert piped[1]["quarantined"] == 1
    assert piped[1]["duplicates"] == 1
    assert piped[1]["applied"] == 6000


async def test_pipeline_catch_up_from_a_checkpoint(tmp_path: Path) -> None:
    """A catch-up that starts mid-journal (not authoritative) loads state from the store."""
    journal = tmp_path / "j.jsonl"
    gen = Generator(seed=5)
    lines = list(chain_lines(gen.events(5000, per_incident=30)))
    journal.write_bytes(b"".join(lines[:2000]))
    store = await Store.open(tmp_path / "a.db")
    store.pipeline_min_bytes = 1 << 62
    await store.sync(FileJournal(journal))
    with open(journal, "ab") as f:
        f.write(b"".join(lines[2000:]))
    store.pipeline_min_bytes = 0
    result = await store.sync(FileJournal(journal))
    assert result.lines == 3000
    digest = await store.digest()
    await store.close()
    assert digest == (await _digest(journal, tmp_path / "b.db", 1 << 62))[0]


async def test_worker_failure_is_reported_not_swallowed(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from data.engine import pipeline
    from data.engine.store import StoreError

    journal = tmp_path / "j.jsonl"
    write_journal(str(journal), 200)
    monkeypatch.setattr(pipeline.sys, "executable", "/bin/false")
    store = await Store.open(tmp_path / "a.db")
    store.pipeline_min_bytes = 0
    try:
        try:
            await store.sync(FileJournal(journal))
        except StoreError as exc:
            assert "ingest worker stopped" in str(exc)
        else:
            raise AssertionError("a dead worker must be reported")
        # and the store is still usable in-process afterwards, with nothing half-done
        store.pipeline_min_bytes = 1 << 62
        result = await store.sync(FileJournal(journal))
        assert result.ingested == 200
    finally:
        await store.close()


async def test_worker_forgets_old_ids_and_still_skips_duplicates(tmp_path: Path) -> None:
    """With a tiny memory window the worker asks the store for ids it forgot: a duplicate
    of an early line near the end is still skipped, never applied twice."""
    journal = tmp_path / "j.jsonl"
    write_journal(str(journal), 12000, seed=9, per_incident=50)  # several 1 MiB spans
    early = journal.read_bytes().splitlines(keepends=True)[30]
    with open(journal, "ab") as f:
        f.write(early)  # its prev no longer matches: a chain break too, but one event
    store = await Store.open(tmp_path / "a.db")
    store.pipeline_min_bytes = 0
    store.pipeline_forget_after = 0  # keep only the last two spans' ids in the worker
    try:
        result = await store.sync(FileJournal(journal))
        counters = (await store.status()).counters
        digest = await store.digest()
    finally:
        await store.close()
    assert result.duplicates == 1 and counters["duplicates"] == 1
    assert counters["applied"] == 12000
    assert digest == (await _digest(journal, tmp_path / "b.db", 1 << 62))[0]


async def test_pipeline_follows_the_batch_rule(tmp_path: Path) -> None:
    """The worker reads batches as the in-process path does (docs/journal.md, "Batches"):
    batches longer than a read are applied whole, one cut short is quarantined whole, and one
    not finished at the end waits, with the checkpoint before it."""
    journal = tmp_path / "j.jsonl"
    events = list(Generator(seed=3).events(9000, per_incident=40))
    writer = FileJournal(journal)
    await writer.append(events[:3000])  # about a megabyte: longer than one read
    await writer.append(events[3000:3001])
    before = journal.read_bytes()
    scratch = FileJournal(tmp_path / "scratch.jsonl")
    (tmp_path / "scratch.jsonl").write_bytes(before)
    await scratch.append([person(f"cut{i}", f"cut-{i}") for i in range(10)])  # needed by nothing later
    cut = (tmp_path / "scratch.jsonl").read_bytes()[len(before) :]
    with open(journal, "ab") as f:  # a writer killed after 6 lines of 10
        f.write(b"".join(cut.splitlines(keepends=True)[:6]))
    await writer.append(events[3001:6001])
    complete = journal.stat().st_size
    (tmp_path / "scratch.jsonl").write_bytes(journal.read_bytes())
    await scratch.append(events[6001:9000])
    rest = (tmp_path / "scratch.jsonl").read_bytes()[complete:]
    with open(journal, "ab") as f:  # a batch still being written: 2000 of its 2999 lines
        f.write(b"".join(rest.splitlines(keepends=True)[:2000]))

    piped = await _digest(journal, tmp_path / "a.db", 0)
    plain = await _digest(journal, tmp_path / "b.db", 1 << 62)
    assert piped == plain
    assert (piped[1]["applied"], piped[1]["quarantined"], piped[1]["chain_breaks"]) == (6001, 6, 0)
    for db in ("a.db", "b.db"):
        store = await Store.open(tmp_path / db)
        try:
            st = await store.status()
            assert (st.offset, st.line) == (complete, 6007)
            assert [q.line for q in await store.quarantine()] == list(range(3002, 3008))
        finally:
            await store.close()


async def test_a_rebuild_spawns_its_worker_before_clearing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The worker of a long rebuild imports while the store clears its projection (it is
    spawned first, told where to read after), and the rebuild ends as the in-process one."""
    from data.engine import ingest, pipeline

    journal = tmp_path / "j.jsonl"
    write_journal(str(journal), 3000, seed=4, per_incident=30)
    order: list[str] = []
    spawn, clear = pipeline.spawn, ingest.Ingestion._clear

    def spawned() -> pipeline.Worker:
        order.append("spawn")
        return spawn()

    def cleared(self: ingest.Ingestion, conn: object, why: str) -> None:
        order.append("clear")
        clear(self, conn, why)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "spawn", spawned)
    monkeypatch.setattr(ingest.Ingestion, "_clear", cleared)
    store = await Store.open(tmp_path / "a.db")
    store.pipeline_min_bytes = 0
    try:
        await store.sync(FileJournal(journal))
        order.clear()
        result = await store.rebuild(FileJournal(journal))
        digest = await store.digest()
    finally:
        await store.close()
    assert order == ["spawn", "clear"]
    assert result.ingested == 3000
    assert digest == (await _digest(journal, tmp_path / "b.db", 1 << 62))[0]


def test_the_worker_may_run_a_frame_ahead() -> None:
    """The worker's pipe is widened (Linux), so that it need not wait on every write for
    the store to finish a commit; and a worker told nothing exits by itself."""
    import fcntl

    from data.engine import pipeline

    worker = pipeline.spawn()
    try:
        assert worker.proc.stdout is not None and worker.proc.stdin is not None
        size = fcntl.fcntl(worker.proc.stdout.fileno(), fcntl.F_GETPIPE_SZ)
        worker.proc.stdin.close()  # no work: it must end on its own
        assert worker.proc.wait(timeout=60) == 0
    finally:
        worker.stop()
    assert size >= min(pipeline.PIPE_BYTES, int(Path("/proc/sys/fs/pipe-max-size").read_text()))
