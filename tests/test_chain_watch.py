"""A running console notices an old line changed in place (the same size, the same file):
a background chain check re-reads the lines its store has read (data.engine.chain.EditWatch),
in a thread of its own at low priority, and the console then says so, rebuilds, and shows
the chain break as every break is shown.

The store's own check hashes only the last line read, so before this nothing but
``warroom verify`` saw such an edit.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from app.console import WarRoom
from data.engine.chain import EditWatch, Pacer, lower_priority
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.incidents import queries as incident_queries
from tests._console_helpers import SIZE, opened, scoped, seed, settings_for, wait_for
from tests._journal_helpers import chain, chunk_size, joined, person, sha, write_bytes


def edit_in_place(path: Path, line: int, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` (the same length) in line ``line`` (1-based), writing
    into the file where it is: same size, same inode."""
    assert len(old) == len(new)
    data = path.read_bytes()
    start = 0
    for _ in range(line - 1):
        start = data.index(b"\n", start) + 1
    at = data.index(old, start)
    assert at < data.index(b"\n", start), f"{old!r} is not in line {line}"
    inode, size = path.stat().st_ino, path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(new)
    assert (path.stat().st_ino, path.stat().st_size) == (inode, size)


def people_lines(n: int) -> list[bytes]:
    return chain(person(f"p{i}", f"id-{i}") for i in range(1, n + 1))


async def _store_view(path: Path, db: Path) -> tuple[int, set[int], tuple[str, float | None]]:
    """Sync a store with the journal: (lines read, chain breaks recorded, basis)."""
    store = await Store.open(db)
    try:
        await store.sync(FileJournal(path))
        status = await store.status()
        breaks = {r.line for r in await store.chain_breaks()}
    finally:
        await store.close()
    return status.line, breaks, (FileJournal(path).identity(), status.rebuilt_at)


async def test_an_edit_that_breaks_the_chain_is_found(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    write_bytes(path, joined(people_lines(40)))
    lines, breaks, basis = await _store_view(path, tmp_path / "s.db")
    watch = EditWatch()
    assert watch.scan(FileJournal(path), lines, breaks, basis) is None  # nothing changed
    edit_in_place(path, 12, b"Person p12", b"Person q12")
    why = watch.scan(FileJournal(path), lines, breaks, basis)
    assert why is not None and "line 13's prev" in why and "line 12 or 13" in why, why
    # lines appended after what the store read change nothing
    with open(path, "ab") as f:
        f.write(joined(chain([person("late", "id-late")], sha(path.read_bytes().splitlines()[-1]))))
    assert "line 13" in (watch.scan(FileJournal(path), lines, breaks, basis) or "")


async def test_an_edit_the_chain_cannot_show_is_found_by_the_next_scan(tmp_path: Path) -> None:
    """Line 21 is not JSON, so its prev is not checked and line 22 carries its hash: an
    edit of line 20 breaks nothing. The digests kept from one scan to the next find it."""
    path = tmp_path / "journal.jsonl"
    head = people_lines(20)
    garbage = b"not json at all"
    tail = chain((person(f"t{i}", f"id-t{i}") for i in range(1, 41)), sha(garbage))
    write_bytes(path, joined([*head, garbage, *tail]))
    lines, breaks, basis = await _store_view(path, tmp_path / "s.db")
    watch = EditWatch()
    with chunk_size(1024):  # several spans: the finding is narrowed to one of them
        assert watch.scan(FileJournal(path), lines, breaks, basis) is None
        edit_in_place(path, 20, b"Person p20", b"Person P20")
        why = watch.scan(FileJournal(path), lines, breaks, basis)
    assert why is not None and "changed since the last check" in why, why
    first, last = (int(n) for n in why.split("between ")[1].split(" changed")[0].split(" and "))
    assert first <= 20 <= last and last - first < 20, why


async def test_a_new_basis_starts_afresh_and_a_stopped_scan_says_nothing(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    write_bytes(path, joined(people_lines(30)))
    lines, breaks, basis = await _store_view(path, tmp_path / "s.db")
    watch = EditWatch()
    assert watch.scan(FileJournal(path), lines, breaks, basis) is None
    stop = threading.Event()
    stop.set()
    edit_in_place(path, 30, b"Person p30", b"Person P30")  # the last line: no later prev to break
    with chunk_size(512):  # several spans: the pacer is asked between them
        assert watch.scan(FileJournal(path), lines, breaks, basis, Pacer(stop=stop)) is None
    assert watch.scan(FileJournal(path), lines, breaks, ("other", basis[1])) is None  # a rebuilt store
    assert Pacer(stop=stop)() is False


async def test_a_journal_not_written_to_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle console's check costs a stat; a write (its change time moves) is read."""
    from data.engine import chain as chain_module

    path = tmp_path / "journal.jsonl"
    write_bytes(path, joined(people_lines(20)))
    lines, breaks, basis = await _store_view(path, tmp_path / "s.db")
    later = chain_module.time.time_ns() + 10 * chain_module.SETTLED_NS  # the file's times have settled
    monkeypatch.setattr(chain_module.time, "time_ns", lambda: later)
    watch = EditWatch()
    journal = FileJournal(path)
    assert watch.scan(journal, lines, breaks, basis) is None
    reads: list[int] = []
    read = journal.read
    monkeypatch.setattr(journal, "read", lambda pos: reads.append(1) or read(pos))
    assert watch.scan(journal, lines, breaks, basis) is None and reads == []
    edit_in_place(path, 5, b"Person p5", b"Person P5")
    assert "line 6's prev" in (watch.scan(journal, lines, breaks, basis) or "") and reads == [1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_the_check_thread_runs_at_the_lowest_priority() -> None:
    seen: dict[str, int] = {}

    def run() -> None:
        lower_priority()
        seen["thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    main = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen["thread"] == 19
    assert (
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main
    )  # the console's own is untouched


async def test_a_running_console_notices_an_old_line_edited_in_place(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1", title="EDR welfare concern"),
        scoped("incident.note", "INC-1", text="first note"),
        scoped("incident.note", "INC-1", text="second note"),
    ])  # fmt: skip
    app = WarRoom(settings)
    app.chain_check_every = 0.05  # the background loop, as it runs every few minutes
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_state.synced_at is not None and app.sync_state.line == 3)
        assert app.sync_state.chain_breaks == 0
        edit_in_place(settings.journal, 2, b"first note", b"FIRST NOTE")
        await wait_for(pilot, lambda: app.sync_state.chain_breaks == 1, timeout=30, what="the chain break")
        assert app.sync_state.first_break == 3
        notes = [n.message for n in app.told]
        assert any("changed in place" in m and "line 3" in m for m in notes), notes
        status = await app.store.status()
        assert status.rebuild_reason is not None and "changed in place" in status.rebuild_reason
        # the projection is the journal as it now is
        texts = [e.data.get("text") for e in await incident_queries.timeline(app.store, "INC-1")]
        assert texts == [None, "FIRST NOTE", "second note"], texts
        # told once: the next passes find the store in step with the journal
        assert await app.check_chain() is None
