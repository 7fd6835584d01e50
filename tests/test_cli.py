"""The real ``warroom`` command line, run in subprocesses with every path under tmp_path."""

from __future__ import annotations

import csv
import io
import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from data.incidents.export import CHECKLIST_FIELDS, INCIDENT_FIELDS, QUARANTINE_FIELDS, TIMELINE_FIELDS
from data.procedures.sop import load_templates
from tests.helpers import (
    VENV_BIN,
    EventFactory,
    append_events,
    chain,
    cli_env,
    encode,
    read_lines,
    run_cli,
    run_cli_many,
    sha256_hex,
    write_lines,
)

OPENED_DATA = {
    "title": "EDR: missing person, welfare concern, ref 5521",
    "category": "edr",
    "severity": 1,
    "source": "law_enforcement",
    "regions": ["US"],
}
SYNC_KEYS = {"ingested", "duplicates", "quarantined", "unknown", "chain_breaks", "offset"}
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


@pytest.fixture
def env(tmp_path: Path, tmp_journal: Path, tmp_store: Path) -> dict[str, str]:
    return cli_env(tmp_path, tmp_journal, tmp_store, actor="amara")


def out(proc: Any) -> str:
    return proc.stdout.decode("utf-8")


def err(proc: Any) -> str:
    return proc.stderr.decode("utf-8")


def jsonl(*objs: dict[str, Any]) -> str:
    return "".join(json.dumps(o) + "\n" for o in objs)


def opened_input(incident: str = "INC-1", **data: Any) -> dict[str, Any]:
    return {"type": "incident.opened", "incident": incident, "data": {**OPENED_DATA, **data}}


def assert_no_traceback(proc: Any) -> None:
    assert "Traceback" not in err(proc), err(proc)
    assert "Traceback" not in out(proc)


# --- starting ---------------------------------------------------------------------------


def test_python_m_app_help(env: dict[str, str]) -> None:
    proc = run_cli(["--help"], env, command=[str(VENV_BIN / "python"), "-m", "app"])
    assert proc.returncode == 0, err(proc)
    text = out(proc)
    assert "Usage:" in text
    for command in ("append", "sync", "verify", "export", "rebuild", "status"):
        assert command in text


def test_console_script_help(env: dict[str, str]) -> None:
    proc = run_cli(["append", "--help"], env)
    assert proc.returncode == 0
    assert "--type" in out(proc)


# --- append -----------------------------------------------------------------------------


def test_append_one_event_with_type(env: dict[str, str], tmp_journal: Path) -> None:
    proc = run_cli(
        ["append", "--type", "incident.opened", "--incident", "INC-1", "--data", json.dumps(OPENED_DATA)], env
    )
    assert proc.returncode == 0, err(proc)
    ids = out(proc).split()
    assert len(ids) > 1 and all(ULID.match(i) for i in ids), out(proc)
    line, *procedure = read_lines(tmp_journal)
    ev = json.loads(line)
    assert ev["v"] == 1
    assert ev["id"] == ids[0]
    assert ev["actor"] == "amara"  # from WARROOM_ACTOR
    assert ev["type"] == "incident.opened"
    assert ev["incident"] == "INC-1"
    assert ev["data"] == OPENED_DATA
    assert ev["prev"] is None
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", ev["ts"])
    # the procedure of a severity-1 US EDR, in the same batch, said on stderr
    edr = load_templates(Path("/nonexistent")).templates["edr"]
    added = [json.loads(x) for x in procedure]
    assert [e["id"] for e in added] == ids[1:]
    assert [(e["type"], e["incident"], e["actor"], e["data"]["item"]) for e in added] == [
        ("checklist.added", "INC-1", "amara", i.id)
        for i in edr.items
        if i.trigger is None and i.applies(1, ["US"])
    ]
    assert "procedure of INC-1: item verify-requester due " in err(proc)

    # a second one: --actor wins over the environment, prev chains to line 1
    proc = run_cli(
        [
            "append",
            "--actor",
            "eli",
            "--type",
            "incident.note",
            "--incident",
            "INC-1",
            "--data",
            '{"text": "On it."}',
        ],
        env,
    )
    assert proc.returncode == 0, err(proc)
    lines = read_lines(tmp_journal)
    assert len(lines) == len(ids) + 1
    ev2 = json.loads(lines[-1])
    assert (ev2["actor"], ev2["type"], ev2["data"], ev2["prev"]) == (
        "eli",
        "incident.note",
        {"text": "On it."},
        sha256_hex(lines[-2]),
    )
    # --raw writes only the event given
    raw = [
        "append",
        "--raw",
        "--type",
        "incident.opened",
        "--incident",
        "INC-2",
        "--data",
        json.dumps(OPENED_DATA),
    ]
    proc = run_cli(raw, env)
    assert proc.returncode == 0 and err(proc) == "", err(proc)
    assert len(out(proc).split()) == 1
    lines = read_lines(tmp_journal)
    assert len(lines) == len(ids) + 2 and json.loads(lines[-1])["incident"] == "INC-2"


