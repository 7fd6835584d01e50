"""The shift-handoff report (data/handoff/report.py) and ``warroom handoff``: the window since the
last acknowledged handoff, clocks due in the next shift, incidents, the watch list,
need-to-know, team load, JSON and Markdown (hostile text kept literal)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from data.engine.journal import FileJournal
from data.engine.store import Store
from data.handoff.report import HandoffError, HandoffReport, build_handoff, to_json, to_markdown
from data.privacy.text import clean, raw_controls
from data.procedures.clocks import Policy
from tests._console_helpers import opened, scoped, seed, settings_for
from tests.helpers import HOSTILE, TEN_KB_LINE, run_cli, shown_escaped, terminal_unsafe

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def ts(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _events() -> list[dict[str, Any]]:
    n = 0

    def ev(
        etype: str, data: dict[str, Any], incident: str | None = None, at: float = -1, actor: str = "amara"
    ) -> dict[str, Any]:
        nonlocal n
        n += 1
        e: dict[str, Any] = {"v": 1, "id": f"HO{n:06d}", "ts": ts(at), "actor": actor, "type": etype}
        if incident:
            e["incident"] = incident
        e["data"] = data
        return e

    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    opened_data = {"category": "edr", "source": "law_enforcement", "regions": ["UK"]}
    return [
        ev("roster.person", {"handle": "hugo", "name": "Hugo Martin", "team": "emergency_response", "region": "UK",
                             "tz": "Europe/London"}, at=-100),
        ev("roster.person", {"handle": "isla", "name": "Isla Thompson", "team": "emergency_response", "region": "UK",
                             "tz": "Europe/London"}, at=-100),
        # 24-hour shifts from 15:00 London (= UTC in November), one person a day: hugo on
        # 21 Nov 15:00 → 22 Nov 15:00 UTC, isla on 22 Nov 15:00 → 23 Nov 15:00 UTC
        ev("roster.rotation", {"rotation": "uk-ic", "team": "emergency_response", "region": "UK",
                               "tz": "Europe/London", "days": every_day, "start": "15:00", "hours": 24,
                               "members": ["hugo", "isla"], "anchor": "2026-11-21", "turn_days": 1}, at=-100),
        ev("roster.rotation", {"rotation": "au-ic", "team": "emergency_response", "region": "AU",
                               "tz": "Australia/Sydney", "days": every_day, "start": "08:00", "hours": 12,
                               "members": ["kai"], "anchor": "2026-01-04"}, at=-100),
        # the incidents, opened before the shift
        ev("incident.opened", {**opened_data, "title": "EDR: welfare concern", "severity": 1}, "INC-1", at=-15),
        ev("incident.role_set", {"role": "commander", "person": "hugo"}, "INC-1", at=-15),
        ev("incident.opened", {**opened_data, "title": "Secret title", "severity": 2, "restricted": True,
                               "category": "csea"}, "INC-2", at=-14),
        ev("incident.role_set", {"role": "commander", "person": "isla"}, "INC-2", at=-14),
        ev("incident.note", {"text": "before the handoff"}, "INC-1", at=-12, actor="zoe"),
        # handoffs: an old one of UK, the last acknowledged one of UK (10 h ago), one of AU
        # acknowledged later, and a UK one submitted but not acknowledged
        ev("handoff.submitted", {"handoff": "h-old", "from": "isla", "to": "hugo", "region": "UK", "notes": "old"},
           at=-21),
        ev("handoff.acknowledged", {"handoff": "h-old", "readback": "ok"}, at=-20, actor="hugo"),
        ev("handoff.submitted", {"handoff": "h-last", "from": "isla", "to": "hugo", "region": "UK",
                                 "notes": "INC-1 waits on Legal"}, at=-10.5, actor="isla"),
        ev("handoff.acknowledged", {"handoff": "h-last", "readback": "INC-1 waits on Legal"}, at=-10,
           actor="hugo"),
        ev("handoff.submitted", {"handoff": "h-au", "from": "kai", "to": "kai", "region": "AU", "notes": "-"},
           at=-2.5, actor="kai"),
        ev("handoff.acknowledged", {"handoff": "h-au", "readback": "-"}, at=-2, actor="kai"),
        ev("handoff.submitted", {"handoff": "h-open", "from": "hugo", "to": "isla", "region": "UK", "notes": "-"},
           at=-1, actor="hugo"),
        # during the shift
        ev("incident.note", {"text": "Called the officer back"}, "INC-1", at=-5, actor="hugo"),
        ev("incident.note", {"text": "Legal agreed"}, "INC-1", at=-4),
        ev("checklist.added", {"item": "late", "text": "Log the request", "team": "le_response", "due": ts(-1)},
           "INC-1", at=-4),
        ev("checklist.added", {"item": "legal", "text": "Good-faith decision", "team": "legal", "due": ts(2)},
           "INC-1", at=-4),
        ev("checklist.added", {"item": "later", "text": "Review the preservation", "team": "legal",
                               "due": ts(40)}, "INC-1", at=-4),
        ev("checklist.added", {"item": "done", "text": "Done already", "team": "legal", "due": ts(1)},
           "INC-1", at=-4),
        ev("checklist.set", {"item": "done", "state": "done"}, "INC-1", at=-3),
        ev("incident.note", {"text": "Secret note"}, "INC-2", at=-1),
        ev("checklist.added", {"item": "x", "text": "Secret step", "team": "legal", "due": ts(3)}, "INC-2", at=-1),
        ev("incident.opened", {**opened_data, "title": "Spam wave in comments", "severity": 4,
                               "category": "other", "source": "proactive_detection"}, "INC-4", at=-3),
        ev("incident.opened", {**opened_data, "title": "Closed matter", "severity": 3}, "INC-9", at=-6),
        ev("incident.status_set", {"status": "closed"}, "INC-9", at=-5),
    ]  # fmt: skip


async def _report(tmp_path: Path, events: list[dict[str, Any]], actor: str = "hugo",
                  region: str | None = None) -> HandoffReport:  # fmt: skip
    journal = FileJournal(tmp_path / "journal.jsonl")
    await journal.append(events)
    async with await Store.open(tmp_path / "store.db") as store:
        await store.sync(journal)
        return await build_handoff(store, actor, region, NOW, Policy())


@pytest.fixture
def report(tmp_path: Path) -> HandoffReport:
    return asyncio.run(_report(tmp_path, _events()))


def test_header_people_region_and_windows(report: HandoffReport) -> None:
    assert report.region == "UK" and report.rotation == "uk-ic" and report.tz == "Europe/London"
    assert (report.outgoing.handle, report.outgoing.name) == ("hugo", "Hugo Martin")
    assert report.incoming.handle == "isla"
    # the shift began when the last acknowledged UK handoff was acknowledged (not the AU
    # one, not the unacknowledged one)
    assert report.since_handoff == "h-last"
    assert report.shift_start == NOW - timedelta(hours=10)
    assert report.next_shift_start == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    assert report.next_shift_end == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_changes_since_the_last_acknowledged_handoff(report: HandoffReport) -> None:
    inc1 = next(i for i in report.incidents if i.id == "INC-1")
    # the note before the handoff and the opening are out; 2 notes, 4 items, 1 set are in
    assert inc1.changes == 7
    assert [c.type for c in inc1.last_changes] == ["checklist.added", "checklist.added", "checklist.set"]
    assert all(c.text for c in inc1.last_changes)  # described (the actor may see them)
    md = to_markdown(report)
    assert "before the handoff" not in md
    assert "Called the officer back" not in md  # counted, but not among the last three


def test_time_critical_clocks_due_in_the_next_shift_by_severity_then_due_time(report: HandoffReport) -> None:
    items = [(t.incident, t.what) for t in report.time_critical if t.kind == "item"]
    assert items == [("INC-1", "Log the request"), ("INC-1", "Good-faith decision"), ("INC-2", None)]
    order = [(t.severity, t.due) for t in report.time_critical]
    assert order == sorted(order)
    assert [t.key for t in report.time_critical if t.kind == "item"] == ["INC-1/item/late", "INC-1/item/legal",
                                                                         "INC-2/item/x"]  # fmt: skip
    assert all(t.due < report.next_shift_end for t in report.time_critical)
    assert "Review the preservation" not in [t.what for t in report.time_critical]  # due after the window
    assert report.time_critical[0].state == "overdue"
    # the update clocks of the severity 1-2 incidents are time-critical too
    assert {t.incident for t in report.time_critical if t.kind == "update"} == {"INC-1", "INC-2"}


def test_time_critical_puts_the_most_severe_first_even_when_due_later(tmp_path: Path) -> None:
    """An S4 item due in ten minutes comes after an S1 item due in two hours."""
    events = _events()
    base = {"v": 1, "ts": ts(-0.5), "actor": "amara"}
    events += [
        {**base, "id": "HO-S4", "type": "checklist.added", "incident": "INC-4",
         "data": {"item": "soon", "text": "Spam sweep", "team": "legal", "due": ts(1 / 6)}},
    ]  # fmt: skip
    report = asyncio.run(_report(tmp_path, events))
    whats = [t.what for t in report.time_critical if t.kind == "item"]
    assert whats.index("Good-faith decision") < whats.index("Spam sweep")  # S1 due 05:00, S4 due 03:10
    assert [t.severity for t in report.time_critical] == sorted(t.severity for t in report.time_critical)
    md = to_markdown(report)
    assert md.index("Good-faith decision") < md.index("Spam sweep")


def test_incidents_in_queue_order_watch_list_and_restricted_text(report: HandoffReport) -> None:
    assert [i.id for i in report.incidents] == ["INC-1", "INC-2", "INC-4"]  # INC-9 is closed
    inc2 = next(i for i in report.incidents if i.id == "INC-2")
    assert inc2.title is None and inc2.restricted and inc2.commander == "isla"
    assert inc2.changes == 2 and all(c.text is None for c in inc2.last_changes)
    assert [(o.item, o.text) for o in inc2.open_items] == [("x", None)]
    inc1 = next(i for i in report.incidents if i.id == "INC-1")
    assert [o.item for o in inc1.open_items] == ["late", "legal", "later"]  # done is not open
    assert [(w.id, w.title) for w in report.watch] == [("INC-4", "Spam wave in comments")]
    md = to_markdown(report)
    for secret in ("Secret title", "Secret note", "Secret step"):
        assert secret not in md
        assert secret not in json.dumps(to_json(report))
    assert "(restricted)" in md


def test_the_commander_of_a_restricted_incident_sees_its_text(tmp_path: Path) -> None:
    report = asyncio.run(_report(tmp_path, _events(), actor="isla"))
    inc2 = next(i for i in report.incidents if i.id == "INC-2")
    assert inc2.title == "Secret title" and inc2.open_items[0].text == "Secret step"
    assert report.region == "UK" and report.outgoing.handle == "hugo"  # who is on call, not the actor


def test_team_state_counts_the_incidents_each_person_commanded(report: HandoffReport) -> None:
    loads = {t.person: (t.commanded, t.over) for t in report.team}
    # hugo and isla command INC-1 and INC-2 (since before the shift: still this shift);
    # amara wrote to four incidents and commanded none, zoe wrote before the shift
    assert loads == {"hugo": (1, False), "isla": (1, False)}
    assert round(report.guideline, 2) == round(2 * 10 / 12, 2)


def _load_events() -> list[dict[str, Any]]:
    """A 12-hour window (no acknowledged handoff): nia commands three incidents in it, sam
    is the scribe of one and writes 50 notes, ola commanded one and handed it to nia
    before the window, tom commands an incident closed before the window, and kai takes
    one over for the last hour."""
    n = 0

    def ev(etype: str, data: dict[str, Any], incident: str, at: float, actor: str = "nia") -> dict[str, Any]:
        nonlocal n
        n += 1
        return {"v": 1, "id": f"LD{n:06d}", "ts": ts(at), "actor": actor, "type": etype, "incident": incident,
                "data": data}  # fmt: skip

    base = {"category": "other", "source": "user_report", "regions": ["UK"], "severity": 3}
    out = []
    for k, inc in enumerate(("L-1", "L-2", "L-3")):
        out.append(ev("incident.opened", {**base, "title": f"Wave {k}"}, inc, at=-20 + k))
    out += [
        ev("incident.role_set", {"role": "commander", "person": "ola"}, "L-1", at=-16, actor="ola"),
        ev("incident.role_set", {"role": "commander", "person": "nia"}, "L-1", at=-13),  # ola hands over
        ev("incident.role_set", {"role": "commander", "person": "nia"}, "L-2", at=-5),
        ev("incident.role_set", {"role": "commander", "person": "nia"}, "L-3", at=-4),
        ev("incident.role_set", {"role": "commander", "person": "kai"}, "L-3", at=-1, actor="kai"),
        ev("incident.role_set", {"role": "commander", "person": "nia"}, "L-3", at=-0.5),  # back: L-3 once
        ev("incident.role_set", {"role": "scribe", "person": "sam"}, "L-2", at=-5),
        ev("incident.opened", {**base, "title": "Settled"}, "L-9", at=-30, actor="tom"),
        ev("incident.role_set", {"role": "commander", "person": "tom"}, "L-9", at=-30, actor="tom"),
        ev("incident.status_set", {"status": "resolved"}, "L-9", at=-20, actor="tom"),
    ]
    out += [ev("incident.note", {"text": f"note {k}"}, "L-2", at=-4 + k / 20, actor="sam") for k in range(50)]
    return out


def test_team_load_flags_three_incidents_commanded_in_12_hours_not_notes(tmp_path: Path) -> None:
    report = asyncio.run(_report(tmp_path, _load_events(), actor="nia"))
    assert report.shift_start == NOW - timedelta(hours=12) and report.guideline == 2.0
    loads = {t.person: (t.commanded, t.over) for t in report.team}
    # nia: L-1 (from ola before the window), L-2 and L-3 (once, though she took it back)
    assert loads["nia"] == (3, True)
    assert loads["kai"] == (1, False)  # commander for half an hour of the window
    assert "sam" not in loads  # 50 notes as scribe: no incident commanded
    assert "ola" not in loads  # handed over before the window began
    assert "tom" not in loads  # his incident was settled before the window
    assert [t.person for t in report.team] == ["nia", "kai"]
    md = to_markdown(report)
    assert "- nia: commanded 3 incidents · **above the guideline**" in md
    assert "- kai: commanded 1 incident\n" in md
    assert "more than 2 per 12 h, scaled to the shift's length, is above the guideline" in md
    doc = to_json(report)["team"]
    assert doc["people"][0] == {"person": "nia", "commanded": 3, "over": True}
    assert "commander of at any moment" in doc["rule"] and doc["guideline"] == 2.0


def test_team_load_after_an_acknowledged_handoff_counts_holds_still_running(tmp_path: Path) -> None:
    """The window begins at the acknowledgement line: a hold ended before it is not counted."""
    events = _load_events()
    ack = [
        {"v": 1, "id": "LDH1", "ts": ts(-10.5), "actor": "ola", "type": "handoff.submitted",
         "data": {"handoff": "h", "from": "ola", "to": "nia", "notes": "-"}},
        {"v": 1, "id": "LDH2", "ts": ts(-10), "actor": "nia", "type": "handoff.acknowledged",
         "data": {"handoff": "h", "readback": "-"}},
    ]  # fmt: skip
    in_order = sorted(events + ack, key=lambda e: e["ts"])  # the journal in time order
    report = asyncio.run(_report(tmp_path, in_order, actor="nia", region="all"))
    assert report.since_handoff == "h"
    loads = {t.person: (t.commanded, t.over) for t in report.team}
    assert loads == {"nia": (3, True), "kai": (1, False)}  # 3 > 2 * 10 / 12


def test_without_an_acknowledged_handoff_the_shift_is_the_last_12_hours(tmp_path: Path) -> None:
    events = [e for e in _events() if not e["type"].startswith("handoff.")]
    report = asyncio.run(_report(tmp_path, events))
    assert report.since_handoff is None and report.shift_start == NOW - timedelta(hours=12)
    inc1 = next(i for i in report.incidents if i.id == "INC-1")
    assert inc1.changes == 8  # the note at -12 h is on the boundary: in


def test_region_all_and_unknown_region(tmp_path: Path) -> None:
    report = asyncio.run(_report(tmp_path, _events(), actor="nobody"))
    assert report.region == "all" and report.outgoing.handle is not None
    with pytest.raises(HandoffError, match=r"'EU'.*UK, AU, all"):
        asyncio.run(_report(tmp_path / "x", _events(), region="EU"))


def test_json_shape(report: HandoffReport) -> None:
    doc = to_json(report)
    json.dumps(doc)  # plain JSON types
    assert set(doc) == {"region", "tz", "rotation", "outgoing", "incoming", "generated_at", "generated_local",
                        "shift", "next_shift", "time_critical", "incidents", "watch", "health", "team",
                        "notes", "pending", "wellbeing", "external", "decisions", "intake"}  # fmt: skip
    assert doc["external"] == []  # no hold ends and no order is due within 7 days
    assert doc["shift"] == {"start": "2026-11-21T17:00:00Z", "start_local": "2026-11-21T17:00:00+00:00",
                            "since_handoff": "h-last"}  # fmt: skip
    assert doc["outgoing"] == {"handle": "hugo", "name": "Hugo Martin"}
    assert set(doc["time_critical"][0]) == {"due", "due_local", "state", "incident", "severity", "kind", "what",
                                            "team"}  # fmt: skip
    inc = doc["incidents"][0]
    assert inc["id"] == "INC-1" and inc["changes"] == 7 and len(inc["last_changes"]) == 3
    assert doc["health"] == {"quarantined": 0, "chain_breaks": 0, "first_break": None}
    assert doc["team"]["people"] == [{"person": "hugo", "commanded": 1, "over": False},
                                     {"person": "isla", "commanded": 1, "over": False}]  # fmt: skip


def test_markdown_sections(report: HandoffReport) -> None:
    md = to_markdown(report)
    for heading in ("# Shift handoff: UK", "## Time-critical", "## Active incidents (3)", "### INC-1",
                    "## Watch list", "## Journal health", "## Team state"):  # fmt: skip
        assert heading in md
    assert "**Outgoing:** hugo (Hugo Martin)" in md and "**Incoming:** isla (Isla Thompson)" in md
    assert "2026-11-22 03:00 UTC" in md
    assert "**OVERDUE**" in md and "above the guideline" in md
    assert md.index("Log the request") < md.index("## Active incidents")  # time-critical first


def _inline_text(md: str) -> tuple[str, set[str]]:
    """The document's text as a Markdown renderer reads it, and the inline token types."""
    text, kinds = [], set()
    for tok in MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(md):
        kinds.add(tok.type)
        for child in tok.children or ():
            kinds.add(child.type)
            if child.type == "text":
                text.append(child.content)
            elif child.type == "softbreak":
                text.append("\n")
    return "".join(text), kinds


