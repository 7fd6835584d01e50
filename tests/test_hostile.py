"""Every hostile string (markup, ANSI, backslash, 10 KB, RTL, emoji, CJK, CR LF, NUL, OSC
sequences, a C1 CSI, DEL, bidi marks) in every free-text place: incident title and summary,
note text, actor, checklist text and note, handoff notes and readback. Where the format
allows it, it is stored byte-exact (read back from the store equals the input) and exported
exactly in JSON (controls as \\u escapes) and in CSV with ``--raw-text``, and by default in
CSV with its controls visibly escaped (docs/security.md); where it does not (length limits,
an actor must be printable), the append command refuses it, naming the member."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from data.commands import AppendRefused, append_to, build_events
from data.config import check_actor
from data.engine.config import ConfigError
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.incidents import queries as incident_queries
from data.incidents.export import raw_text, render, rows
from tests.helpers import (
    HOSTILE,
    HOSTILE_IDS,
    EventFactory,
    append_events,
    cli_env,
    read_lines,
    run_cli,
    run_cli_many,
    shown_escaped,
    terminal_unsafe,
)

OPENED = {
    "title": "Hostile text test",
    "category": "other",
    "severity": 3,
    "source": "employee",
    "regions": ["EU"],
}


def printable(s: str) -> bool:
    """The spec's "printable": no control, format, separator or unassigned characters,
    except the space (checked here independently of the code under test)."""
    return all(c == " " or unicodedata.category(c)[0] not in "CZ" for c in s)


# field name -> (is the value valid?, the member a refusal must name, the event carrying it)
FIELDS: dict[str, tuple[Callable[[str], bool], str, Callable[[str], dict[str, Any]]]] = {
    "title": (
        lambda h: 1 <= len(h) <= 200,
        "data.title",
        lambda h: {"type": "incident.opened", "incident": "TITLE", "data": {**OPENED, "title": h}},
    ),
    "summary": (
        lambda h: len(h) <= 8000,
        "data.summary",
        lambda h: {"type": "incident.opened", "incident": "SUMMARY", "data": {**OPENED, "summary": h}},
    ),
    "actor": (
        lambda h: 1 <= len(h) <= 64 and printable(h),
        "actor",
        lambda h: {"type": "incident.opened", "incident": "ACTOR", "data": OPENED, "actor": h},
    ),
    "note": (
        lambda h: 1 <= len(h) <= 8000,
        "data.text",
        lambda h: {"type": "incident.note", "incident": "BASE", "data": {"text": h}},
    ),
    "checklist_text": (
        lambda h: 1 <= len(h) <= 2000,
        "data.text",
        lambda h: {
            "type": "checklist.added",
            "incident": "BASE",
            "data": {"item": "hostile", "text": h, "team": "legal"},
        },
    ),
    "checklist_note": (
        lambda h: len(h) <= 8000,
        "data.note",
        lambda h: {
            "type": "checklist.set",
            "incident": "BASE",
            "data": {"item": "base", "state": "blocked", "note": h},
        },
    ),
    "handoff_notes": (
        lambda h: len(h) <= 65536,
        "data.notes",
        lambda h: {
            "type": "handoff.submitted",
            "data": {"handoff": "h1", "from": "hugo", "to": "isla", "notes": h},
        },
    ),
    "handoff_readback": (
        lambda h: 1 <= len(h) <= 65536,
        "data.readback",
        lambda h: {"type": "handoff.acknowledged", "data": {"handoff": "h1", "readback": h}},
    ),
}

BASE = [
    {"type": "incident.opened", "incident": "BASE", "data": OPENED},
    {
        "type": "checklist.added",
        "incident": "BASE",
        "data": {"item": "base", "text": "Base item", "team": "legal"},
    },
]


def export_json(fields: list[str], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    text = render(fields, items, "json")
    assert not terminal_unsafe(text, allow="\n")  # exact, yet every control escaped
    return json.loads(text)


def export_csv(fields: list[str], items: list[dict[str, Any]], raw: bool = False) -> list[dict[str, str]]:
    text = render(fields, items, "csv", raw=raw)
    if not raw:
        assert not terminal_unsafe(text, allow="\r\n\t")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == fields
    return [dict(zip(fields, r, strict=True)) for r in table[1:]]


def one(items: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    found = [r for r in items if all(r[k] == v for k, v in where.items())]
    assert len(found) == 1, (where, len(found))
    return found[0]


def test_hostile_fixture(hostile: list[str]) -> None:
    assert hostile == HOSTILE
    assert len(hostile[HOSTILE_IDS.index("10kb")].encode()) >= 10 * 1024
    joined = "".join(hostile)
    for needle in (
        "[/",
        "[/foo]",
        "[red]x[/]",
        "[@click=app.quit]x[/]",
        "\x1b[31m",
        "\\",
        "\u202e",
        "\r\n",
        "\x00",
        "\x1b]2;",
        "\x1b]52;c;",
        "\x9b",
        "\x7f",
    ):
        assert needle in joined
    assert any(s.endswith("\\") for s in hostile)


@pytest.mark.parametrize("h", HOSTILE, ids=HOSTILE_IDS)
async def test_hostile_string_everywhere(tmp_journal: Path, tmp_store: Path, h: str) -> None:
    valid = {name: spec[0](h) for name, spec in FIELDS.items()}

    # refused where the format does not allow it, naming the member; nothing is written
    for name, (ok, member, make) in FIELDS.items():
        if not ok(h):
            with pytest.raises(AppendRefused) as info:
                build_events([("hostile", make(h))], "tester")
            assert member + ":" in info.value.lines[0], (name, info.value.lines)
    if not valid["actor"]:
        with pytest.raises(ConfigError):
            check_actor(h)
    else:
        check_actor(h)

    # stored where it is allowed: through the real append path
    batch = list(BASE) + [FIELDS[name][2](h) for name in FIELDS if valid[name]]
    events = build_events([(f"event {n}", obj) for n, obj in enumerate(batch, 1)], "tester")
    journal = FileJournal(tmp_journal)
    async with await Store.open(tmp_store) as store:
        await append_to(journal, store, events)

        # the journal holds it exactly (as JSON)
        in_journal = [json.loads(line) for line in read_lines(tmp_journal)]
        assert len(in_journal) == len(batch)
        for ev, obj in zip(in_journal, batch, strict=True):
            assert ev["data"] == obj["data"]
            assert ev["actor"] == obj.get("actor", "tester")

        # read back from the store
        incs = {r.id: r for r in await store.incidents()}
        if valid["title"]:
            assert incs["TITLE"].title == h
        if valid["summary"]:
            assert incs["SUMMARY"].summary == h
        if valid["actor"]:
            assert incs["ACTOR"].opened_by == h
            assert (await incident_queries.timeline(store, "ACTOR"))[0].actor == h
        if valid["note"]:
            notes = [r for r in await incident_queries.timeline(store, "BASE") if r.type == "incident.note"]
            assert [r.data["text"] for r in notes] == [h]
        items = {r.item: r for r in await incident_queries.checklist(store, "BASE")}
        if valid["checklist_text"]:
            assert items["hostile"].text == h
        if valid["checklist_note"]:
            assert items["base"].note == h
            assert [x.note for x in await incident_queries.checklist_history(store, "BASE")] == [h]
        handoffs = await incident_queries.handoffs(store)
        if valid["handoff_notes"] or valid["handoff_readback"]:
            (ho,) = handoffs
            if valid["handoff_notes"]:
                assert ho.notes == h
            if valid["handoff_readback"]:
                assert ho.readback == h

        # exported exactly in JSON and in CSV --raw-text, visibly escaped in CSV by default
        shown = shown_escaped(h, keep_lines=True)
        fields, inc_rows = await rows(store, "incidents")
        for exported, want in (
            (export_json(fields, inc_rows), h),
            (export_csv(fields, inc_rows), shown),
            (export_csv(fields, inc_rows, raw=True), h),
        ):
            if valid["title"]:
                assert one(exported, id="TITLE")["title"] == want
            if valid["summary"]:
                assert one(exported, id="SUMMARY")["summary"] == want
            if valid["actor"]:
                assert one(exported, id="ACTOR")["opened_by"] == want
        fields, tl_rows = await rows(store, "timeline")
        tl_json = export_json(fields, tl_rows)
        if valid["note"]:
            assert one(tl_json, type="incident.note")["text"] == h
            assert one(tl_json, type="incident.note")["data"] == {"text": h}
        if valid["actor"]:
            assert one(tl_json, incident="ACTOR")["actor"] == h
        if valid["title"]:
            assert one(tl_json, incident="TITLE")["data"]["title"] == h
            assert one(tl_json, incident="TITLE")["text"].endswith(": " + h)
        for tl_csv, want in (
            (export_csv(fields, tl_rows), shown),
            (export_csv(fields, tl_rows, raw=True), h),
        ):
            if valid["note"]:
                assert one(tl_csv, type="incident.note")["text"] == want
            if valid["actor"]:
                assert one(tl_csv, incident="ACTOR")["actor"] == want
            if valid["title"]:
                assert one(tl_csv, incident="TITLE")["text"].endswith(": " + want)
        fields, cl_rows = await rows(store, "checklist")
        for exported, want in (
            (export_json(fields, cl_rows), h),
            (export_csv(fields, cl_rows), shown),
            (export_csv(fields, cl_rows, raw=True), h),
        ):
            if valid["checklist_text"]:
                assert one(exported, item="hostile")["text"] == want
            if valid["checklist_note"]:
                assert one(exported, item="base")["note"] == want


@pytest.mark.parametrize("h", HOSTILE, ids=HOSTILE_IDS)
async def test_hostile_string_in_quarantined_lines(tmp_journal: Path, store: Store, h: str) -> None:
    """A bad line carrying the string (a JSON object with a bad member, and the string as
    a line of its own) is kept byte-exact and exported as the same text (in CSV, by
    default, with its controls visibly escaped)."""
    e = EventFactory()
    bad_object = {**e.opened("INC-1", title=h), "v": 2}
    items: list[Any] = [e.opened("INC-0"), bad_object]
    if "\n" not in h:
        items.append(h.encode("utf-8"))
    lines = append_events(tmp_journal, items)
    await store.sync(FileJournal(tmp_journal))
    stored = await store.quarantine()
    assert [q.raw for q in stored] == lines[1:]
    fields, q_rows = await rows(store, "quarantine")
    expected = [raw.decode("utf-8") for raw in lines[1:]]
    assert [r["raw"] for r in export_json(fields, q_rows)] == expected
    assert [r["raw"] for r in export_csv(fields, q_rows, raw=True)] == expected
    assert [r["raw"] for r in export_csv(fields, q_rows)] == [
        shown_escaped(x, keep_lines=True) for x in expected
    ]
    assert [raw_text(raw) for raw in lines[1:]] == expected
    # the JSON line's own text decodes back to the string
    assert json.loads(expected[0])["data"]["title"] == h


def test_hostile_strings_through_the_cli(tmp_path: Path) -> None:
    """One batch carrying every hostile string wherever it is valid, appended with the real
    command, then exported with the real command as JSON and CSV: JSON and CSV --raw-text
    exact, CSV visibly escaped by default, and no terminal-unsafe character on standard
    output but with --raw-text."""
    journal, store = tmp_path / "journal.jsonl", tmp_path / "store.db"
    env = cli_env(tmp_path, journal, store)
    batch: list[dict[str, Any]] = []
    expect: dict[str, str] = {}
    for i, h in enumerate(HOSTILE):
        inc = f"H-{i}"
        ok = {name: spec[0](h) for name, spec in FIELDS.items()}
        data = {
            **OPENED,
            "title": h if ok["title"] else f"title {i}",
            "summary": h if ok["summary"] else None,
        }
        opened: dict[str, Any] = {"type": "incident.opened", "incident": inc, "data": data}
        if ok["actor"]:
            opened["actor"] = h
        batch += [
            opened,
            {"type": "incident.note", "incident": inc, "data": {"text": h if ok["note"] else "n"}},
            {"type": "checklist.added", "incident": inc, "data": {"item": "x", "text": h if ok["checklist_text"] else "t", "team": "comms"}},
            {"type": "checklist.set", "incident": inc, "data": {"item": "x", "state": "skipped", "note": h if ok["checklist_note"] else "n"}},
        ]  # fmt: skip
        expect[inc] = h
    stdin = "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in batch)
    # CR LF inside JSON strings is escaped, so each event is still one line
    assert stdin.count("\n") == len(batch)
    proc = run_cli(["append"], env, stdin)
    assert proc.returncode == 0, proc.stderr.decode()
    # the batch, then the opened incidents' procedures (checklist items other than "x")
    written = [json.loads(line) for line in journal.read_bytes().splitlines()]
    assert [e["id"] for e in written] == proc.stdout.decode().split()
    given = [e for e in written if e["type"] != "checklist.added" or e["data"]["item"] == "x"]
    assert len(given) == len(batch) < len(written)

    # JSON and CSV of every kind are checked in process above; through the CLI (its own
    # standard output) one of each format per kind is enough, and each costs a CLI start
    kinds = [("incidents", "csv"), ("timeline", "json"), ("checklist", "csv"), ("incidents", "json"),
             ("incidents", "raw"), ("checklist", "raw")]  # fmt: skip
    results = run_cli_many([
        (["export", k, "--format", "csv" if f == "raw" else f, *(["--raw-text"] if f == "raw" else [])], env)
        for k, f in kinds
    ])  # fmt: skip
    exports: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for (k, f), res in zip(kinds, results, strict=True):
        assert res.returncode == 0, (k, f, res.stderr.decode())
        text = res.stdout.decode("utf-8")
        if f != "raw":  # nothing a terminal would act on reaches standard output
            assert not terminal_unsafe(text, allow="\n" if f == "json" else "\r\n\t"), (k, f)
        if f == "json":
            exports[k, f] = json.loads(text)
        else:
            table = list(csv.reader(io.StringIO(text, newline="")))
            exports[k, f] = [dict(zip(table[0], r, strict=True)) for r in table[1:]]

    checked = 0
    for inc, h in expect.items():
        ok = {name: spec[0](h) for name, spec in FIELDS.items()}
        note = one(exports["timeline", "json"], incident=inc, type="incident.note")
        if ok["note"]:
            assert note["text"] == h, inc
        for f in ("json", "csv", "raw"):
            want = shown_escaped(h, keep_lines=True) if f == "csv" else h
            r = one(exports["incidents", f], id=inc)
            if ok["summary"]:
                assert r["summary"] == want, (inc, f)
            if ok["title"]:
                assert r["title"] == want, (inc, f)
            if ok["actor"]:
                assert r["opened_by"] == want, (inc, f)
            if f != "json":
                item = one(exports["checklist", f], incident=inc, item="x")
                if ok["checklist_text"]:
                    assert item["text"] == want, (inc, f)
                if ok["checklist_note"]:
                    assert item["note"] == want, (inc, f)
            checked += sum(
                ok[k] for k in ("summary", "title", "actor", "note", "checklist_text", "checklist_note")
            )
    assert checked > 100


_UNPRINTABLE = [
    (s, i) for s, i in zip(HOSTILE, HOSTILE_IDS, strict=True) if not printable(s) and "\x00" not in s
]


@pytest.mark.parametrize("h", [s for s, _ in _UNPRINTABLE], ids=[i for _, i in _UNPRINTABLE])
def test_cli_refuses_unprintable_actor(tmp_path: Path, h: str) -> None:
    """WARROOM_ACTOR with control or format characters (NUL cannot be in an environment
    variable): one line on stderr, the value shown escaped, exit 2, nothing written."""
    journal, store = tmp_path / "journal.jsonl", tmp_path / "store.db"
    env = cli_env(tmp_path, journal, store, actor=h)
    proc = run_cli(
        ["append", "--type", "incident.opened", "--incident", "INC-1", "--data", json.dumps(OPENED)], env
    )
    assert proc.returncode == 2
    message = proc.stderr.decode("utf-8")
    assert "actor" in message
    assert len(message.splitlines()) == 1, message
    assert "\x1b" not in message and "\u202e" not in message and "\r" not in message
    assert "Traceback" not in message
    assert not journal.exists() or journal.read_bytes() == b""


def test_export_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """JSON and CSV exports are UTF-8 text: a console script run where standard output is
    not UTF-8 (PYTHONIOENCODING, a legacy locale) still exports non-ASCII text exactly,
    rather than dying with a UnicodeEncodeError traceback."""
    journal, store = tmp_path / "journal.jsonl", tmp_path / "store.db"
    e = EventFactory()
    title = HOSTILE[HOSTILE_IDS.index("cjk")] + " " + HOSTILE[HOSTILE_IDS.index("emoji")]
    append_events(journal, [e.opened("INC-1", title=title)])
    env = {**cli_env(tmp_path, journal, store), "PYTHONIOENCODING": "ascii"}
    proc = run_cli(["export", "incidents", "--format", "json"], env)
    assert "Traceback" not in proc.stderr.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0
    (row,) = json.loads(proc.stdout.decode("utf-8"))
    assert row["title"] == title