def test_append_batch_from_stdin(env: dict[str, str], tmp_journal: Path) -> None:
    batch = jsonl(
        opened_input(),
        {"type": "incident.note", "incident": "INC-1", "data": {"text": "Officer verified."}, "id": "my-note-1",
         "ts": "2026-11-01T10:00:00+01:00", "actor": "eli", "x_extra": {"kept": True}},
        {"type": "checklist.added", "incident": "INC-1", "data": {"item": "verify", "text": "Verify", "team": "le_response"}},
        {"type": "roster.person", "data": {"handle": "eli", "name": "Eli N", "team": "le_response", "region": "US", "tz": "America/Chicago"}},
    )  # fmt: skip
    proc = run_cli(["append"], env, batch)
    assert proc.returncode == 0, err(proc)
    ids = out(proc).split()
    assert len(ids) > 4 and ids[1] == "my-note-1"
    lines = read_lines(tmp_journal)
    evs = [json.loads(x) for x in lines]
    assert [e["id"] for e in evs] == ids
    assert [e["type"] for e in evs[:4]] == [
        "incident.opened",
        "incident.note",
        "checklist.added",
        "roster.person",
    ]
    # then the opened incident's procedure, in the same batch
    assert {(e["type"], e["incident"], e["actor"]) for e in evs[4:]} == {
        ("checklist.added", "INC-1", "amara")
    }
    assert evs[0]["prev"] is None
    assert [e["prev"] for e in evs[1:]] == [sha256_hex(x) for x in lines[:-1]]
    assert (evs[1]["actor"], evs[1]["ts"]) == ("eli", "2026-11-01T10:00:00+01:00")
    assert evs[1]["x_extra"] == {"kept": True}  # unknown members are kept
    assert evs[0]["actor"] == evs[2]["actor"] == "amara"
    assert "incident" not in evs[3]

    # append synced the store after writing: its checkpoint is at the end of the journal
    import asyncio

    from data.engine.store import Store

    async def status() -> Any:
        async with await Store.open(env["WARROOM_DB"]) as store:
            return await store.status()

    st = asyncio.run(status())
    assert (st.offset, st.line, st.counters["applied"]) == (tmp_journal.stat().st_size, len(evs), len(evs))


INVALID_BATCHES: list[tuple[str, dict[str, Any], dict[str, Any] | None, str, str]] = [
    ("float-severity", {"type": "incident.severity_set", "incident": "INC-1", "data": {"severity": 1.0}}, None, "line 2", "data.severity"),
    ("bad-status", {"type": "incident.status_set", "incident": "INC-1", "data": {"status": "done"}}, None, "line 2", "data.status"),
    ("missing-text", {"type": "incident.note", "incident": "INC-1", "data": {}}, None, "line 2", "data.text"),
    ("v-given", {"type": "incident.note", "incident": "INC-1", "data": {"text": "x"}, "v": 1}, None, "line 2", "v"),
    ("prev-given", {"type": "incident.note", "incident": "INC-1", "data": {"text": "x"}, "prev": None}, None, "line 2", "prev"),
    ("bad-incident-id", {"type": "incident.note", "incident": "inc 1", "data": {"text": "x"}}, None, "line 2", "incident"),
    ("bad-actor", {"type": "incident.note", "incident": "INC-1", "data": {"text": "x"}, "actor": "a\x00"}, None, "line 2", "actor"),
    ("unopened-incident", {"type": "incident.note", "incident": "INC-1", "data": {"text": "ok"}},
     {"type": "incident.note", "incident": "INC-404", "data": {"text": "x"}}, "line 3", "INC-404"),
    ("opened-twice", {"type": "incident.note", "incident": "INC-1", "data": {"text": "ok"}},
     {"type": "incident.opened", "incident": "INC-1", "data": OPENED_DATA}, "line 3", "INC-1"),
    ("item-never-added", {"type": "incident.note", "incident": "INC-1", "data": {"text": "ok"}},
     {"type": "checklist.set", "incident": "INC-1", "data": {"item": "nope", "state": "done"}}, "line 3", "nope"),
    ("skipped-without-note", {"type": "incident.note", "incident": "INC-1", "data": {"text": "ok"}},
     {"type": "checklist.set", "incident": "INC-1", "data": {"item": "a", "state": "skipped"}}, "line 3", "note"),
    ("unknown-tz", {"type": "incident.note", "incident": "INC-1", "data": {"text": "ok"}},
     {"type": "roster.person", "data": {"handle": "x", "name": "X", "team": "legal", "region": "US", "tz": "Nowhere/Zone"}},
     "line 3", "data.tz"),
    ("unknown-type", {"type": "bot.heartbeat", "data": {}}, None, "line 2", "unknown type"),
    ("same-id-twice", {"type": "incident.note", "incident": "INC-1", "data": {"text": "x"}, "id": "twice"},
     {"type": "incident.note", "incident": "INC-1", "data": {"text": "y"}, "id": "twice"}, "line 3", "twice"),
]  # fmt: skip
#: the cases that also go through a subprocess (each costs a full CLI start)
CLI_INVALID = {"float-severity", "unopened-incident"}