def test_markdown_renders_hostile_strings_literally(tmp_path: Path) -> None:
    titles = [h for h in HOSTILE if len(h) <= 200]
    events = [opened(f"INC-H{n}", title=t, severity=3) for n, t in enumerate(titles)]
    events += [scoped("incident.note", "INC-H0", text=h) for h in HOSTILE]
    events += [scoped("incident.note", "INC-H2", text=TEN_KB_LINE)]  # among its last changes
    events += [scoped("checklist.added", "INC-H1", item=f"i{n}", text=h, team="legal")
               for n, h in enumerate(titles)]  # fmt: skip
    settings = settings_for(tmp_path, actor="hugo")
    asyncio.run(seed(settings, events, actor="amara"))

    async def build() -> HandoffReport:
        async with await Store.open(settings.db) as store:
            await store.sync(FileJournal(settings.journal))
            return await build_handoff(store, "hugo", None, datetime.now(UTC), Policy())

    report = asyncio.run(build())
    md = to_markdown(report)
    assert not terminal_unsafe(md, allow="\n")  # no control or bidi character, C0 or C1
    text, kinds = _inline_text(md)
    # nothing the journal holds turns into a link, image, HTML, code or strikethrough
    assert not kinds & {"link_open", "image", "html_inline", "html_block", "code_inline", "s_open", "em_open"}
    for t in titles:  # one line, each control shown as its escape (\x1b]2;pwned\x07)
        assert shown_escaped(t.replace("\r\n", " ⏎ ")) in text, t
    assert clean(TEN_KB_LINE, 300) in text  # the note, cut to one line
    for line in md.splitlines():
        assert len(line) < 1000
    # --raw-text keeps the characters (still one line per title, still literal Markdown)
    with raw_controls():
        raw = to_markdown(report)
    text, kinds = _inline_text(raw)
    assert not kinds & {"link_open", "image", "html_inline", "html_block", "code_inline", "s_open", "em_open"}
    for t in titles:  # (a Markdown reader shows NUL as U+FFFD, as CommonMark says)
        assert t.replace("\r\n", " ⏎ ").replace("\x00", "\ufffd") in text, t
    assert "\x1b\\]2;pwned\x07" in raw and "\x9b" in raw and "\u202e" in raw


