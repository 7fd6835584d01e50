"""The journal as a file: torn lines, trailing fragments, truncation / replacement /
rewrite, oversize lines, streaming, file mode, the writer's size limit and its lock.

Everything runs on real files in ``tmp_path`` and real stores (journal.md: Writing,
Reading, Bad lines, the hash chain).
"""

from __future__ import annotations

import os
import stat
import subprocess
import tracemalloc
from pathlib import Path

import orjson
import pytest

from data.engine.chain import verify
from data.engine.journal import CHUNK, MAX_PARSED_OVERSIZE, START, FileJournal, JournalError, LockTimeout
from data.engine.store import Store
from data.roster import queries as roster_queries
from tests._journal_helpers import (
    LIMIT,
    PYTHON,
    append_bytes,
    chain,
    chunk_size,
    clean_digest,
    joined,
    padded_line,
    person,
    sample_lines,
    sha,
    write_bytes,
)


@pytest.fixture
async def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = await Store.open(tmp_path / "store.db")
    try:
        yield s
    finally:
        await s.close()


def _path(tmp_path: Path) -> Path:
    return tmp_path / "journal.jsonl"


# --- torn lines ------------------------------------------------------------------------


async def test_torn_line_is_ended_by_the_next_append_and_quarantined(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    lines = sample_lines(11)
    body = joined(lines[:10])
    fragment = lines[10][: len(lines[10]) // 2]  # a writer died mid-line
    write_bytes(path, body + fragment)
    journal = FileJournal(path)

    first = await db.sync(journal)
    assert (first.lines, first.offset) == (10, len(body))

    ids = await journal.append([person("torn-after", "after-torn-1")])
    assert ids == ["after-torn-1"]

    data = path.read_bytes()
    assert data.startswith(body + fragment + b"\n"), "the torn bytes must be ended with a newline first"
    new_lines = data[len(body + fragment) + 1 :].split(b"\n")
    assert new_lines[-1] == b"" and len(new_lines) == 2, "exactly one new line, newline-terminated"
    new = orjson.loads(new_lines[0])
    assert new["prev"] == sha(fragment), "prev must be the hash of the torn fragment's bytes"

    r = await db.sync(journal)
    assert (r.lines, r.ingested, r.quarantined, r.chain_breaks) == (2, 1, 1, 0)
    [q] = await db.quarantine()
    assert q.line == 11
    assert bytes(q.raw) == fragment
    assert q.size == len(fragment)
    assert q.offset == len(body)
    assert await db.chain_breaks() == []

    report = verify(journal)
    assert report.intact, report.breaks
    assert (report.lines, report.fragment) == (12, 0)
    assert await db.digest() == (await clean_digest(path))[0]


async def test_append_to_a_journal_that_is_only_a_fragment(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    fragment = b'{"v":1,"id":"dead-writer","ts":"2026-11-01T00:'
    write_bytes(path, fragment)
    journal = FileJournal(path)
    await journal.append([person("p1", "p1"), person("p2", "p2")])
    raws = path.read_bytes().split(b"\n")
    assert raws[0] == fragment and raws[-1] == b"" and len(raws) == 4
    assert orjson.loads(raws[1])["prev"] == sha(fragment)
    assert orjson.loads(raws[2])["prev"] == sha(raws[1])
    r = await db.sync(journal)
    assert (r.lines, r.ingested, r.quarantined, r.chain_breaks) == (3, 2, 1, 0)
    assert verify(journal).intact


async def test_reader_waits_for_the_newline_of_a_trailing_fragment(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    lines = sample_lines(12)
    body = joined(lines[:10])
    line = lines[10]
    write_bytes(path, body + line[:7])
    journal = FileJournal(path)

    r = await db.sync(journal)
    assert (r.lines, r.quarantined, r.offset, r.line) == (10, 0, len(body), 10)
    st = await db.status()
    assert st.counters["lines"] == 10 and st.counters["quarantined"] == 0
    assert (st.offset, st.line) == (len(body), 10)
    assert verify(journal).fragment == 7

    # the reader's spans never include the fragment
    spans = list(journal.read(START))
    assert sum(len(s) for s in spans) == 10
    assert spans[-1].end == len(body)

    append_bytes(path, line[7:-3])  # more of it, still no newline
    r = await db.sync(journal)
    assert (r.lines, r.quarantined) == (0, 0)
    assert await db.quarantine() == []
    assert (await db.status()).offset == len(body)

    append_bytes(path, line[-3:] + b"\n")  # now it is a line
    r = await db.sync(journal)
    assert (r.lines, r.ingested, r.quarantined, r.chain_breaks) == (1, 1, 0, 0)
    assert r.offset == len(body) + len(line) + 1

    # the next line arrives a byte at a time
    nxt = lines[11] + b"\n"
    for i in range(len(nxt)):
        append_bytes(path, nxt[i : i + 1])
        r = await db.sync(journal)
        assert r.lines == (1 if i == len(nxt) - 1 else 0)
    st = await db.status()
    assert st.counters["lines"] == 12 and st.counters["applied"] == 12
    assert await db.digest() == (await clean_digest(path))[0]


async def test_a_fragment_alone_is_not_a_line(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    write_bytes(path, b'{"v":1,"id":"x"')
    journal = FileJournal(path)
    r = await db.sync(journal)
    assert (r.lines, r.offset, r.line) == (0, 0, 0)
    assert list(journal.read(START)) == []
    report = verify(journal)
    assert (report.lines, report.fragment) == (0, len(b'{"v":1,"id":"x"'))


# --- truncation, replacement, rewrite in place -----------------------------------------


async def test_truncated_journal_makes_the_next_sync_rebuild(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    lines = sample_lines(200)
    write_bytes(path, joined(lines))
    journal = FileJournal(path)
    r = await db.sync(journal)
    assert r.lines == 200 and r.rebuilt is None

    keep = joined(lines[:120])
    os.truncate(path, len(keep))
    r = await db.sync(journal)
    assert r.rebuilt is not None and "shrank" in r.rebuilt, r.rebuilt
    assert r.lines == 120
    st = await db.status()
    assert st.rebuild_reason == r.rebuilt
    assert st.counters["lines"] == 120 and st.counters["applied"] == 120
    assert await db.digest() == (await clean_digest(path))[0]

    # a sync with nothing new does not rebuild again
    r = await db.sync(journal)
    assert r.rebuilt is None and r.lines == 0


async def test_truncated_mid_line_rebuilds_and_waits_for_the_fragment(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    lines = sample_lines(100)
    write_bytes(path, joined(lines))
    journal = FileJournal(path)
    await db.sync(journal)
    keep = joined(lines[:60])
    os.truncate(path, len(keep) + 25)
    r = await db.sync(journal)
    assert r.rebuilt and "shrank" in r.rebuilt
    assert (r.lines, r.offset, r.quarantined) == (60, len(keep), 0)
    assert await db.digest() == (await clean_digest(path))[0]


async def test_replaced_journal_makes_the_next_sync_rebuild(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    write_bytes(path, joined(sample_lines(100, seed=3)))
    journal = FileJournal(path)
    r = await db.sync(journal)
    assert r.lines == 100

    # a different, longer journal moved into place: size alone would not tell
    other = tmp_path / "other.jsonl"
    write_bytes(other, joined(sample_lines(150, seed=11)))
    os.replace(other, path)
    r = await db.sync(journal)
    assert r.rebuilt is not None and "replaced" in r.rebuilt, r.rebuilt
    assert r.lines == 150
    assert (await db.status()).counters["lines"] == 150
    assert await db.digest() == (await clean_digest(path))[0]


async def test_replaced_by_a_copy_of_the_same_bytes_still_rebuilds(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    data = joined(sample_lines(80))
    write_bytes(path, data)
    journal = FileJournal(path)
    await db.sync(journal)
    before = await db.digest()
    copy = tmp_path / "copy.jsonl"
    write_bytes(copy, data)
    os.replace(copy, path)
    r = await db.sync(journal)
    assert r.rebuilt and "replaced" in r.rebuilt
    assert r.lines == 80
    assert await db.digest() == before


def _edit_ts(line: bytes) -> bytes:
    """The same line with one digit of its ``ts`` changed (same size, still valid)."""
    k = line.index(b'"ts":"') + len(b'"ts":"2026-11-01T00:00:0')
    digit = line[k : k + 1]
    assert digit.isdigit()
    new = b"1" if digit != b"1" else b"2"
    return line[:k] + new + line[k + 1 :]


async def test_last_line_rewritten_in_place_makes_the_next_sync_rebuild(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    lines = sample_lines(50)
    write_bytes(path, joined(lines))
    journal = FileJournal(path)
    await db.sync(journal)
    ino = path.stat().st_ino

    edited = _edit_ts(lines[-1])
    assert len(edited) == len(lines[-1]) and edited != lines[-1]
    with open(path, "r+b") as f:
        f.seek(len(joined(lines[:-1])))
        f.write(edited)
    assert path.stat().st_ino == ino and path.stat().st_size == len(joined(lines))

    r = await db.sync(journal)
    assert r.rebuilt is not None and "rewritten" in r.rebuilt, r.rebuilt
    assert r.lines == 50
    assert await db.digest() == (await clean_digest(path))[0]
    # the state holds the new bytes
    new_ts = orjson.loads(edited)["ts"]
    eid = orjson.loads(edited)["id"]
    [row] = [e for e in await _all_events(db) if e["id"] == eid]
    assert row["ts"] == new_ts and bytes(row["raw"]) == edited


async def test_rewritten_last_line_and_grown_file_still_rebuilds(tmp_path: Path, db: Store) -> None:
    path = _path(tmp_path)
    lines = sample_lines(60)
    write_bytes(path, joined(lines[:40]))
    journal = FileJournal(path)
    await db.sync(journal)
    # line 40 is rewritten (same size) and lines 41..60 appended, in place
    rewritten = [*lines[:39], _edit_ts(lines[39]), *lines[40:]]
    with open(path, "r+b") as f:
        f.write(joined(rewritten))
    r = await db.sync(journal)
    assert r.rebuilt is not None and "rewritten" in r.rebuilt, r.rebuilt
    assert r.lines == 60
    assert await db.digest() == (await clean_digest(path))[0]


async def _all_events(db: Store) -> list[dict]:
    from sqlalchemy import select

    from data.engine import schema as S

    return await db._all(select(S.events))


# --- oversize lines --------------------------------------------------------------------


def _journal_with(
    tmp_path: Path,
    big: bytes | None,
    *,
    size: int | None = None,
    json_line: bool = True,
    next_prev_of: str = "full",
) -> tuple[Path, list[bytes]]:
    """20 sample lines, an oversize line at line 11 (a valid event padded to ``size``, or
    ``big`` as given), then 9 more; the line after the big one carries the hash of the
    ``full`` big line or of its ``head`` (the first LIMIT bytes)."""
    before = sample_lines(10, seed=5)
    prev = sha(before[-1])
    if big is None:
        assert size is not None
        big = padded_line(person("big", "big-line-1"), prev, size) if json_line else b"#" * size
    after_events = [person(f"after{i}", f"after-{i}") for i in range(9)]
    link = sha(big) if next_prev_of == "full" else sha(big[:LIMIT])
    after = chain(after_events, prev=link)
    lines = [*before, big, *after]
    path = _path(tmp_path)
    write_bytes(path, joined(lines))
    return path, lines


@pytest.mark.parametrize(
    "size",
    [LIMIT + 1, 300_000, MAX_PARSED_OVERSIZE, MAX_PARSED_OVERSIZE + 1, 5 << 20],
    ids=["limit+1", "300k", "4MiB", "4MiB+1", "5MiB"],
)
@pytest.mark.parametrize("json_line", [True, False], ids=["valid-event", "garbage"])
async def test_oversize_line_is_quarantined_with_its_size(
    tmp_path: Path, db: Store, size: int, json_line: bool
) -> None:
    path, lines = _journal_with(tmp_path, None, size=size, json_line=json_line)
    big = lines[10]
    journal = FileJournal(path)
    r = await db.sync(journal)
    assert r.lines == 20
    qs = await db.quarantine()
    assert [q.line for q in qs] == [11], (
        f"a {size}-byte line must be quarantined (spec: at most {LIMIT} bytes)"
    )
    q = qs[0]
    assert q.size == size
    assert len(q.raw) == LIMIT and bytes(q.raw) == big[:LIMIT]
    if json_line:  # nothing but its size is wrong with it: the reason must say so
        assert str(size) in q.reason and str(LIMIT) in q.reason, q.reason
    assert q.offset == len(joined(lines[:10]))
    # the next line's prev is checked against the full line's hash: no break
    assert await db.chain_breaks() == []
    assert (r.ingested, r.quarantined, r.chain_breaks) == (19, 1, 0)
    report = verify(journal)
    assert report.intact, report.breaks
    assert report.oversize == 1 and report.lines == 20
    assert await db.digest() == (await clean_digest(path))[0]


@pytest.mark.parametrize("size", [300_000, 5 << 20], ids=["300k", "5MiB"])
async def test_prev_after_an_oversize_line_is_the_full_lines_hash(
    tmp_path: Path, db: Store, size: int
) -> None:
    """A next line carrying the hash of only the kept head of the big line is a break."""
    path, _ = _journal_with(tmp_path, None, size=size, json_line=False, next_prev_of="head")
    journal = FileJournal(path)
    await db.sync(journal)
    breaks = await db.chain_breaks()
    assert [b.line for b in breaks] == [12]
    report = verify(journal)
    assert [line for line, _ in report.breaks] == [12]


async def test_line_of_exactly_the_limit_is_applied(tmp_path: Path, db: Store) -> None:
    path, _ = _journal_with(tmp_path, None, size=LIMIT, json_line=True)
    r = await db.sync(FileJournal(path))
    assert (r.lines, r.ingested, r.quarantined, r.chain_breaks) == (20, 20, 0, 0)
    assert verify(FileJournal(path)).oversize == 0


async def test_oversize_lines_spanning_chunks_keep_line_numbers_and_offsets(
    tmp_path: Path, db: Store
) -> None:
    """Several big lines (one over 4 MiB crossing chunk boundaries), bad lines after them
    keep their exact line numbers and offsets."""
    base = sample_lines(5, seed=9)
    big1 = b"A" * (CHUNK + 1234)
    big2 = b"B" * ((4 << 20) + CHUNK // 2)
    lines = [*base, big1, b"not json", big2, b"", *chain([person("tail", "tail-1")], prev=sha(b""))]
    path = _path(tmp_path)
    write_bytes(path, joined(lines))
    r = await db.sync(FileJournal(path))
    assert r.lines == len(lines)
    qs = await db.quarantine()
    assert [q.line for q in qs] == [6, 7, 8, 9]
    offsets = [len(joined(lines[: n - 1])) for n in (6, 7, 8, 9)]
    assert [q.offset for q in qs] == offsets
    assert [q.size for q in qs] == [len(big1), 8, len(big2), 0]
    assert [bytes(q.raw) for q in qs] == [big1[:LIMIT], b"not json", big2[:LIMIT], b""]
    # lines that are not JSON objects have no prev to check; line 10 carries the empty line's hash
    assert await db.chain_breaks() == []
    assert r.ingested == 6


@pytest.mark.parametrize("prefix", [0, 1, (1 << 16) - 1, 1 << 16], ids=lambda p: f"prefix{p}")
def test_reader_long_lines_at_chunk_boundaries(tmp_path: Path, prefix: int) -> None:
    """Lines around the kept size (4 MiB) read 64 KiB at a time, shifted by a first line of
    ``prefix`` bytes so that line ends fall at different places in a read: a line up to
    the kept size comes whole, a longer one as its head with the full hash and size in
    ``Span.long``; positions and line numbers stay exact."""
    keep = MAX_PARSED_OVERSIZE
    read = 1 << 16
    sizes = [prefix, keep - 1, keep, keep + 1, 7, keep + read - 1, keep + read, 0, keep + 2 * read + 1, 3]
    lines = [bytes([65 + i % 26]) * size for i, size in enumerate(sizes)]
    path = _path(tmp_path)
    write_bytes(path, joined(lines) + b"tail-without-newline")
    with chunk_size(read):
        got: list[bytes] = []
        longs: dict[int, tuple[str, int]] = {}
        for span in FileJournal(path).read(START):
            assert span.line == len(got) + 1
            assert span.start == len(joined(lines[: len(got)]))
            for i, (digest, size) in span.long.items():
                longs[len(got) + i] = (digest, size)
            got.extend(span.raws)
            n = len(got)
            assert span.end == len(joined(lines[:n]))
            assert span.last_start == span.end - 1 - len(lines[n - 1])
    assert len(got) == len(lines)
    for i, line in enumerate(lines):
        if len(line) > keep:
            assert got[i] == line[:keep], f"line {i + 1}"
            assert longs[i] == (sha(line), len(line)), f"line {i + 1}"
        else:
            assert got[i] == line, f"line {i + 1}"
            assert i not in longs, f"line {i + 1}"


async def test_rewrite_of_a_long_last_line_beyond_its_kept_head_is_detected(
    tmp_path: Path, db: Store
) -> None:
    path = _path(tmp_path)
    big = b"Z" * (5 << 20)
    lines = [*sample_lines(5), big]
    write_bytes(path, joined(lines))
    journal = FileJournal(path)
    r = await db.sync(journal)
    assert (r.lines, r.quarantined) == (6, 1)
    with open(path, "r+b") as f:  # change one byte far past the kept head
        f.seek(len(joined(lines[:5])) + (5 << 20) - 10)
        f.write(b"Y")
    r = await db.sync(journal)
    assert r.rebuilt is not None and "rewritten" in r.rebuilt, r.rebuilt
    assert await db.digest() == (await clean_digest(path))[0]


@pytest.mark.parametrize("last", ["long-line", "long-fragment"])
async def test_append_after_a_long_last_line_chains_to_its_full_hash(
    tmp_path: Path, db: Store, last: str
) -> None:
    """The writer finds the last line by reading backwards: a last line (or torn
    fragment) much longer than its read-back step still gives the full line's hash."""
    path = _path(tmp_path)
    big = bytes(range(32, 127)) * 20_000  # ~1.9 MB, no newline
    body = joined(sample_lines(5))
    write_bytes(path, body + big + (b"\n" if last == "long-line" else b""))
    journal = FileJournal(path)
    await journal.append([person("after-big", "after-big-1")])
    data = path.read_bytes()
    assert data.startswith(body + big + b"\n")
    new = data[len(body + big) + 1 :]
    assert new.count(b"\n") == 1 and new.endswith(b"\n")
    assert orjson.loads(new)["prev"] == sha(big)
    r = await db.sync(journal)
    assert (r.lines, r.ingested, r.quarantined, r.chain_breaks) == (7, 6, 1, 0)
    assert verify(journal).intact


# --- streaming ---------------------------------------------------------------------------


def _big_journal(path: Path) -> tuple[int, int]:
    """~6 MiB of sample lines, a 24 MiB line, ~6 MiB more; returns (file size, longest
    ordinary line)."""
    first = sample_lines(20_000, seed=21)
    longest = max(len(x) for x in first)
    huge = b"H" * (24 << 20)
    tail = chain([person(f"t{i}", f"t-{i}") for i in range(20_000)], prev=sha(huge))
    longest = max(longest, *(len(x) for x in tail))
    with open(path, "wb") as f:
        f.write(joined(first))
        f.write(huge + b"\n")
        f.write(joined(tail))
    return path.stat().st_size, longest


def test_reader_streams_spans_of_about_one_chunk(tmp_path: Path) -> None:
    path = _path(tmp_path)
    size, longest = _big_journal(path)
    journal = FileJournal(path)
    total_lines = 0
    last_end = 0
    for span in journal.read(START):
        kept = sum(len(r) for r in span.raws)
        if any(len(r) > longest for r in span.raws):  # the span of the 24 MiB line
            assert kept <= CHUNK + MAX_PARSED_OVERSIZE
            [(digest, full)] = [v for v in span.long.values()]
            assert full == 24 << 20 and digest == sha(b"H" * (24 << 20))
        else:
            assert kept <= CHUNK + longest, f"a span of {kept} bytes for {CHUNK}-byte reads"
        assert span.start == last_end
        last_end = span.end
        total_lines += len(span)
    assert last_end == size
    assert total_lines == 40_001


def test_reader_memory_stays_bounded(tmp_path: Path) -> None:
    """Reading a ~36 MiB journal (one line of 24 MiB) never holds more than a few chunks
    and the kept head of a long line."""
    path = _path(tmp_path)
    size, _ = _big_journal(path)
    journal = FileJournal(path)
    tracemalloc.start()
    try:
        lines = 0
        for span in journal.read(START):
            lines += len(span)
            del span
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 40_001
    bound = 3 * MAX_PARSED_OVERSIZE + 3 * CHUNK
    assert peak < bound < size, f"peak {peak} bytes while reading a {size}-byte journal"


# --- the writer --------------------------------------------------------------------------


async def test_journal_created_by_the_writer_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "journal.jsonl"
    journal = FileJournal(path)
    await journal.append([person("a", "a-1")])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert verify(journal).intact


async def test_store_file_is_owner_only(tmp_path: Path) -> None:
    s = await Store.open(tmp_path / "s" / "store.db")
    await s.close()
    assert stat.S_IMODE((tmp_path / "s" / "store.db").stat().st_mode) == 0o600


async def test_writer_refuses_a_line_over_the_limit_and_writes_nothing(tmp_path: Path) -> None:
    path = _path(tmp_path)
    lines = sample_lines(5)
    fragment = b'{"v":1,"id":"torn'
    write_bytes(path, joined(lines) + fragment)  # even the torn line is left alone
    before = path.read_bytes()
    journal = FileJournal(path)
    too_big = person("huge", "huge-1", pad="x" * LIMIT)
    with pytest.raises(JournalError) as err:
        await journal.append([person("ok", "ok-1"), too_big])
    assert "huge-1" in str(err.value) and "nothing was written" in str(err.value)
    assert path.read_bytes() == before


async def test_writer_accepts_exactly_the_limit_and_refuses_one_byte_more(tmp_path: Path) -> None:
    path = _path(tmp_path)
    write_bytes(path, joined(sample_lines(3)))
    journal = FileJournal(path)
    # sizes are computed with a 64-hex prev, which is what a non-first line carries
    exact = padded_line(person("edge", "edge-1"), "0" * 64, LIMIT)
    event = orjson.loads(exact)
    del event["prev"]
    await journal.append([event])
    written = path.read_bytes().split(b"\n")[-2]
    assert len(written) == LIMIT
    size_before = path.stat().st_size
    event2 = {**event, "id": "edge-2", "pad": event["pad"] + "x"}
    with pytest.raises(JournalError):
        await journal.append([event2])
    assert path.stat().st_size == size_before


async def test_under_lock_failure_writes_nothing(tmp_path: Path) -> None:
    path = _path(tmp_path)
    write_bytes(path, joined(sample_lines(3)))
    before = path.read_bytes()

    async def refuse() -> None:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        await FileJournal(path).append([person("a", "a-1")], under_lock=refuse)
    assert path.read_bytes() == before


_HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


async def test_lock_held_by_another_process_gives_lock_timeout(tmp_path: Path) -> None:
    path = _path(tmp_path)
    write_bytes(path, joined(sample_lines(3)))
    before = path.read_bytes()
    holder = subprocess.Popen(
        [PYTHON, "-c", _HOLD_LOCK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        called = []

        async def under_lock() -> None:
            called.append(1)

        journal = FileJournal(path, lock_timeout=0.2)
        with pytest.raises(LockTimeout) as err:
            await journal.append([person("a", "a-1")], under_lock=under_lock)
        assert "nothing was written" in str(err.value)
        assert called == []
        assert path.read_bytes() == before
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    # once the other process let go, the append goes through
    assert await FileJournal(path, lock_timeout=5).append([person("a", "a-1")]) == ["a-1"]
    assert verify(FileJournal(path)).intact


# --- batches: all or nothing (docs/journal.md, "Batches") --------------------------------


class _Disk:
    """``os`` as data/engine/journal.py sees it, with a disk that fills up: ``room`` more bytes fit
    (a write that crosses it is short, the next one fails with ENOSPC); optionally fsync or
    ftruncate fail with EIO. Every other call is the real one."""

    def __init__(self, room: int, *, fsync_fails: bool = False, truncate_fails: bool = False) -> None:
        self.room = room
        self.fsync_fails = fsync_fails
        self.truncate_fails = truncate_fails
        self.writes: list[int] = []

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    def write(self, fd: int, data: bytes) -> int:
        if self.room <= 0:
            raise OSError(28, "No space left on device")
        n = os.write(fd, bytes(data[: self.room]))
        self.room -= n
        self.writes.append(n)
        return n

    def fsync(self, fd: int) -> None:
        if self.fsync_fails:
            self.fsync_fails = False  # once: the flush after putting the file back works
            raise OSError(5, "Input/output error")
        os.fsync(fd)

    def ftruncate(self, fd: int, size: int) -> None:
        if self.truncate_fails:
            raise OSError(5, "Input/output error")
        os.ftruncate(fd, size)


def _people(prefix: str, n: int) -> list[dict[str, object]]:
    return [person(f"{prefix}{i}", f"{prefix}-{i}") for i in range(n)]


async def _batch_bytes(path: Path, events: list[dict[str, object]]) -> bytes:
    """The bytes the writer appends for ``events`` after the journal at ``path`` as it
    stands (written to a copy, which is then thrown away)."""
    scratch = path.with_name("scratch.jsonl")
    before = path.read_bytes() if path.exists() else b""
    write_bytes(scratch, before)
    await FileJournal(scratch).append(events)
    data = scratch.read_bytes()[len(before) :]
    scratch.unlink()
    return data


def _line_ends(data: bytes) -> list[int]:
    return [i + 1 for i, b in enumerate(data) if b == 0x0A]


@pytest.mark.parametrize(
    "where",
    [
        "nothing fits",
        "mid line 3",
        "after line 4 of 6",
        "all but the last newline",
        "fsync fails",
        "torn before",
    ],
)
async def test_a_failed_batch_leaves_the_journal_as_it_was(
    tmp_path: Path, db: Store, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A full disk (a short write, then ENOSPC) or a failed fsync: the writer cuts the file
    back to where the batch began and says nothing was written; the journal is byte for
    byte what it was, and the next append goes through (issue 12: 2,227 of 8,735 bytes of a
    short write stayed as a quarantined line; 4 of 6 events and a torn line mid-batch)."""
    from data.engine import journal as journal_module

    path = _path(tmp_path)
    lines = sample_lines(8)
    torn = b'{"v":1,"id":"torn","ts":"2026-11-' if where == "torn before" else b""
    write_bytes(path, joined(lines) + torn)
    journal = FileJournal(path)
    await db.sync(journal)
    events = _people("full", 6)
    data = await _batch_bytes(path, events)  # with the repair newline first, if torn
    ends = _line_ends(data[1:] if torn else data)
    room = {
        "nothing fits": 0,
        "mid line 3": ends[1] + 40,
        "after line 4 of 6": ends[3],
        "all but the last newline": len(data) - 1,
        "fsync fails": len(data),
        "torn before": 1 + ends[2] + 10,  # the repair newline fits, and part of the batch
    }[where]
    disk = _Disk(room, fsync_fails=where == "fsync fails")
    before = path.read_bytes()
    monkeypatch.setattr(journal_module, "os", disk)
    with pytest.raises(JournalError) as failed:
        await journal.append(events)
    monkeypatch.undo()
    message = str(failed.value)
    assert "nothing of the batch was written (the journal is as it was)" in message, message
    if where == "torn before":  # the spec's repair stays: the torn bytes are a line now
        assert path.read_bytes() == before + b"\n"
    else:
        assert path.read_bytes() == before
    if where == "mid line 3":
        assert disk.writes[0] == room, "the batch is one write"
    r = await db.sync(journal)
    assert (r.ingested, r.quarantined) == (0, 1 if torn else 0)
    # the disk has room again: the same batch goes through, whole
    assert await journal.append(events) == [e["id"] for e in events]
    r = await db.sync(journal)
    assert (r.ingested, r.quarantined, r.chain_breaks) == (6, 0, 0)
    assert verify(journal).intact
    assert await db.digest() == (await clean_digest(path))[0]


async def test_a_batch_that_cannot_be_taken_out_again_is_said_and_never_applied(
    tmp_path: Path, db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data.engine import journal as journal_module

    path = _path(tmp_path)
    write_bytes(path, joined(sample_lines(5)))
    journal = FileJournal(path)
    events = _people("stuck", 6)
    ends = _line_ends(await _batch_bytes(path, events))
    monkeypatch.setattr(journal_module, "os", _Disk(ends[3] + 50, truncate_fails=True))
    with pytest.raises(JournalError) as failed:
        await journal.append(events)
    monkeypatch.undo()
    message = str(failed.value)
    assert "could not be taken out again (Input/output error)" in message, message
    assert "readers quarantine and never apply; nothing was written" in message
    r = await db.sync(journal)  # the batch is unfinished: it waits, nothing of it is applied
    assert (r.lines, r.ingested) == (5, 5)
    await journal.append([person("next", "next-1")])  # the next writer ends the torn line
    r = await db.sync(journal)
    assert (r.ingested, r.quarantined, r.chain_breaks) == (1, 5, 0)
    quarantined = await db.quarantine()
    assert [q.line for q in quarantined] == [6, 7, 8, 9, 10]
    assert {q.reason for q in quarantined[:4]} == {
        "part of a batch of 6 lines that was never completely written; none of it is applied"
    }
    assert quarantined[4].reason.startswith("not valid JSON")  # the torn line, of its own
    # the ids of quarantined lines do not count as seen: the batch can be sent again
    await journal.append(events)
    r = await db.sync(journal)
    assert (r.ingested, r.quarantined) == (6, 0)


async def test_a_complete_batch_that_cannot_be_flushed_nor_taken_out_is_unknown(
    tmp_path: Path, db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data.engine import journal as journal_module
    from data.engine.journal import WriteUnknown

    path = _path(tmp_path)
    write_bytes(path, joined(sample_lines(3)))
    journal = FileJournal(path)
    events = _people("maybe", 3)
    monkeypatch.setattr(journal_module, "os", _Disk(1 << 20, fsync_fails=True, truncate_fails=True))
    with pytest.raises(WriteUnknown) as failed:
        await journal.append(events)
    monkeypatch.undo()
    assert failed.value.ids == ["maybe-0", "maybe-1", "maybe-2"]
    assert "whether it was written is unknown" in str(failed.value)
    r = await db.sync(journal)  # it is in the file: readers apply it
    assert (r.ingested, r.quarantined) == (6, 0)


@pytest.mark.parametrize("cut", ["mid line 5", "after line 4", "after line 5 but its newline"])
async def test_a_batch_cut_short_by_a_killed_writer_is_quarantined_whole(
    tmp_path: Path, db: Store, cut: str
) -> None:
    """A writer killed mid-batch leaves its first lines (and perhaps a torn one). A reader
    applies none of them: it waits while the batch may still be being written, and once the
    next writer's lines follow, quarantines every line of the cut batch with the reason. A
    cut exactly at a line's end leaves no torn line: only the batch marker tells."""
    path = _path(tmp_path)
    body = joined(sample_lines(10))
    write_bytes(path, body)
    journal = FileJournal(path)
    events = _people("cut", 6)
    data = await _batch_bytes(path, events)
    ends = _line_ends(data)
    at = {"mid line 5": ends[3] + 60, "after line 4": ends[3], "after line 5 but its newline": ends[4] - 1}[
        cut
    ]
    append_bytes(path, data[:at])  # what the killed writer left

    r = await db.sync(journal)
    assert (r.lines, r.offset) == (10, len(body)), "nothing of an unfinished batch is read"
    assert [s.end for s in journal.read(START)][-1] == len(body)
    assert await db.quarantine() == []

    later = _people("later", 2)
    assert await journal.append(later) == ["later-0", "later-1"]
    r = await db.sync(journal)
    cut_lines = 5 if cut != "after line 4" else 4
    assert (r.lines, r.ingested, r.quarantined, r.chain_breaks) == (cut_lines + 2, 2, cut_lines, 0)
    quarantined = await db.quarantine()
    assert [q.line for q in quarantined] == list(range(11, 11 + cut_lines))
    marked = quarantined[:4] if cut == "mid line 5" else quarantined  # a torn line is bad JSON too
    assert all("part of a batch of 6 lines that was never completely written" in q.reason for q in marked)
    applied = {e.id for e in await db.unknown_events()} | {h.handle for h in await roster_queries.people(db)}
    assert not any(str(x).startswith("cut") for x in applied), applied
    assert {p.handle for p in await roster_queries.people(db)} >= {"later0", "later1"}
    report = verify(journal)
    assert report.intact and report.lines == 10 + cut_lines + 2
    assert await db.digest() == (await clean_digest(path))[0]

    # sent again (the same ids): the quarantined ids do not count as seen, so it applies
    await journal.append(events)
    r = await db.sync(journal)
    assert (r.ingested, r.quarantined) == (6, 0)


async def test_a_reader_waits_for_the_end_of_a_batch(tmp_path: Path, db: Store) -> None:
    """A batch whose last line is not there yet is waited for, like a trailing fragment:
    the checkpoint stays before it. The chain walk reads its lines all the same."""
    path = _path(tmp_path)
    body = joined(sample_lines(4))
    write_bytes(path, body)
    journal = FileJournal(path)
    data = await _batch_bytes(path, _people("slow", 6))
    ends = _line_ends(data)
    append_bytes(path, data[: ends[2]])  # three complete lines of six
    r = await db.sync(journal)
    assert (r.lines, r.offset, r.line) == (4, len(body), 4)
    st = await db.status()
    assert (st.offset, st.line, st.counters["quarantined"]) == (len(body), 4, 0)
    report = verify(journal)
    assert (report.intact, report.lines, report.fragment) == (True, 7, 0)
    append_bytes(path, data[ends[2] : ends[4] + 7])  # two more lines and a bit: still waiting
    r = await db.sync(journal)
    assert r.lines == 0 and (await db.status()).offset == len(body)
    append_bytes(path, data[ends[4] + 7 :])
    r = await db.sync(journal)
    assert (r.lines, r.ingested, r.quarantined) == (6, 6, 0)
    assert r.offset == len(body) + len(data)


async def test_batches_across_chunks_are_read_whole_however_the_reading_is_split(
    tmp_path: Path, db: Store
) -> None:
    """Batches longer than a read: one known complete may be split between spans (the
    checkpoint may then sit inside it, and a reader starting there reads the rest); one
    not complete at the end waits, however many reads it spans."""
    path = _path(tmp_path)
    journal = FileJournal(path)
    sizes = [1, 40, 3, 1, 25, 2, 60, 1]
    n = 0
    for size in sizes:
        await journal.append(_people(f"b{n}-", size))
        n += 1
    complete = path.read_bytes()
    data = await _batch_bytes(path, _people("open", 50))
    append_bytes(path, data[: _line_ends(data)[35]])  # 36 of 50 lines, across several reads
    total = sum(sizes)
    with chunk_size(4096):
        spans = list(journal.read(START))
        assert spans[-1].end == len(complete)
        assert sum(len(s) for s in spans) == total
        assert not any(s.broken for s in spans)
        # a store reading a few spans at a time stops inside complete batches
        stops = []
        while True:
            r = await db.sync(journal, max_lines=7)
            if r.lines == 0:
                break
            stops.append(r.line)
    assert stops[-1] == total and len(stops) > 5
    st = await db.status()
    assert (st.offset, st.counters["applied"], st.counters["quarantined"]) == (len(complete), total, 0)
    assert await db.digest() == (await clean_digest(path))[0]


async def test_the_batch_marker_is_written_only_on_batches_of_two_or_more(tmp_path: Path) -> None:
    path = _path(tmp_path)
    journal = FileJournal(path)
    await journal.append([person("one", "one-1")])
    await journal.append(_people("two", 2))
    raws = path.read_bytes().split(b"\n")[:-1]
    assert [orjson.loads(r).get("batch") for r in raws] == [None, [1, 2], [2, 2]]
    assert raws[1].endswith(b',"batch":[1,2],"prev":"' + sha(raws[0]).encode() + b'"}')
    # a caller's own batch or prev member is the writer's to fill in: it is not kept
    await journal.append([person("own", "own-1", batch=[1, 9], prev="x")])
    last = orjson.loads(path.read_bytes().split(b"\n")[-2])
    assert "batch" not in last and last["prev"] == sha(raws[2])


async def test_a_failed_batch_never_cuts_what_a_lockless_writer_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cutting back assumes the bytes after the batch's start are the writer's own; a writer
    that takes no lock may have appended meanwhile: then nothing is cut, and the error says so."""
    from data.engine import journal as journal_module

    path = _path(tmp_path)
    write_bytes(path, joined(sample_lines(3)))
    journal = FileJournal(path)

    class Intruder(_Disk):
        def write(self, fd: int, data: bytes) -> int:
            n = super().write(fd, data)
            append_bytes(path, b'{"v":1,"id":"intruder"}\n')  # not under the lock
            return n

    monkeypatch.setattr(journal_module, "os", Intruder(100))
    with pytest.raises(JournalError) as failed:
        await journal.append(_people("x", 3))
    monkeypatch.undo()
    assert "could not be taken out again" in str(failed.value)
    assert path.read_bytes().endswith(b'{"v":1,"id":"intruder"}\n')


def test_the_batch_marker_is_read_only_where_the_writer_puts_it() -> None:
    from data.engine.journal import batch_mark

    h = "a" * 64
    assert batch_mark(b'{"v":1,"data":{},"batch":[2,6],"prev":"' + h.encode() + b'"}') == (2, 6)
    assert batch_mark(b'{"v":1,"data":{},"batch":[1,2],"prev":null}') == (1, 2)
    assert batch_mark(b'{"v":1,"data":{},"prev":"' + h.encode() + b'"}') is None
    # the same text inside a string is escaped, so it never ends a line like a marker
    text = orjson.dumps({"v": 1, "data": {"text": ',"batch":[1,2],"prev":"' + h + '"}'}, "prev": h})
    assert batch_mark(text) is None
    # another form of a batch member is no marker (ignored like any unknown member)
    for other in (b'"x"', b"[0,2]", b"[3,2]", b"[1,1]", b"[1,2,3]", b"[1.0,2]", b"[-1,2]", b'{"k":1}'):
        line = b'{"v":1,"data":{},"batch":' + other + b',"prev":"' + h.encode() + b'"}'
        assert batch_mark(line) is None, other
    # not the member just before prev: no marker
    assert batch_mark(b'{"v":1,"batch":[1,2],"data":{},"prev":"' + h.encode() + b'"}') is None
    # a quote inside the prev string: prev is not the last member, so neither is batch there
    nested = b'{"v":1,"o":{"batch":[1,2],"prev":"' + b'a","z":{"y":"' + b"b" * 49 + b'"}}'
    assert batch_mark(nested) is None