def _invalid_batch(second: dict[str, Any], third: dict[str, Any] | None) -> list[dict[str, Any]]:
    batch = [{"type": "incident.note", "incident": "INC-1", "data": {"text": "line 1 is fine"}}, second]
    if third is not None:
        batch.append(third)
    return batch


@pytest.mark.parametrize(
    ("second", "third", "where", "member"),
    [c[1:] for c in INVALID_BATCHES if c[0] in CLI_INVALID],
    ids=[c[0] for c in INVALID_BATCHES if c[0] in CLI_INVALID],
)
def test_batch_with_one_invalid_event_writes_nothing(
    env: dict[str, str],
    tmp_journal: Path,
    second: dict[str, Any],
    third: dict[str, Any] | None,
    where: str,
    member: str,
) -> None:
    e = EventFactory()
    append_events(tmp_journal, [e.opened("INC-1")])  # a journal that already has a line
    before = tmp_journal.read_bytes()
    proc = run_cli(["append"], env, jsonl(*_invalid_batch(second, third)))
    assert proc.returncode == 2, (out(proc), err(proc))
    assert out(proc) == ""
    assert tmp_journal.read_bytes() == before  # NOTHING written
    message = err(proc)
    problem = [x for x in message.splitlines() if where in x]
    assert problem, message
    assert member in problem[0], message
    assert "nothing was written" in message
    assert_no_traceback(proc)


@pytest.mark.parametrize(
    ("second", "third", "where", "member"),
    [c[1:] for c in INVALID_BATCHES],
    ids=[c[0] for c in INVALID_BATCHES],
)
async def test_append_command_refuses_batch_in_process(
    tmp_journal: Path,
    tmp_store: Path,
    second: dict[str, Any],
    third: dict[str, Any] | None,
    where: str,
    member: str,
) -> None:
    """What the CLI runs (build_events, then append_to under the journal's lock), in
    process: every refusal names the place and the member, and nothing is written."""
    from data.commands import AppendRefused, append_to, build_events
    from data.engine.journal import FileJournal
    from data.engine.store import Store

    append_events(tmp_journal, [EventFactory().opened("INC-1")])
    before = tmp_journal.read_bytes()
    batch = _invalid_batch(second, third)
    wheres = [f"line {n}" for n in range(1, len(batch) + 1)]
    async with await Store.open(tmp_store) as store:
        with pytest.raises(AppendRefused) as info:
            events = build_events(list(zip(wheres, batch, strict=True)), "amara")
            await append_to(FileJournal(tmp_journal), store, events, wheres)
    problems = info.value.lines
    assert len(problems) == 1, problems
    assert problems[0].startswith(where + ":"), problems
    assert member in problems[0], problems
    assert tmp_journal.read_bytes() == before


def test_batch_with_bad_json_line_writes_nothing(env: dict[str, str], tmp_journal: Path) -> None:
    proc = run_cli(["append"], env, jsonl(opened_input()) + "{not json\n" + "[1, 2]\n")
    assert proc.returncode == 2
    assert not tmp_journal.exists() or tmp_journal.read_bytes() == b""
    assert "line 2: not valid JSON" in err(proc)
    assert "line 3: not a JSON object" in err(proc)
    assert_no_traceback(proc)


def test_oversize_event_refused_like_any_bad_event(env: dict[str, str], tmp_journal: Path) -> None:
    """An event whose line would be over 262,144 bytes is one a reader would quarantine:
    refused like the others (exit 2, the line named), nothing of the batch written."""
    append_events(tmp_journal, [EventFactory().opened("INC-1")])
    before = tmp_journal.read_bytes()
    huge = {
        "type": "handoff.submitted",
        "data": {"handoff": "h", "from": "a", "to": "b", "notes": "🚨" * 65536},
    }
    proc = run_cli(
        ["append"], env, jsonl({"type": "incident.note", "incident": "INC-1", "data": {"text": "ok"}}, huge)
    )
    assert tmp_journal.read_bytes() == before
    assert_no_traceback(proc)
    assert "262144" in err(proc)
    assert proc.returncode == 2, err(proc)
    assert "line 2" in err(proc), err(proc)


def test_unknown_type_refused(env: dict[str, str], tmp_journal: Path) -> None:
    append_events(tmp_journal, [EventFactory().opened("INC-1")])
    before = tmp_journal.read_bytes()
    proc = run_cli(["append", "--type", "incident.frobnicated", "--incident", "INC-1", "--data", "{}"], env)
    assert proc.returncode == 2, err(proc)
    assert "unknown type" in err(proc) and "incident.frobnicated" in err(proc)
    assert tmp_journal.read_bytes() == before
    assert_no_traceback(proc)


def test_event_naming_unopened_incident_refused(env: dict[str, str], tmp_journal: Path) -> None:
    proc = run_cli(
        ["append", "--type", "incident.note", "--incident", "INC-9", "--data", '{"text": "hello"}'], env
    )
    assert proc.returncode == 2
    assert "INC-9" in err(proc) and "never opened" in err(proc)
    assert not tmp_journal.exists() or tmp_journal.read_bytes() == b""
    assert_no_traceback(proc)


