"""Properties of the journal reader and the store's ingestion (hypothesis).

- whatever bytes are in the file, sync never crashes, every line is accounted for once and
  the checkpoint stands at the last newline;
- a valid journal delivered in arbitrary pieces (cut inside lines too) ends in the state of
  one clean read;
- bad lines interleaved among valid ones are each quarantined with their line number and
  raw bytes, and change nothing of the valid state.

Each example makes its own store in a temporary folder (``tempfile``); the examples run
under ``asyncio.run`` so that nothing is shared between them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from data.engine.chain import verify
from data.engine.journal import START, FileJournal
from data.engine.models import CORE_TYPES
from data.engine.store import Store
from tests._journal_helpers import (
    LIMIT,
    append_bytes,
    chain,
    chunk_size,
    clean_digest_sync,
    joined,
    padded_line,
    person,
    sample_events,
    sample_lines,
    sha,
    state_rows,
    write_bytes,
)

#: Shrinking a failing example of these tests takes minutes (every example builds a store),
#: so it is off unless WARROOM_SHRINK=1 is set; the assertions say which line is wrong.
PHASES = (
    tuple(Phase)
    if os.environ.get("WARROOM_SHRINK")
    else (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
)
#: The same examples on every run (a deterministic suite); WARROOM_EXPLORE=1 draws new ones.
SETTINGS: dict[str, Any] = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=PHASES,
    derandomize=not os.environ.get("WARROOM_EXPLORE"),
)

#: read sizes for the file reader (the default is 1 MiB); small ones cut lines across reads
#: (every span is one store transaction, so small reads go with small journals)
CHUNKS = st.sampled_from([1 << 20, 4096, 509, 61])


def _small(chunk: int) -> bool:
    return chunk < 4096


# --- 1. random bytes ---------------------------------------------------------------------

POOL = sample_lines(40, seed=13, per_incident=8)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_data_keys = st.sampled_from(
    [
        "title",
        "category",
        "severity",
        "source",
        "regions",
        "text",
        "item",
        "state",
        "note",
        "team",
        "role",
        "person",
        "status",
        "handle",
        "name",
        "region",
        "tz",
        "rotation",
        "days",
        "start",
        "hours",
        "members",
        "anchor",
        "handoff",
        "from",
        "to",
        "notes",
        "readback",
        "kind",
        "end",
    ]
)
_vocab = st.sampled_from(
    [
        "csea",
        "other",
        "employee",
        "US",
        "UK",
        "global",
        "legal",
        "comms",
        "done",
        "skipped",
        "commander",
        "new",
        "closed",
        "Europe/London",
        "mon",
        "09:00",
        "2026-01-05",
        "2026-11-01T00:00:00Z",
        "amara",
        "x",
        "",
    ]
)
_envelope = st.fixed_dictionaries(
    {},
    optional={
        "v": st.just(1) | _json,
        "id": st.from_regex(r"[A-Za-z0-9._:-]{1,8}", fullmatch=True)
        | st.sampled_from(["0007000000000001", "0007000000000002"])
        | _json,
        "ts": st.sampled_from(["2026-11-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-01T00:00:00+25:00"])
        | _json,
        "actor": st.sampled_from(["amara", "bot", ""]) | _json,
        "type": st.sampled_from([*sorted(CORE_TYPES), "x.unknown", "incident.weird", "postmortem.x"]) | _json,
        "incident": st.sampled_from(["INC-00001", "INC-00002", "bad id"]) | _json,
        "data": st.dictionaries(_data_keys, _vocab | _json | st.lists(_vocab, max_size=3), max_size=6)
        | _json,
        "prev": st.none() | st.just("0" * 64) | _json,
    },
).map(orjson.dumps)

_segment = st.one_of(
    st.binary(max_size=48),
    st.just(b"\n"),
    st.sampled_from(POOL).map(lambda line: line + b"\n"),
    _envelope.map(lambda line: line + b"\n"),
    _envelope,
    st.sampled_from([b"{", b"}", b'"', b"\r\n", b"\x00", b"\xff\xfe", b"\xc3", b"[]\n", b"{}\n", b" \n"]),
)


async def _ingest_random(content: bytes, splits: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "journal.jsonl"
        write_bytes(path, content)
        journal = FileJournal(path)
        store = await Store.open(Path(d) / "store.db")
        try:
            results = []
            for _ in range(splits):
                results.append(await store.sync(journal, max_lines=1))
            results.append(await store.sync(journal))
            st_ = await store.status()
            quarantine = await store.quarantine()
            breaks = await store.chain_breaks()
            events = await store._all(text("SELECT seq FROM events"))
        finally:
            await store.close()

        lines_in_file = content.count(b"\n")
        last_newline = content.rfind(b"\n") + 1
        raws = content[:last_newline].split(b"\n")[:-1] if last_newline else []
        assert len(raws) == lines_in_file

        c = st_.counters
        assert c["lines"] == lines_in_file
        assert c["applied"] + c["unknown"] + c["duplicates"] + c["quarantined"] == c["lines"]
        total = {
            k: sum(getattr(r, k) for r in results)
            for k in ("lines", "ingested", "unknown", "duplicates", "quarantined")
        }
        assert total["lines"] == lines_in_file
        assert (
            total["ingested"] + total["unknown"] + total["duplicates"] + total["quarantined"] == lines_in_file
        )
        assert (st_.offset, st_.line) == (last_newline, lines_in_file)
        assert (results[-1].offset, results[-1].line) == (last_newline, lines_in_file)

        # every line is in exactly one place: an event row, a quarantine row, or a duplicate
        event_lines = {e["seq"] for e in events}
        q_lines = [q.line for q in quarantine]
        assert len(set(q_lines)) == len(q_lines)
        assert not event_lines & set(q_lines)
        assert len(event_lines) == c["applied"] + c["unknown"]
        assert len(event_lines) + len(q_lines) + c["duplicates"] == lines_in_file
        offsets = _line_offsets(raws)
        for q in quarantine:
            n = q.line
            assert 1 <= n <= lines_in_file
            assert bytes(q.raw) == raws[n - 1][:LIMIT]
            assert q.size == len(raws[n - 1])
            assert q.offset == offsets[n - 1]

        # the reader's spans give back exactly the complete lines
        spans = list(journal.read(START))
        got = [raw for span in spans for raw in span.raws]
        assert got == raws
        if spans:
            assert spans[-1].end == last_newline

        # the store and `verify` agree on the chain
        report = verify(journal)
        assert report.lines == lines_in_file
        assert report.fragment == len(content) - last_newline
        assert [b.line for b in breaks] == [line for line, _ in report.breaks]


def _show(raw: bytes) -> str:
    return repr(raw) if len(raw) <= 200 else f"{raw[:100]!r} ... {raw[-80:]!r}"


def _line_offsets(raws: list[bytes]) -> list[int]:
    out = []
    pos = 0
    for raw in raws:
        out.append(pos)
        pos += len(raw) + 1
    return out


@settings(max_examples=80, **SETTINGS)
@given(data=st.data(), chunk=CHUNKS, splits=st.integers(0, 3))
def test_random_bytes_never_crash_and_every_line_is_accounted_for(data: Any, chunk: int, splits: int) -> None:
    segments = data.draw(st.lists(_segment, max_size=12 if _small(chunk) else 30), label="segments")
    content = b"".join(segments)
    with chunk_size(chunk):
        asyncio.run(_ingest_random(content, splits))


# --- 2. a valid journal delivered in pieces -----------------------------------------------

_clean: dict[tuple[int, int], tuple[str, dict[str, int]]] = {}


def _clean_of(n: int, seed: int, content: bytes) -> tuple[str, dict[str, int]]:
    key = (n, seed)
    if key not in _clean:
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "clean.jsonl"
            write_bytes(path, content)
            _clean[key] = clean_digest_sync(path)
    return _clean[key]


async def _deliver(content: bytes, cuts: list[int], actions: list[str]) -> tuple[str, dict[str, int], int]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "journal.jsonl"
        db = Path(d) / "store.db"
        write_bytes(path, b"")
        journal = FileJournal(path)
        store = await Store.open(db)
        try:
            rebuilt = 0
            bounds = [0, *cuts, len(content)]
            for i in range(len(bounds) - 1):
                append_bytes(path, content[bounds[i] : bounds[i + 1]])
                action = actions[i % len(actions)] if actions else "sync"
                if action == "sync":
                    r = await store.sync(journal)
                elif action.startswith("max"):
                    r = await store.sync(journal, max_lines=int(action[3:]))
                elif action == "reopen":
                    await store.close()
                    store = await Store.open(db)
                    r = await store.sync(journal, max_lines=2)
                else:
                    continue
                rebuilt += r.rebuilt is not None
                # the checkpoint never passes the last newline in the file so far
                so_far = content[: bounds[i + 1]]
                assert r.offset <= so_far.rfind(b"\n") + 1
            while True:
                r = await store.sync(journal)
                rebuilt += r.rebuilt is not None
                if r.lines == 0:
                    break
            return await store.digest(), (await store.status()).counters, rebuilt
        finally:
            await store.close()


@settings(max_examples=40, **SETTINGS)
@given(
    data=st.data(),
    seed=st.integers(0, 3),
    cut_fracs=st.lists(st.floats(0, 1), max_size=12),
    actions=st.lists(st.sampled_from(["sync", "max1", "max5", "reopen", "none"]), max_size=6),
    chunk=CHUNKS,
)
def test_valid_journal_in_random_pieces_ends_as_one_clean_read(
    data: Any, seed: int, cut_fracs: list[float], actions: list[str], chunk: int
) -> None:
    n = data.draw(st.integers(1, 20 if _small(chunk) else 150), label="events")
    content = joined(sample_lines(n, seed=seed, per_incident=12))
    cuts = sorted({int(f * len(content)) for f in cut_fracs})
    digest, counters = _clean_of(n, seed, content)
    assert counters["applied"] == n
    with chunk_size(chunk):
        got, got_counters, rebuilt = asyncio.run(_deliver(content, cuts, actions))
    assert rebuilt == 0, "an appended-to journal must never make the store rebuild"
    assert got_counters == counters
    assert got == digest


# --- 3. bad lines among valid lines -------------------------------------------------------

NOT_OBJECT: Any = object()  # not a JSON object: its prev is not checked
UNKNOWN: Any = object()  # may or may not be a JSON object (random bytes)
MISSING: Any = object()  # a JSON object without prev: always a break

_WRONG = [
    ("v", "1"),
    ("v", 2),
    ("v", True),
    ("v", 1.0),
    ("v", None),
    ("v", 0),
    ("id", 5),
    ("id", ""),
    ("id", "has space"),
    ("id", "x" * 65),
    ("id", None),
    ("ts", 20261101),
    ("ts", "2026-11-01 00:00:00"),
    ("ts", "2026-11-01T00:00:00"),
    ("ts", "2026-02-30T00:00:00Z"),
    ("actor", ""),
    ("actor", 7),
    ("actor", "tab\there"),
    ("actor", "a" * 65),
    ("type", 5),
    ("type", ["incident.note"]),
    ("type", ""),
    ("type", None),
    ("data", []),
    ("data", "x"),
    ("data", None),
    ("data", 1),
    ("prev", 5),
    ("prev", "ABC"),
    ("prev", "0" * 63),
    ("prev", "G" * 64),
    ("incident", 5),
    ("incident", "lower-case"),
    ("incident", "X" * 33),
]
_REQUIRED = ["v", "id", "ts", "actor", "type", "data", "prev"]


_journals: dict[tuple[int, int], tuple[list[dict[str, Any]], list[bytes]]] = {}


def _journal(n: int, seed: int) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The valid events and lines of the clean journal (cached)."""
    if (n, seed) not in _journals:
        events = sample_events(n, seed=seed, per_incident=10)
        _journals[(n, seed)] = (events, chain(events))
    return _journals[(n, seed)]