def test_cli_prints_markdown_and_json(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="amara")
    due = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    asyncio.run(seed(settings, [
        opened("INC-A", severity=2, title="Press [red]inquiry[/]"),
        scoped("incident.role_set", "INC-A", role="commander", person="amara"),
        scoped("checklist.added", "INC-A", item="hold", text="Holding statement", team="comms", due=due),
        opened("INC-W", severity=4, title="Spam wave"),
    ], actor="amara"))  # fmt: skip
    env = {"WARROOM_JOURNAL": str(settings.journal), "WARROOM_DB": str(tmp_path / "cli.db"),
           "WARROOM_ACTOR": "amara", "WARROOM_SOP_DIR": str(tmp_path / "no-sop"),
           "WARROOM_CONFIG": str(tmp_path / "no-config.toml"), "HOME": str(tmp_path)}  # fmt: skip
    r = run_cli(["handoff"], env)
    assert r.returncode == 0, r.stderr
    md = r.stdout.decode("utf-8")
    assert md.startswith("# Shift handoff: all regions")
    assert "Holding statement" in md and r"Press \[red\]inquiry\[/\]" in md and "INC-W" in md
    r = run_cli(["handoff", "--format", "json"], env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["region"] == "all" and doc["outgoing"]["handle"] == "amara"
    assert [w["id"] for w in doc["watch"]] == ["INC-W"]
    assert any(t["what"] == "Holding statement" for t in doc["time_critical"])
    r = run_cli(["handoff", "--region", "EU"], env)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == "warroom: no rotation in region 'EU' (regions: all)"


def test_journal_health_counts_quarantined_lines(tmp_path: Path) -> None:
    events = _events()
    twice = {**events[4], "id": "HO-TWICE"}  # INC-1 opened a second time: quarantined
    report = asyncio.run(_report(tmp_path, [*events, twice]))
    assert report.health.quarantined == 1 and report.health.chain_breaks == 0
    md = to_markdown(report)
    assert "**Quarantined lines:** 1" in md and "**Chain breaks:** none" in md


def test_at_the_end_of_a_region_s_day_the_next_region_is_incoming(tmp_path: Path) -> None:
    """The demo's follow-the-sun roster: Sydney's day ends (19:00 AEDT, 08:00 UTC) as
    London's has begun, so London's commander is the incoming one (not nobody)."""
    from data.sample import PEOPLE, ROTATIONS

    def ev(n: int, etype: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "v": 1,
            "id": f"FTS{n:06d}",
            "ts": ts(-100),
            "actor": "roster-bot",
            "type": etype,
            "data": data,
        }

    rows = [
        ("roster.person", dict(zip(("handle", "name", "team", "region", "tz"), p, strict=True)))
        for p in PEOPLE
    ]
    rows += [("roster.rotation", dict(r)) for r in ROTATIONS]
    events = [ev(n, t, d) for n, (t, d) in enumerate(rows)]
    # Sunday 22 Nov 03:00 UTC: grace holds au-ic-sun (Sydney 14:00) until 08:00 UTC, when
    # fatima (uk-ic-sun, from 08:00 London) has the war room
    report = asyncio.run(_report(tmp_path, events, actor="grace"))
    assert (report.region, report.rotation, report.outgoing.handle) == ("AU", "au-ic-sun", "grace")
    assert report.incoming.handle == "fatima"
    assert report.next_shift_start == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert report.next_shift_end == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # 17:00 London
    assert "- **Incoming:** fatima (Fatima Rahman)" in to_markdown(report)
    # the reader belongs to no rotation: all regions, from whoever is on call now
    everyone = asyncio.run(_report(tmp_path / "all", events, actor="kofi"))
    assert (everyone.region, everyone.outgoing.handle, everyone.incoming.handle) == ("all", "grace", "fatima")