def test_append_reads_the_journal_to_its_end_first(env: dict[str, str], tmp_journal: Path) -> None:
    """Lines another writer added (the store never saw them) count: INC-1 is open, and
    opening it again is refused, as is reusing an id already in the journal."""
    e = EventFactory()
    opened = e.opened("INC-1")
    append_events(tmp_journal, [opened])
    proc = run_cli(
        ["append", "--type", "incident.note", "--incident", "INC-1", "--data", '{"text": "seen"}'], env
    )
    assert proc.returncode == 0, err(proc)
    size = tmp_journal.stat().st_size
    proc = run_cli(["append"], env, jsonl(opened_input("INC-1")))
    assert proc.returncode == 2 and "already opened" in err(proc)
    proc = run_cli(
        ["append"],
        env,
        jsonl({"type": "incident.note", "incident": "INC-1", "data": {"text": "x"}, "id": opened["id"]}),
    )
    assert proc.returncode == 2 and opened["id"] in err(proc)
    assert tmp_journal.stat().st_size == size


def test_append_repairs_a_torn_last_line(env: dict[str, str], tmp_journal: Path) -> None:
    e = EventFactory()
    lines = chain([e.opened("INC-1")])
    torn = b'{"v":1,"id":"torn","ts":"2026-11-0'
    tmp_journal.write_bytes(lines[0] + b"\n" + torn)  # a writer died mid-line
    proc = run_cli(
        ["append", "--type", "incident.note", "--incident", "INC-1", "--data", '{"text": "after"}'], env
    )
    assert proc.returncode == 0, err(proc)
    got = read_lines(tmp_journal)
    assert got[:2] == [lines[0], torn]  # the torn bytes are a line of their own
    assert json.loads(got[2])["prev"] == sha256_hex(torn)
    assert tmp_journal.read_bytes().endswith(b"\n")
    import asyncio

    from data.engine.chain import verify
    from data.engine.journal import FileJournal
    from data.engine.store import Store

    report = verify(FileJournal(tmp_journal))
    assert (report.intact, report.lines) == (True, 3)

    async def quarantined() -> list[dict[str, Any]]:
        async with await Store.open(env["WARROOM_DB"]) as store:
            return await store.quarantine()

    # the append's own sync read the torn line: quarantined, with its bytes
    assert [(q.line, q.raw) for q in asyncio.run(quarantined())] == [(2, torn)]


#: ``warroom ARGS`` whose store cannot be written once the journal holds the text given as
#: the first argument (a full disk under the store, right after the append)
_STORE_FAILS_AFTER = """
import sys
from pathlib import Path
from data.engine.store import Store, StoreError
real = Store.sync
taken = sys.argv[1].encode()
async def sync(self, journal, **kw):
    path = Path(journal.location)
    if path.exists() and taken in path.read_bytes():
        raise StoreError(f"writing the store {self.path} failed: database or disk is full")
    return await real(self, journal, **kw)
Store.sync = sync
sys.argv = ["warroom", *sys.argv[2:]]
from app.cli import run
run()
"""

#: ``warroom ARGS`` whose journal takes the batch and then loses the reply (an outcome the
#: writer cannot know: a connection lost while committing, and not back to tell)
_REPLY_LOST = """
import sys
from data.engine.journal import FileJournal, WriteUnknown
real = FileJournal.append
async def append(self, events, **kw):
    ids = await real(self, events, **kw)
    raise WriteUnknown("the journal was lost while committing (test): whether it was written is unknown", ids)
FileJournal.append = append
sys.argv = ["warroom", *sys.argv[1:]]
from app.cli import run
run()
"""


def test_append_the_journal_took_is_reported_written_even_if_the_store_fails(
    env: dict[str, str], tmp_journal: Path
) -> None:
    """The journal has the event, the store cannot be updated after: the ids are printed,
    exit 0, a warning on stderr (issue 12: exit 1 without ids made scripts write twice)."""
    python = str(VENV_BIN / "python")
    event = {**opened_input(), "id": "once-1"}
    proc = run_cli(["append"], env, jsonl(event), command=[python, "-c", _STORE_FAILS_AFTER, '"once-1"'])
    assert proc.returncode == 0, err(proc)
    printed = out(proc).split()  # the event, then its procedure's items
    assert printed[0] == "once-1" and len(printed) > 1
    assert "warning: the journal has the events, but this console's store could not be updated" in err(proc)
    assert "database or disk is full" in err(proc) and "'warroom sync' catches it up" in err(proc)
    assert_no_traceback(proc)
    assert [json.loads(x)["id"] for x in read_lines(tmp_journal)] == printed
    # a script that retries anyway writes nothing twice (nor the procedure's items)
    proc = run_cli(["append"], env, jsonl(event))
    assert proc.returncode == 0, err(proc)
    assert out(proc).split() == ["once-1"]
    assert "the event was in the journal already (the same event): skipped, not written again" in err(proc)
    assert [json.loads(x)["id"] for x in read_lines(tmp_journal)] == printed
    proc = run_cli(["export", "incidents", "--format", "json"], env)
    assert proc.returncode == 0 and [i["id"] for i in json.loads(out(proc))] == ["INC-1"]