@st.composite
def _bad_line(draw: Any, n: int, seed: int, overlong_ok: bool) -> tuple[bytes, Any, int, int]:
    """A bad line: (bytes, what its prev is for the chain check, the first and the last
    valid line (0-based index, ``len(events)`` for the end) it may be put before).

    A line that is well-formed but wrong for the state (an incident never opened, ...)
    and reuses the id of a valid line goes before that line: after it, it would be a
    duplicate (skipped and counted), not a quarantined line."""
    events, lines = _journal(n, seed)
    kinds = [
        "garbage",
        "truncated",
        "wrong-type",
        "missing",
        "data-wrong",
        "non-utf8",
        "never-opened",
        "item-never-added",
        "reopened",
        "not-json",
    ]
    if overlong_ok:
        kinds.append("overlong")
    kind = draw(st.sampled_from(kinds))
    j = draw(st.integers(0, len(events) - 1))
    ev = events[j]
    orig_prev = orjson.loads(lines[j])["prev"]
    if kind == "garbage":
        return draw(st.binary(max_size=80)).replace(b"\n", b""), UNKNOWN, 0, n
    if kind == "truncated":
        line = lines[j]
        return line[: draw(st.integers(1, len(line) - 1))], NOT_OBJECT, 0, n
    if kind == "wrong-type":
        member, value = draw(st.sampled_from(_WRONG))
        bad = {**ev, "prev": orig_prev, member: value}
        return orjson.dumps(bad), bad["prev"], 0, n
    if kind == "missing":
        required = _REQUIRED + (["incident"] if "incident" in ev else [])
        member = draw(st.sampled_from(required))
        bad = {k: v for k, v in {**ev, "prev": orig_prev}.items() if k != member}
        return orjson.dumps(bad), bad.get("prev", MISSING), 0, n
    if kind == "data-wrong":
        member = draw(st.sampled_from(sorted(ev["data"])))
        value = draw(st.sampled_from([{"bad": True}, [1, 2]]))
        bad = {**ev, "prev": orig_prev, "data": {**ev["data"], member: value}}
        return orjson.dumps(bad), orig_prev, 0, n
    if kind == "non-utf8":
        line = lines[j]
        at = draw(st.integers(0, len(line)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"]))
        return line[:at] + junk + line[at:], NOT_OBJECT, 0, n
    if kind == "not-json":  # JSON extensions a strict parser refuses: not JSON
        line = lines[j]
        token = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity"]))
        return line[:-1] + b',"x":' + token + b"}", NOT_OBJECT, 0, n
    bid = f"bad-{draw(st.integers(0, 10**9))}"
    firsts = [k for k, e in enumerate(events) if e["type"] in ("incident.opened", "checklist.added")]
    if kind == "reopened" and not firsts:
        kind = "never-opened"
    if kind in ("never-opened", "item-never-added"):
        reuse = draw(st.booleans())
        eid = ev["id"] if reuse else bid
        if kind == "never-opened":
            inc, etype, data = "NEVER-OPENED", "incident.note", {"text": "t"}
        else:
            inc = next((e["incident"] for e in events if e["type"] == "incident.opened"), "INC-00001")
            etype, data = "checklist.set", {"item": "no-such-item", "state": "done"}
        bad = {
            "v": 1,
            "id": eid,
            "ts": ev["ts"],
            "actor": "x",
            "type": etype,
            "incident": inc,
            "data": data,
            "prev": orig_prev,
        }
        return orjson.dumps(bad), orig_prev, 0, (j if reuse else n)
    if kind == "reopened":  # a second incident.opened / checklist.added, after the first
        k = draw(st.sampled_from(firsts))
        bad = {**events[k], "id": bid, "prev": None}
        return orjson.dumps(bad), None, k + 1, n
    assert kind == "overlong"
    size = draw(st.integers(LIMIT + 1, LIMIT + 4000))
    if draw(st.booleans()):
        return b"#" * size, NOT_OBJECT, 0, n
    prev = draw(st.sampled_from([None, orig_prev]))
    return padded_line(person("overlong", bid), prev, size), prev, 0, n


async def _ingest_mixed(
    d: Path, lines: list[bytes], splits: int
) -> tuple[Path, Any, list[dict], list[dict], Any]:
    path = Path(d) / "journal.jsonl"
    write_bytes(path, joined(lines))
    journal = FileJournal(path)
    store = await Store.open(Path(d) / "store.db")
    try:
        for _ in range(splits):
            await store.sync(journal, max_lines=3)
        await store.sync(journal)
        return (
            Path(d),
            (await store.status()).counters,
            await store.quarantine(),
            await store.chain_breaks(),
            verify(journal),
        )
    finally:
        await store.close()


_clean_state: dict[tuple[int, int], dict[str, list[tuple[Any, ...]]]] = {}


def _clean_state_of(n: int, seed: int, lines: list[bytes]) -> dict[str, list[tuple[Any, ...]]]:
    if (n, seed) not in _clean_state:
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "clean.jsonl"
            db = Path(d) / "clean.db"
            write_bytes(path, joined(lines))

            async def go() -> None:
                s = await Store.open(db)
                try:
                    r = await s.sync(FileJournal(path))
                    assert (r.ingested, r.quarantined, r.chain_breaks) == (n, 0, 0)
                finally:
                    await s.close()

            asyncio.run(go())
            _clean_state[(n, seed)] = state_rows(db)
    return _clean_state[(n, seed)]


@settings(max_examples=60, **SETTINGS)
@given(data=st.data(), seed=st.integers(0, 3), chunk=CHUNKS, splits=st.integers(0, 2))
def test_bad_lines_are_quarantined_and_change_nothing_else(
    data: Any, seed: int, chunk: int, splits: int
) -> None:
    n = data.draw(st.integers(3, 15 if _small(chunk) else 60), label="valid lines")
    lines = _journal(n, seed)[1]
    clean = _clean_state_of(n, seed, lines)

    # what goes before valid line i: a list of (kind, bytes, prev-info)
    before: dict[int, list[tuple[str, bytes, Any]]] = {i: [] for i in range(n + 1)}
    bad_count = data.draw(st.integers(1, 6 if _small(chunk) else 12), label="bad lines")
    overlong_left = 0 if chunk < 509 else data.draw(st.sampled_from([0, 0, 1, 2]), label="overlong lines")
    for _ in range(bad_count):
        raw, prev_info, earliest, latest = data.draw(_bad_line(n, seed, overlong_left > 0))
        if len(raw) > LIMIT:
            overlong_left -= 1
        at = data.draw(st.integers(earliest, latest), label="position")
        before[at].append(("bad", raw, prev_info))
    for _ in range(data.draw(st.integers(0, 3), label="duplicates")):
        j = data.draw(st.integers(0, n - 1))
        at = data.draw(st.integers(j + 1, n))
        before[at].append(("dup", lines[j], orjson.loads(lines[j])["prev"]))

    mixed: list[tuple[str, bytes, Any]] = []
    line_map: dict[int, int] = {}
    for i in range(n + 1):
        mixed.extend(before[i])
        if i < n:
            mixed.append(("valid", lines[i], orjson.loads(lines[i])["prev"]))
            line_map[len(mixed)] = i + 1
    raws = [raw for _, raw, _ in mixed]
    bad = {k + 1: raw for k, (kind, raw, _) in enumerate(mixed) if kind == "bad"}
    dups = sum(kind == "dup" for kind, _, _ in mixed)

    # the chain breaks that must be found (lines that are JSON objects whose prev is wrong)
    must_break: set[int] = set()
    may_break: set[int] = set()
    for k, (_, _, prev_info) in enumerate(mixed):
        expected = sha(raws[k - 1]) if k else None
        if prev_info is UNKNOWN:
            may_break.add(k + 1)
        elif prev_info is NOT_OBJECT:
            pass
        elif prev_info is MISSING or prev_info != expected:
            must_break.add(k + 1)

    folder = Path(tempfile.mkdtemp())
    try:
        with chunk_size(chunk):
            _, counters, quarantine, breaks, report = asyncio.run(_ingest_mixed(folder, raws, splits))

        # every bad line quarantined, with its line number, size, offset and raw bytes
        offsets = _line_offsets(raws)
        got = {q.line: q for q in quarantine}
        assert sorted(got) == sorted(bad), (
            f"quarantined lines {sorted(got)} but the bad lines are {sorted(bad)}: "
            + "; ".join(
                f"line {k} ({len(bad[k])} bytes): {_show(bad[k])}" for k in sorted(set(bad) - set(got))
            )
        )
        for k, raw in bad.items():
            q = got[k]
            assert bytes(q.raw) == raw[:LIMIT]
            assert q.size == len(raw)
            assert q.offset == offsets[k - 1]

        assert counters["lines"] == len(mixed)
        assert counters["quarantined"] == len(bad)
        assert counters["duplicates"] == dups
        assert counters["applied"] == n
        assert counters["unknown"] == 0

        # the valid state is the clean journal's, line numbers aside
        try:
            state = state_rows(folder / "store.db", line_map)
        except KeyError as exc:
            line = exc.args[0]
            pytest.fail(f"line {line} is in the state but is not a valid line: {_show(raws[line - 1])}")
        assert state == clean

        # chain: exactly the breaks there are, the same in the store and in verify
        got_breaks = {b.line for b in breaks}
        assert must_break <= got_breaks, f"missed chain breaks {sorted(must_break - got_breaks)}"
        assert got_breaks - must_break <= may_break, (
            f"chain breaks where there are none: {sorted(got_breaks - must_break - may_break)}"
        )
        assert [b.line for b in breaks] == [line for line, _ in report.breaks]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- targeted: what the property tests found ----------------------------------------------


@pytest.mark.parametrize("wrong_prev", [False, True], ids=["prev-ok", "prev-wrong"])
@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity"])
async def test_a_line_with_a_non_json_number_is_quarantined(
    tmp_path: Path, token: bytes, wrong_prev: bool
) -> None:
    """``NaN`` / ``Infinity`` are not JSON (RFC 8259): such a line is not a JSON object and
    must be quarantined like any other line that is not JSON; the store and ``verify`` must
    agree on whether its prev is checked."""
    lines = sample_lines(3, seed=1)
    bad = lines[1][:-1] + b',"x":' + token + b"}"
    if wrong_prev:
        bad = bad.replace(orjson.loads(lines[1])["prev"].encode(), b"f" * 64)
    raws = [lines[0], bad, lines[2]]
    path = tmp_path / "journal.jsonl"
    write_bytes(path, joined(raws))
    store = await Store.open(tmp_path / "store.db")
    try:
        r = await store.sync(FileJournal(path))
        breaks = [b.line for b in await store.chain_breaks()]
        quarantined = [q.line for q in await store.quarantine()]
    finally:
        await store.close()
    report = verify(FileJournal(path))
    assert breaks == [line for line, _ in report.breaks], "the store and verify disagree on the chain"
    assert quarantined == [2], f"line 2 ({bad[-40:]!r}) is not JSON but was applied"
    assert r.ingested == 2
