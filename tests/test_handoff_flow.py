"""Writing, submitting and acknowledging a shift handoff: the extension members of
``handoff.submitted`` (written strictly, read leniently), pending handoffs, the handoff
screen and the pending banner, across two consoles on one journal."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, TextArea

from app.console import WarRoom
from data.commands import AppendRefused, build_events
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.handoff.report import (
    Assessment,
    Draft,
    build_handoff,
    pending_submission,
    submission_data,
    to_json,
    to_markdown,
)
from data.incidents.queries import HandoffRow
from data.incidents.views import pending_handoffs
from data.procedures.clocks import Policy
from screens.handoff import AcknowledgeDialog, AssessmentDialog, HandoffScreen, NotesDialog, SubmitDialog
from tests._console_helpers import (
    assert_screen_clean,
    journal_lines,
    opened,
    scoped,
    screen_text,
    seed,
    settings_for,
    wait_for,
)
from tests.helpers import HOSTILE, run_cli
from tests.test_handoff import NOW, _events
from widgets.banner import HandoffBanner

SIZE = (150, 42)
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _roster_now() -> list[dict[str, Any]]:
    """hugo on call in the UK now, isla next (one-day turns of 24 h from today 00:00)."""
    today = datetime.now(UTC).date()
    return [
        {"type": "roster.person", "data": {"handle": h, "name": n, "team": "emergency_response", "region": "UK",
                                           "tz": "UTC"}}
        for h, n in (("hugo", "Hugo Martin"), ("isla", "Isla Thompson"))
    ] + [
        {"type": "roster.rotation", "data": {"rotation": "uk-ic", "team": "emergency_response", "region": "UK",
                                             "tz": "UTC", "days": EVERY_DAY, "start": "00:00", "hours": 24,
                                             "members": ["hugo", "isla"], "anchor": today.isoformat(),
                                             "turn_days": 1}},
    ]  # fmt: skip


# --- data: the extension, pending handoffs -------------------------------------------------


async def _store_with(tmp_path: Path, events: list[dict[str, Any]]) -> Store:
    journal = FileJournal(tmp_path / "journal.jsonl")
    await journal.append(events)
    store = await Store.open(tmp_path / "store.db")
    await store.sync(journal)
    return store


def _without_open(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["data"].get("handoff") != "h-open"]


async def test_draft_goes_into_the_report_and_the_submission(tmp_path: Path) -> None:
    store = await _store_with(tmp_path, _without_open(_events()))
    try:
        draft = Draft({"INC-1": Assessment("unstable", "Waiting on Legal [red]x[/]", ("If Legal says no, decline",)),
                       "INC-2": Assessment("watch", "Secret summary", ("Secret plan",))},
                      "Crisis protocol active.")  # fmt: skip
        report = await build_handoff(store, "hugo", None, NOW, Policy(), draft=draft)
        inc1 = next(i for i in report.incidents if i.id == "INC-1")
        inc2 = next(i for i in report.incidents if i.id == "INC-2")
        inc4 = next(i for i in report.incidents if i.id == "INC-4")
        assert inc1.assessment == draft.assessments["INC-1"]
        # hugo holds no role in restricted INC-2: its trend shows, its text does not
        assert inc2.assessment == Assessment("watch") and inc2.title is None
        assert inc4.assessment is None and report.pending is None
        md = to_markdown(report)
        assert r"**Trend:** UNSTABLE: Waiting on Legal \[red\]x\[/\]" in md
        assert "If/then: If Legal says no, decline" in md and "Secret" not in md
        assert "## Notes from the outgoing commander" in md and "Crisis protocol active." in md
        assert "**Trend:** not assessed" in md  # INC-4
        doc = to_json(report)
        assert doc["notes"] == "Crisis protocol active." and doc["pending"] is None
        assert [i["trend"] for i in doc["incidents"]] == ["unstable", "watch", None]

        data = submission_data(report, "HO-UK-1", draft)
        assert data["from"] == "hugo" and data["to"] == "isla" and data["region"] == "UK"
        assert data["shift_start"] == "2026-11-21T17:00:00Z"
        assert [e["incident"] for e in data["incidents"]] == ["INC-1", "INC-2"]
        assert data["incidents"][0] == {"incident": "INC-1", "trend": "unstable", "severity": 1, "status": "new",
                                        "summary": "Waiting on Legal [red]x[/]",
                                        "contingencies": ["If Legal says no, decline"]}  # fmt: skip
        built = build_events([("submit", {"type": "handoff.submitted", "data": data})], "hugo")
        assert built[0]["data"] == data  # the writer accepts it as given
    finally:
        await store.close()


async def test_a_new_draft_starts_from_the_last_acknowledged_handoffs_trends(tmp_path: Path) -> None:
    """After a read-back, the next shift's report carries the trends that handoff gave
    (not "not set"), without its summaries and contingencies."""
    events = _without_open(_events())
    events.append({"v": 1, "id": "HO-PREV", "ts": "2026-11-22T01:00:00Z", "actor": "hugo", "type": "handoff.submitted",
                   "data": {"handoff": "h-prev", "from": "hugo", "to": "isla", "region": "UK", "notes": "n",
                            "incidents": [{"incident": "INC-1", "trend": "unstable", "summary": "Old summary",
                                           "contingencies": ["Old plan"]},
                                          {"incident": "INC-2", "trend": "watch"}]}})  # fmt: skip
    events.append({"v": 1, "id": "HO-PREV-ACK", "ts": "2026-11-22T01:30:00Z", "actor": "isla",
                   "type": "handoff.acknowledged", "data": {"handoff": "h-prev", "readback": "ok"}})  # fmt: skip
    store = await _store_with(tmp_path, events)
    try:
        report = await build_handoff(store, "isla", "UK", NOW, Policy())
        assert report.pending is None and report.since_handoff == "h-prev"
        assert report.carried == {"INC-1": Assessment("unstable"), "INC-2": Assessment("watch")}
        trends = {i.id: i.assessment for i in report.incidents}
        assert trends == {"INC-1": Assessment("unstable"), "INC-2": Assessment("watch"), "INC-4": None}
        assert "Old summary" not in to_markdown(report)
        # a draft being written replaces them
        drafted = await build_handoff(
            store, "isla", "UK", NOW, Policy(), draft=Draft({"INC-1": Assessment("stable")})
        )
        assert {i.id: i.assessment for i in drafted.incidents}["INC-2"] is None
    finally:
        await store.close()


def test_writer_refuses_malformed_extension_members() -> None:
    base = {"handoff": "H1", "from": "a", "to": "b", "notes": ""}
    for bad, message in (
        ({"incidents": [{"incident": "INC-1", "trend": "fine"}]}, "data.incidents.0.trend"),
        ({"incidents": [{"incident": "inc 1", "trend": "watch"}]}, "data.incidents.0.incident"),
        ({"incidents": "INC-1"}, "data.incidents"),
        ({"shift_start": "yesterday"}, "data.shift_start"),
        ({"incidents": [{"incident": "INC-1", "trend": "watch", "contingencies": [""]}]}, "contingencies.0"),
    ):
        with pytest.raises(AppendRefused) as info:
            build_events([("e", {"type": "handoff.submitted", "data": {**base, **bad}})], "me")
        assert message in info.value.lines[0], info.value.lines


async def test_reader_ignores_malformed_extension_members(tmp_path: Path) -> None:
    """A line a format-1 reader accepts is never quarantined for its extension members:
    the well-formed entries are read, the rest ignored."""
    events = _without_open(_events())
    events.append({"v": 1, "id": "HO-ODD", "ts": "2026-11-22T02:00:00Z", "actor": "hugo", "type": "handoff.submitted",
                   "data": {"handoff": "h-odd", "from": "hugo", "to": "isla", "region": "UK", "notes": "n",
                            "shift_start": 5, "incidents": [{"incident": "INC-1", "trend": "watch"},
                                                            {"incident": "INC-2", "trend": "???"}, "junk"]}})  # fmt: skip
    store = await _store_with(tmp_path, events)
    try:
        assert (await store.status()).counters["quarantined"] == 0
        pending = await pending_submission(store, "UK")
        assert pending is not None and pending.handoff == "h-odd" and pending.notes == "n"
        assert pending.assessments == {"INC-1": Assessment("watch")}
        report = await build_handoff(store, "hugo", "UK", NOW, Policy())
        assert report.pending == pending
        assert next(i for i in report.incidents if i.id == "INC-1").assessment == Assessment("watch")
    finally:
        await store.close()


def test_pending_handoffs_latest_per_region() -> None:
    def row(h: str, region: str | None, sub: int | None, ack: int | None = None) -> HandoffRow:
        return HandoffRow(handoff=h, region=region, from_person="a", to_person="b", submitted_by="a",
                          submitted_at="2026-11-22T01:00:00Z" if sub else None, submitted_seq=sub,
                          acknowledged_seq=ack)  # fmt: skip

    rows = [row("uk-1", "UK", 3), row("uk-2", "UK", 9), row("au-1", "AU", 4, ack=5), row("all", None, 7),
            row("stray", "UK", None, ack=11)]  # fmt: skip
    pending = pending_handoffs(rows)
    assert [p.handoff for p in pending] == ["all", "uk-2"]  # uk-1 superseded, au-1 acknowledged
    rows.append(row("uk-3", "UK", 12, ack=13))
    assert [p.handoff for p in pending_handoffs(rows)] == ["all"]  # the latest UK one was acknowledged


def test_cli_prints_the_pending_handoffs_assessments(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="isla")
    asyncio.run(seed(settings, [*_roster_now(), opened("INC-A", severity=2, regions=["UK"])], actor="hugo"))
    asyncio.run(seed(settings, [{"type": "handoff.submitted", "data": {
        "handoff": "HO-1", "from": "hugo", "to": "isla", "region": "UK", "notes": "Press deadline 09:00.",
        "incidents": [{"incident": "INC-A", "trend": "unstable", "summary": "Verification pending",
                       "contingencies": ["If the officer calls, disclose the subscriber record only"]}]}}],
        actor="hugo"))  # fmt: skip
    env = {"WARROOM_JOURNAL": str(settings.journal), "WARROOM_DB": str(tmp_path / "cli.db"),
           "WARROOM_ACTOR": "isla", "HOME": str(tmp_path)}  # fmt: skip
    r = run_cli(["handoff"], env)
    assert r.returncode == 0, r.stderr
    md = r.stdout.decode()
    assert "awaiting the read-back of isla" in md and "Press deadline 09:00." in md
    assert "**Trend:** UNSTABLE: Verification pending" in md
    assert "If/then: If the officer calls, disclose the subscriber record only" in md
    doc = json.loads(run_cli(["handoff", "--format", "json"], env).stdout)
    assert doc["pending"]["handoff"] == "HO-1" and doc["incidents"][0]["trend"] == "unstable"


# --- the console: two consoles on one journal ---------------------------------------------


async def _ready(pilot: Any, app: WarRoom) -> None:
    await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")


async def _open_handoff(pilot: Any, app: WarRoom) -> HandoffScreen:
    await pilot.press("h")
    await wait_for(pilot, lambda: isinstance(app.screen, HandoffScreen) and app.screen.report is not None,
                   what="the handoff screen")  # fmt: skip
    screen = app.screen
    assert isinstance(screen, HandoffScreen)
    return screen


async def _dialog(pilot: Any, app: WarRoom, key: str, kind: type) -> Any:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, kind), what=kind.__name__)
    await pilot.pause()
    return app.screen


async def test_submit_on_one_console_acknowledge_on_another(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    out = settings_for(tmp_path, actor="hugo")
    inc = replace(out, db=tmp_path / "isla.db", actor="isla")
    await seed(out, [*_roster_now(), opened("INC-A", severity=1, regions=["UK"], title="EDR: welfare"),
                     scoped("incident.role_set", "INC-A", role="commander", person="hugo"),
                     opened("INC-B", severity=3, regions=["UK"], title="Spam wave")], actor="hugo")  # fmt: skip
    a, b = WarRoom(out), WarRoom(inc)
    async with a.run_test(size=SIZE) as pa, b.run_test(size=SIZE) as pb:
        await _ready(pa, a)
        await _ready(pb, b)
        screen = await _open_handoff(pa, a)
        assert screen.for_region == "UK" and screen.report.outgoing.handle == "hugo"
        assert screen.report.incoming.handle == "isla"
        # INC-A: unstable, with a summary and two contingencies
        await pa.press("t", "t", "t")  # stable → watch → unstable
        await wait_for(pa, lambda: a.handoff_drafts["UK"].assessments["INC-A"].trend == "unstable")
        dialog = await _dialog(pa, a, "e", AssessmentDialog)
        dialog.query_one("#summary", Input).value = "Disclosure decided, awaiting the officer"
        dialog.query_one(
            "#contingencies", TextArea
        ).text = "If the officer calls, send the record\n\nIf not, chase at 06:00"
        await pa.press("ctrl+s")
        await wait_for(pa, lambda: a.screen is screen)
        notes = await _dialog(pa, a, "n", NotesDialog)
        notes.query_one("#notes", TextArea).text = "Press deadline at 09:00 UTC."
        await pa.press("ctrl+s")
        await wait_for(
            pa, lambda: a.screen is screen and screen.report.notes == "Press deadline at 09:00 UTC."
        )
        # the draft survives closing the screen
        await pa.press("escape")
        screen = await _open_handoff(pa, a)
        assert screen.report.notes == "Press deadline at 09:00 UTC."
        before = len(journal_lines(journal))
        submit = await _dialog(pa, a, "s", SubmitDialog)
        assert "Not assessed (no trend): INC-B" in screen_text(a)
        await pa.press("ctrl+s")
        await wait_for(pa, lambda: len(journal_lines(journal)) == before + 1 and a.screen is not submit,
                       what="the submission")  # fmt: skip
        line = journal_lines(journal)[-1]
        assert line["type"] == "handoff.submitted" and line["actor"] == "hugo"
        d = line["data"]
        assert (d["from"], d["to"], d["region"], d["notes"]) == (
            "hugo",
            "isla",
            "UK",
            "Press deadline at 09:00 UTC.",
        )
        assert d["incidents"] == [{"incident": "INC-A", "trend": "unstable", "severity": 1, "status": "new",
                                   "summary": "Disclosure decided, awaiting the officer",
                                   "contingencies": ["If the officer calls, send the record",
                                                     "If not, chase at 06:00"]}]  # fmt: skip
        assert "UK" not in a.handoff_drafts  # submitted: the draft is gone

        # console B (isla): the banner appears live, addressed to her
        banner = b.screen.query_one(HandoffBanner)
        await wait_for(pb, lambda: bool(banner.pending), what="the pending banner on the other console")
        assert "for you" in str(banner.content) and "hugo → isla" in str(banner.content)
        review = await _open_handoff(pb, b)
        inc_a = next(i for i in review.report.incidents if i.id == "INC-A")
        assert inc_a.assessment is not None and inc_a.assessment.trend == "unstable"
        assert "for YOU" in screen_text(b) and "Disclosure decided" in screen_text(b)
        ack = await _dialog(pb, b, "a", AcknowledgeDialog)
        before = len(journal_lines(journal))
        await pb.press("ctrl+s")  # an empty read-back: refused, nothing written
        await wait_for(pb, lambda: ack.query_one("#readback-error").has_class("shown"), what="the refusal")
        assert b.screen is ack and len(journal_lines(journal)) == before
        ack.query_one("#readback", TextArea).text = "INC-A S1 unstable: send the record if the officer calls."
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: len(journal_lines(journal)) == before + 1 and b.screen is not ack)
        line = journal_lines(journal)[-1]
        assert line["type"] == "handoff.acknowledged" and line["actor"] == "isla"
        assert line["data"] == {
            "handoff": d["handoff"],
            "readback": "INC-A S1 unstable: send the record if the officer calls.",
        }

        # both consoles: nothing pending any more; a new shift starts at the read-back
        await wait_for(pb, lambda: review.report is not None and review.report.pending is None)
        await pa.press("escape")
        banner_a = a.screen.query_one(HandoffBanner)
        await wait_for(pa, lambda: a.last_snapshot is not None and not a.last_snapshot.pending)
        assert not banner_a.pending and not banner_a.has_class("shown")
        assert review.report.since_handoff == d["handoff"]
        # isla read it back: she holds the war room now, whatever the roster's shift says
        assert review.report.outgoing.handle == "isla"


async def test_the_screen_starts_a_draft_from_the_previous_trends(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="isla")
    await seed(settings, [*_roster_now(), opened("INC-A", severity=1, regions=["UK"]),
                          opened("INC-B", severity=3, regions=["UK"]),
                          {"type": "handoff.submitted", "data": {
                              "handoff": "HO-1", "from": "hugo", "to": "isla", "region": "UK", "notes": "",
                              "incidents": [{"incident": "INC-A", "trend": "watch"},
                                            {"incident": "INC-B", "trend": "unstable"}]}}], actor="hugo")  # fmt: skip
    await seed(
        settings,
        [{"type": "handoff.acknowledged", "data": {"handoff": "HO-1", "readback": "ok"}}],
        actor="isla",
    )
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        screen = await _open_handoff(pilot, app)
        assert "— not set" not in screen_text(app) and "~ WATCH" in screen_text(app)
        assert screen.selected == "INC-A"
        await pilot.press("t")  # watch → unstable (not "not set" → stable)
        await wait_for(pilot, lambda: "UK" in app.handoff_drafts, what="the draft")
        assert app.handoff_drafts["UK"].assessments == {"INC-A": Assessment("unstable"),
                                                         "INC-B": Assessment("unstable")}  # fmt: skip


async def test_only_the_incoming_commander_acknowledges(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="zoe")
    await seed(settings, [*_roster_now(), opened("INC-A", regions=["UK"]),
                          {"type": "handoff.submitted", "data": {"handoff": "HO-1", "from": "hugo", "to": "isla",
                                                                 "region": "UK", "notes": ""}}], actor="hugo")  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        banner = app.screen.query_one(HandoffBanner)  # zoe has no region: she sees every pending one
        await wait_for(pilot, lambda: bool(banner.pending))
        assert "h to review" in str(banner.content) and "for you" not in str(banner.content)
        screen = await _open_handoff(pilot, app)
        screen.action_region()  # UK (zoe's own region is "all")
        await wait_for(pilot, lambda: screen.report is not None and screen.report.region == "UK")
        before = len(journal_lines(settings.journal))
        await pilot.press("a")
        await wait_for(pilot, lambda: any("addressed to isla" in str(n.message) for n in app.told),
                       what="the refusal")  # fmt: skip
        assert app.screen is screen and len(journal_lines(settings.journal)) == before


async def test_hostile_text_through_the_handoff_screen(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="hugo")
    titles = [h for h in HOSTILE if 0 < len(h) <= 200]
    events = [*_roster_now()]
    events += [opened(f"INC-H{n}", title=t, severity=2, regions=["UK"]) for n, t in enumerate(titles)]
    events += [scoped("incident.note", "INC-H0", text=h) for h in HOSTILE if h]
    events += [scoped("checklist.added", "INC-H1", item=f"i{n}", text=h[:2000] or "x", team="legal",
                      due=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
               for n, h in enumerate(HOSTILE)]  # fmt: skip
    events.append({"type": "handoff.submitted", "data": {
        "handoff": "HO-[red]x[/]", "from": "[/foo]", "to": "hugo", "region": "UK", "notes": "\n".join(HOSTILE)[:60000],
        "incidents": [{"incident": f"INC-H{n}", "trend": "watch", "summary": t[:500], "contingencies": [t[:2000]]}
                      for n, t in enumerate(titles)]}})  # fmt: skip
    await seed(settings, events, actor="[@click=app.quit]x[/]")
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        banner = app.screen.query_one(HandoffBanner)
        await wait_for(pilot, lambda: bool(banner.pending))
        assert "[/foo] → hugo" in str(banner.content)
        assert_screen_clean(app, "the war room with a hostile handoff")
        screen = await _open_handoff(pilot, app)
        table = screen.query_one("#incidents")
        for n in range(len(titles)):
            table.move_cursor(row=n)
            await pilot.pause()
            assert_screen_clean(app, f"the handoff screen, incident {n}")
            incident = str(table.coordinate_to_cell_key((n, 0)).row_key.value)
            if titles[int(incident[5:])] in ("[red]x[/]", "[@click=app.quit]x[/]", "[/foo]"):
                # markup reads literally: in the summary column, the detail and its contingency
                assert titles[int(incident[5:])] in screen_text(app)
        assert "[/foo]" in screen_text(app)  # the outgoing commander's handle, in the header
        assert app.is_running