def test_append_retried_with_the_same_ids_is_skipped_not_refused(
    env: dict[str, str], tmp_journal: Path
) -> None:
    """Giving ids makes retries safe: events already in the journal, the same (``ts`` may
    differ: it is filled in at each try), are skipped, the rest written; the same id for
    another event is refused (exit 2, nothing written)."""
    batch = [
        {**opened_input(), "id": "r-open"},
        {"type": "incident.note", "incident": "INC-1", "data": {"text": "first"}, "id": "r-note"},
    ]
    proc = run_cli(["append"], env, jsonl(*batch))
    first = out(proc).split()  # the batch, then the procedure's items
    assert proc.returncode == 0 and first[:2] == ["r-open", "r-note"] and len(first) > 2, err(proc)
    before = tmp_journal.read_bytes()
    proc = run_cli(["append"], env, jsonl(*batch))  # the whole batch again
    assert proc.returncode == 0, err(proc)
    assert out(proc).split() == ["r-open", "r-note"]
    assert "all 2 events were in the journal already (the same events): skipped" in err(proc)
    assert tmp_journal.read_bytes() == before
    more = {"type": "incident.note", "incident": "INC-1", "data": {"text": "second"}, "id": "r-more"}
    proc = run_cli(["append"], env, jsonl(*batch, more))  # again, with one more
    assert proc.returncode == 0, err(proc)
    assert out(proc).split() == ["r-open", "r-note", "r-more"]
    assert "2 of the 3 events were in the journal already (the same events): skipped" in err(proc)
    assert [json.loads(x)["id"] for x in read_lines(tmp_journal)] == [*first, "r-more"]
    size = tmp_journal.stat().st_size
    other = {**batch[1], "data": {"text": "not the same"}}
    proc = run_cli(["append"], env, jsonl(other))
    assert proc.returncode == 2
    assert "id r-note is already in the journal, for another event" in err(proc)
    assert tmp_journal.stat().st_size == size
    assert_no_traceback(proc)


def test_append_whose_outcome_is_unknown_exits_3_with_the_ids(env: dict[str, str], tmp_journal: Path) -> None:
    python = str(VENV_BIN / "python")
    proc = run_cli(["append"], env, jsonl(opened_input()), command=[python, "-c", _REPLY_LOST])
    assert proc.returncode == 3, err(proc)
    eid, *procedure = out(proc).split()  # the event, then its procedure's items
    assert procedure
    assert "whether it was written is unknown" in err(proc)
    assert "append the same events again with these ids" in err(proc)
    assert_no_traceback(proc)
    # retried with the printed id: it was written, so it is skipped
    proc = run_cli(["append"], env, jsonl({**opened_input(), "id": eid}))
    assert proc.returncode == 0 and out(proc).split() == [eid], err(proc)
    assert "skipped" in err(proc)
    assert [json.loads(x)["id"] for x in read_lines(tmp_journal)] == [eid, *procedure]


# --- sync -------------------------------------------------------------------------------


def test_sync_json_counts_this_run(env: dict[str, str], tmp_journal: Path) -> None:
    e = EventFactory()
    note = e.note("INC-1", "n")
    append_events(tmp_journal, [e.opened("INC-1"), note, {**e.note("INC-1", "dup"), "id": note["id"]},
                                e("bot.heartbeat", {}), b"garbage", e.note("INC-404")])  # fmt: skip
    proc = run_cli(["sync", "--json"], env)
    assert proc.returncode == 0, err(proc)
    res = json.loads(out(proc))
    assert SYNC_KEYS <= set(res)
    assert {k: res[k] for k in SYNC_KEYS} == {
        "ingested": 2, "duplicates": 1, "quarantined": 2, "unknown": 1, "chain_breaks": 0,
        "offset": tmp_journal.stat().st_size,
    }  # fmt: skip

    # a second run counts only what is new
    write_lines(tmp_journal, [encode({**e.note("INC-1", "broken"), "prev": "d" * 64})])
    append_events(tmp_journal, [e.note("INC-1", "fine"), {**e.note("INC-1", "dup2"), "id": note["id"]}])
    proc = run_cli(["sync", "--json"], env)
    res = json.loads(out(proc))
    assert {k: res[k] for k in SYNC_KEYS} == {
        "ingested": 2, "duplicates": 1, "quarantined": 0, "unknown": 0, "chain_breaks": 1,
        "offset": tmp_journal.stat().st_size,
    }  # fmt: skip

    # the running totals add up both runs
    import asyncio

    from data.engine.store import Store

    async def status() -> Any:
        async with await Store.open(env["WARROOM_DB"]) as store:
            return await store.status()

    st = asyncio.run(status())
    assert st.counters == {
        "lines": 9,
        "applied": 4,
        "unknown": 1,
        "duplicates": 2,
        "quarantined": 2,
        "chain_breaks": 1,
    }
    assert st.offset == tmp_journal.stat().st_size


# --- verify -----------------------------------------------------------------------------


def test_verify_intact_then_broken(env: dict[str, str], tmp_journal: Path) -> None:
    e = EventFactory()
    lines = chain([e.opened("INC-1"), *[e.note("INC-1", f"note {i}") for i in range(2, 7)]])
    write_lines(tmp_journal, lines)
    proc = run_cli(["verify"], env)
    assert proc.returncode == 0, err(proc)
    assert out(proc).strip() == "intact: 6 lines"

    edited = list(lines)
    edited[2] = edited[2].replace(b"note 3", b"note 9")  # edit line 3 in place, same length
    tmp_journal.write_bytes(b"".join(x + b"\n" for x in edited))
    proc = run_cli(["verify"], env)
    assert proc.returncode == 1
    text = out(proc).strip()
    assert text.startswith("broken at line 4: "), text
    assert "line 3" in text
    assert len(text.splitlines()) == 1
    assert_no_traceback(proc)


def test_verify_walk_finds_every_break(tmp_journal: Path) -> None:
    e = EventFactory()
    lines = chain([e.opened("INC-1"), *[e.note("INC-1", f"n{i}") for i in range(5)]])
    del lines[1]  # line 2 removed
    lines[3] = encode({**json.loads(lines[3]), "prev": None})
    write_lines(tmp_journal, lines)
    from data.engine.chain import verify
    from data.engine.journal import FileJournal

    report = verify(FileJournal(tmp_journal))
    assert report.lines == 5
    assert [line for line, _ in report.breaks] == [2, 4, 5]  # 5 carries the hash of 4 as it was


# --- export -----------------------------------------------------------------------------


WORKED_BATCH = [
    {**opened_input("INC-1", summary="Police request; verify first.", regions=["US", "UK"], restricted=True), "ts": "2026-11-01T09:00:00Z", "id": "e1"},
    {"type": "incident.role_set", "incident": "INC-1", "data": {"role": "commander", "person": "amara"}, "ts": "2026-11-01T09:01:00Z", "id": "e2"},
    {"type": "incident.status_set", "incident": "INC-1", "data": {"status": "contained", "reason": "Account restricted"}, "ts": "2026-11-01T09:02:00Z", "id": "e3"},
    {"type": "checklist.added", "incident": "INC-1", "data": {"item": "verify", "text": "Verify the requester", "team": "le_response", "due": "2026-11-01T09:30:00Z", "basis": "good faith"}, "ts": "2026-11-01T09:03:00Z", "id": "e4"},
    {"type": "checklist.set", "incident": "INC-1", "data": {"item": "verify", "state": "blocked", "note": "No answer, \"retrying\", later"}, "ts": "2026-11-01T09:04:00Z", "id": "e5", "actor": "eli"},
    {"type": "incident.note", "incident": "INC-1", "data": {"text": "Called back, line 1,\nline 2"}, "ts": "2026-11-01T09:05:00Z", "id": "e6"},
    # its opener takes part in it (else append would add this, right after its opening)
    {"type": "incident.participant_added", "incident": "INC-1", "data": {"person": "amara"}, "ts": "2026-11-01T09:05:30Z", "id": "e6p"},
    {**opened_input("INC-2", title="Spam surge", category="other", severity=4, source="employee", regions=["EU"]), "ts": "2026-11-01T09:06:00Z", "id": "e7"},
]  # fmt: skip
#: a non-UTF-8 line from a broken writer, line 9
BAD_LINE = b'{"v":1,"id":"bad","note":"caf\xe9 \xff"}'
EXPORTS = [
    ("incidents", "json"), ("incidents", "csv"), ("timeline-INC-1", "json"), ("timeline", "csv"),
    ("checklist", "json"), ("checklist", "csv"), ("quarantine", "json"), ("quarantine", "csv"),
]  # fmt: skip


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two incidents worked through the CLI, a bad line from another writer, and every
    export of the result (the export commands run at once, sharing the store)."""
    base = tmp_path_factory.mktemp("worked")
    journal, store = base / "journal.jsonl", base / "store.db"
    env = cli_env(base, journal, store, actor="amara")
    # --raw: exactly this history, without the procedures' items (timed from now)
    proc = run_cli(["append", "--raw"], env, jsonl(*WORKED_BATCH))
    assert proc.returncode == 0, err(proc)
    append_events(journal, [BAD_LINE])
    calls = []
    for kind, fmt in EXPORTS:
        name, _, incident = kind.partition("-")
        calls.append(
            (["export", name, "--format", fmt, *(["--incident", incident] if incident else [])], env)
        )
    results = run_cli_many(calls)
    exports = {}
    for (kind, fmt), res in zip(EXPORTS, results, strict=True):
        assert res.returncode == 0, (kind, fmt, err(res))
        assert_no_traceback(res)
        exports[kind, fmt] = out(res)
    return {"env": env, "journal": journal, "store": store, "exports": exports, "base": base}


def _csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = list(reader)
    header = rows[0]
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_export_incidents_json_and_csv(worked: dict[str, Any]) -> None:
    rows = json.loads(worked["exports"]["incidents", "json"])
    assert [r["id"] for r in rows] == ["INC-1", "INC-2"]
    assert all(set(r) == set(INCIDENT_FIELDS) for r in rows)
    r = rows[0]
    assert r["title"] == OPENED_DATA["title"]
    assert (r["category"], r["severity"], r["status"], r["source"]) == (
        "edr",
        1,
        "contained",
        "law_enforcement",
    )
    assert r["regions"] == ["US", "UK"]
    assert r["roles"] == {"commander": "amara"}
    assert r["restricted"] is True
    assert r["summary"] == "Police request; verify first."
    assert (r["opened_at"], r["opened_by"]) == ("2026-11-01T09:00:00Z", "amara")
    assert (r["acknowledged_at"], r["contained_at"], r["resolved_at"], r["closed_at"]) == (
        "2026-11-01T09:01:00Z", "2026-11-01T09:02:00Z", None, None,
    )  # fmt: skip
    assert (r["updated_at"], r["events"]) == ("2026-11-01T09:05:30Z", 7)

    header, crow = _csv(worked["exports"]["incidents", "csv"])
    assert header == INCIDENT_FIELDS
    assert [c["id"] for c in crow] == ["INC-1", "INC-2"]
    c = crow[0]
    assert c["title"] == OPENED_DATA["title"]
    assert (c["severity"], c["status"], c["restricted"], c["events"]) == ("1", "contained", "true", "7")
    assert c["regions"] == "US;UK"
    assert c["roles"] == "commander=amara"
    assert c["resolved_at"] == ""  # null is an empty cell
    assert crow[1]["restricted"] == "false"
    assert crow[1]["summary"] == ""


def test_export_timeline_json_and_csv(worked: dict[str, Any]) -> None:
    rows = json.loads(worked["exports"]["timeline-INC-1", "json"])
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert all(set(r) == set(TIMELINE_FIELDS) for r in rows)
    assert [r["id"] for r in rows] == ["e1", "e2", "e3", "e4", "e5", "e6", "e6p"]
    assert [r["type"] for r in rows] == [
        "incident.opened", "incident.role_set", "incident.status_set", "checklist.added", "checklist.set", "incident.note",
        "incident.participant_added",
    ]  # fmt: skip
    assert rows[4]["actor"] == "eli"
    assert rows[5]["text"] == "Called back, line 1,\nline 2"
    assert rows[5]["data"] == {"text": "Called back, line 1,\nline 2"}
    assert rows[2]["data"] == {"status": "contained", "reason": "Account restricted"}
    assert "contained" in rows[2]["text"] and "Account restricted" in rows[2]["text"]
    assert OPENED_DATA["title"] in rows[0]["text"]
    assert all(r["incident"] == "INC-1" for r in rows)

    header, crow = _csv(worked["exports"]["timeline", "csv"])
    assert header == TIMELINE_FIELDS
    assert [c["id"] for c in crow] == ["e1", "e2", "e3", "e4", "e5", "e6", "e6p", "e7"]
    assert crow[5]["text"] == "Called back, line 1,\nline 2"
    assert crow[5]["seq"] == "6"
    assert crow[4]["ts"] == "2026-11-01T09:04:00Z"
    assert crow[7]["incident"] == "INC-2"


def test_export_checklist_json_and_csv(worked: dict[str, Any]) -> None:
    (row,) = json.loads(worked["exports"]["checklist", "json"])
    assert set(row) == set(CHECKLIST_FIELDS)
    assert (row["incident"], row["item"], row["text"], row["team"], row["due"]) == (
        "INC-1", "verify", "Verify the requester", "le_response", "2026-11-01T09:30:00Z",
    )  # fmt: skip
    assert (row["state"], row["note"], row["state_by"], row["state_at"]) == (
        "blocked", 'No answer, "retrying", later', "eli", "2026-11-01T09:04:00Z",
    )  # fmt: skip
    assert (row["basis"], row["template"], row["added_by"], row["added_at"]) == (
        "good faith",
        None,
        "amara",
        "2026-11-01T09:03:00Z",
    )

    header, (c,) = _csv(worked["exports"]["checklist", "csv"])
    assert header == CHECKLIST_FIELDS
    assert c["note"] == 'No answer, "retrying", later'
    assert (c["state"], c["template"], c["basis"]) == ("blocked", "", "good faith")


def test_export_quarantine_json_and_csv(worked: dict[str, Any]) -> None:
    (row,) = json.loads(worked["exports"]["quarantine", "json"])
    assert set(row) == set(QUARANTINE_FIELDS)
    assert row["line"] == 9
    assert "UTF-8" in row["reason"]
    assert row["size"] == len(BAD_LINE)
    assert row["raw"] == '{"v":1,"id":"bad","note":"caf\\xe9 \\xff"}'  # shown escaped
    assert "\\xff" in row["raw"]
    assert row["offset"] == worked["journal"].stat().st_size - len(BAD_LINE) - 1

    header, (c,) = _csv(worked["exports"]["quarantine", "csv"])
    assert header == QUARANTINE_FIELDS
    assert c["raw"] == row["raw"]
    assert c["line"] == "9"
    assert c["reason"] == row["reason"]


def test_export_to_file(worked: dict[str, Any]) -> None:
    target = worked["base"] / "out" / "incidents.csv"
    target.parent.mkdir()
    proc = run_cli(["export", "incidents", "--format", "csv", "-o", str(target)], worked["env"], umask=0o022)
    assert proc.returncode == 0, err(proc)
    assert out(proc) == ""
    text = target.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # a file gets the byte-order mark Excel needs; stdout does not
    text = text[1:]
    header, rows = _csv(text)
    assert header == INCIDENT_FIELDS and len(rows) == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert worked["exports"]["incidents", "csv"] == text


async def test_rebuild(worked: dict[str, Any]) -> None:
    from data.engine.journal import FileJournal
    from data.engine.store import Store

    journal = worked["journal"]
    async with await Store.open(worked["store"]) as store:
        await store.sync(FileJournal(journal))
        before = (await store.digest(), (await store.status()).counters)
    proc = run_cli(["rebuild", "--json"], worked["env"])
    assert proc.returncode == 0, err(proc)
    res = json.loads(out(proc))
    assert res["rebuilt"]
    assert (res["lines"], res["ingested"], res["quarantined"], res["offset"]) == (
        9,
        8,
        1,
        journal.stat().st_size,
    )
    async with await Store.open(worked["store"]) as store:
        st = await store.status()
        assert (await store.digest(), st.counters) == before
        assert st.rebuild_reason


# --- usage errors -----------------------------------------------------------------------


USAGE_ERRORS: list[tuple[str, list[str], str | None]] = [
    ("no-such-command", ["frobnicate"], None),
    ("no-such-option", ["sync", "--bogus"], None),
    ("missing-format", ["export", "incidents"], None),
    ("missing-kind", ["export"], None),
    ("format-without-value", ["export", "incidents", "--format"], None),
    ("bad-format", ["export", "incidents", "--format", "xml"], None),
    ("bad-kind", ["export", "everything", "--format", "json"], None),
    ("extra-argument", ["status", "extra"], None),
    ("incident-without-type", ["append", "--incident", "INC-1"], None),
    ("data-not-json", ["append", "--type", "incident.note", "--incident", "INC-1", "--data", "{"], None),
    ("empty-stdin", ["append"], ""),
    ("bad-actor", ["--actor", "a\x1bb", "sync"], None),
    ("actor-too-long", ["sync", "--actor", "a" * 65], None),
]


@pytest.mark.parametrize(
    ("args", "stdin"), [(c[1], c[2]) for c in USAGE_ERRORS], ids=[c[0] for c in USAGE_ERRORS]
)
def test_usage_error_is_one_line(
    env: dict[str, str], tmp_journal: Path, args: list[str], stdin: str | None
) -> None:
    proc = run_cli(args, env, stdin)
    assert proc.returncode != 0
    assert out(proc) == ""
    message = err(proc)
    assert message.endswith("\n")
    assert len(message.splitlines()) == 1, message
    assert message.strip()
    assert_no_traceback(proc)
    assert not tmp_journal.exists()


def test_path_errors_are_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cases = [
        (["sync"], cli_env(tmp_path, folder, tmp_path / "s.db")),  # the journal is a folder
        (["sync"], cli_env(tmp_path, tmp_path / "j.jsonl", folder)),  # the store is a folder
        (["sync"], cli_env(tmp_path, tmp_path / "j.jsonl", blocker / "s.db")),  # cannot create the store
        (["verify"], cli_env(tmp_path, tmp_path / "missing.jsonl", tmp_path / "s2.db")),  # no journal
    ]
    for args, env in cases:
        proc = run_cli(args, env)
        assert proc.returncode != 0, (args, env["WARROOM_JOURNAL"], env["WARROOM_DB"])
        assert len(err(proc).splitlines()) == 1, err(proc)
        assert_no_traceback(proc)


# --- files the CLI creates --------------------------------------------------------------


def test_created_files_are_private(tmp_path: Path) -> None:
    journal = tmp_path / "deep" / "j" / "journal.jsonl"
    store = tmp_path / "deep" / "s" / "store.db"
    env = cli_env(tmp_path, journal, store)
    # append creates the journal, the store and their folders, even with a permissive
    # umask in the caller
    proc = run_cli(["append"], env, jsonl(opened_input()), umask=0o000)
    assert proc.returncode == 0, err(proc)
    created = [journal, store, *store.parent.glob("store.db-*")]
    for p in created:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p, oct(p.stat().st_mode))
    for d in (journal.parent, store.parent):
        assert stat.S_IMODE(d.stat().st_mode) & 0o077 == 0, (d, oct(d.stat().st_mode))


def test_sync_creates_private_store_for_existing_journal(
    env: dict[str, str], tmp_journal: Path, tmp_store: Path
) -> None:
    append_events(tmp_journal, [EventFactory().opened()])
    proc = run_cli(["sync"], env, umask=0o000)
    assert proc.returncode == 0, err(proc)
    assert stat.S_IMODE(tmp_store.stat().st_mode) == 0o600
    assert "1 applied" in out(proc)
