"""Post-mortems: the postmortem.* events (projection, quarantine, the append check), the
meeting clock, the view model and its Markdown export, ``warroom postmortem``, need-to-know,
hostile text, and the screen driven through the real console (docs/postmortem.md)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select, TextArea

from data.commands import AppendRefused, append_to, build_events
from data.engine.journal import FileJournal
from data.engine.projector import PmAction
from data.engine.store import Store
from data.incidents import queries as incident_queries
from data.postmortem import queries as pm_queries
from data.postmortem.report import (
    PmPolicy,
    add_business_days,
    build_postmortem,
    clock_summary,
    md_block,
    meeting_clock,
    to_markdown,
)
from data.privacy.text import raw_controls
from tests._console_helpers import (
    ACTOR,
    SIZE,
    assert_no_controls,
    assert_screen_clean,
    journal_lines,
    new_lines,
    scoped,
    seed,
    settings_for,
    settle,
    wait_for,
)
from tests._console_helpers import opened as opened_input
from tests.helpers import (
    HOSTILE,
    HOSTILE_IDS,
    EventFactory,
    append_events,
    cli_env,
    shown_escaped,
    synced_store,
    terminal_unsafe,
    warroom_command,
)

INC = "INC-1"


def pm(f: EventFactory, kind: str, data: dict[str, Any], incident: str = INC) -> dict[str, Any]:
    return f(f"postmortem.{kind}", data, incident)


def story(f: EventFactory) -> list[dict[str, Any]]:
    """An S1 incident resolved, with one of every postmortem type (and the bad ones)."""
    return [
        f.opened(INC, severity=1),  # 1  (ev-00001)
        f.note(INC, "Called the LE liaison"),  # 2
        f.status(INC, "contained"),  # 3
        f.status(INC, "resolved"),  # 4
        pm(f, "section_set", {"section": "root_cause", "text": "A stale call-back list."}),  # 5
        pm(f, "section_set", {"section": "root_cause", "text": "The call-back list was stale."}),  # 6
        pm(
            f,
            "action_added",
            {
                "action": "a1",
                "kind": "prevent",
                "text": "Refresh the list",
                "owner": "amara",
                "due": "2026-12-01T09:00:00Z",
            },
        ),
        pm(f, "action_set", {"action": "a1", "state": "done"}),  # 8
        pm(f, "action_set", {"action": "nope", "state": "done"}),  # 9: never added -> quarantined
        pm(
            f, "action_added", {"action": "a1", "kind": "process", "text": "Again", "owner": "hugo"}
        ),  # 10: twice
        pm(f, "pin_set", {"event": "ev-00002", "pinned": True}),  # 11
        pm(f, "pin_set", {"event": "ev-00003", "pinned": True}),  # 12
        pm(f, "pin_set", {"event": "ev-00003", "pinned": False}),  # 13
        pm(f, "status_set", {"status": "in_review", "reason": "draft done"}),  # 14
        pm(
            f, "meeting", {"at": "2026-11-01T12:00:00Z", "attendees": ["amara", "hugo"], "note": "Held"}
        ),  # 15
        pm(f, "status_set", {"status": "reviewed"}, "INC-404"),  # 16: never opened -> quarantined
        pm(f, "section_set", {"section": "nonsense", "text": "x"}),  # 17: outside the vocabulary
        pm(f, "action_set", {"action": "a1", "state": "dropped"}),  # 18: dropped without a note
    ]


async def _store(tmp_path: Path, events: list[dict[str, Any]]) -> Store:
    append_events(tmp_path / "journal.jsonl", events)
    store, _ = await synced_store(tmp_path / "journal.jsonl", tmp_path / "store.db")
    return store


# --- projection -----------------------------------------------------------------------------


async def test_every_postmortem_type_is_applied_and_the_bad_ones_quarantined(tmp_path: Path) -> None:
    f = EventFactory()
    store = await _store(tmp_path, story(f))
    try:
        q = {row.line: row.reason for row in await store.quarantine()}
        assert set(q) == {9, 10, 16, 17, 18}
        assert "never added" in q[9] and "already added" in q[10] and "never opened" in q[16]
        assert "data.section" in q[17] and "note is required" in q[18]
        rows = await pm_queries.postmortem(store, INC)
        assert rows.status is not None
        assert rows.status.status == "in_review" and rows.status.reason == "draft done"
        assert rows.sections["root_cause"].text == "The call-back list was stale."
        assert [(a.action, a.state, a.kind) for a in rows.actions] == [("a1", "done", "prevent")]
        # the rows read are the projector's own frozen action items, not a copy of the type
        assert all(type(a) is PmAction for a in rows.actions)
        with pytest.raises(dataclasses.FrozenInstanceError):
            rows.actions[0].state = "open"  # type: ignore[misc]
        assert rows.pins == {"ev-00002": True, "ev-00003": False}
        assert rows.meetings[0].attendees == ("amara", "hugo")
        # the applied ones are on the incident's timeline (and count as its events)
        types = [e.type for e in await incident_queries.timeline(store, INC)]
        assert types.count("postmortem.section_set") == 2 and "postmortem.meeting" in types
    finally:
        await store.close()


async def test_the_digest_does_not_depend_on_how_ingestion_was_split(tmp_path: Path) -> None:
    events = story(EventFactory())
    journal = tmp_path / "journal.jsonl"
    append_events(journal, events)
    whole, _ = await synced_store(journal, tmp_path / "whole.db")
    split = await Store.open(tmp_path / "split.db")
    try:
        while (await split.sync(FileJournal(journal), max_lines=1)).lines:
            pass
        assert await whole.digest() == await split.digest()
    finally:
        await whole.close()
        await split.close()


async def test_an_older_reader_sees_unknown_types_this_one_applies(tmp_path: Path) -> None:
    """The types need an incident member (the envelope requires it for postmortem.*)."""
    f = EventFactory()
    bad = pm(f, "status_set", {"status": "draft"})
    del bad["incident"]
    store = await _store(tmp_path, [f.opened(INC), bad])
    try:
        (row,) = await store.quarantine()
        assert "incident" in row.reason
    finally:
        await store.close()


async def test_append_refuses_what_a_reader_would_quarantine_and_pins_of_other_events(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(
        settings, [opened_input(INC), opened_input("INC-2"), scoped("incident.note", "INC-2", text="x")]
    )
    other = next(line["id"] for line in journal_lines(settings.journal) if line["type"] == "incident.note")
    mine = journal_lines(settings.journal)[0]["id"]
    store = await Store.open(tmp_path / "check.db")
    journal = FileJournal(settings.journal)
    try:
        for bad, why in (
            (scoped("postmortem.action_set", INC, action="zz", state="done"), "never added"),
            (scoped("postmortem.pin_set", INC, event=other, pinned=True), "not on the timeline"),
            (scoped("postmortem.pin_set", INC, event="no-such-id", pinned=True), "not on the timeline"),
            (scoped("postmortem.meeting", "INC-404", at="2026-11-01T12:00:00Z"), "never opened"),
        ):
            with pytest.raises(AppendRefused, match=why):
                await append_to(journal, store, build_events([("e", bad)], ACTOR))
        with pytest.raises(AppendRefused, match=r"data\.kind"):
            build_events(
                [("e", scoped("postmortem.action_added", INC, action="a", kind="fix", text="t", owner="o"))],
                ACTOR,
            )
        # added and set in one batch; a pin of an event of the incident
        ok = [scoped("postmortem.action_added", INC, action="a", kind="mitigate", text="t", owner="amara"),
              scoped("postmortem.action_set", INC, action="a", state="done"),
              scoped("postmortem.pin_set", INC, event=mine, pinned=True)]  # fmt: skip
        await append_to(journal, store, build_events([(e["type"], e) for e in ok], ACTOR))
        assert (await pm_queries.postmortem(store, INC)).pins == {mine: True}
    finally:
        await store.close()


# --- the meeting clock ------------------------------------------------------------------------


def test_business_days_skip_the_weekend() -> None:
    fri = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # a Friday
    assert add_business_days(fri, 5) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    sat = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert add_business_days(sat, 5) == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    wed = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    assert add_business_days(wed, 5) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    # in a zone: Friday 23:00 UTC is already Saturday in Sydney
    late = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    assert add_business_days(late, 1, "Australia/Sydney") == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


def test_meeting_clock_calendar_business_met_missed() -> None:
    resolved = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # Friday
    policy = PmPolicy()
    s1 = meeting_clock(INC, 1, resolved, None, policy)
    assert s1 is not None and s1.due == resolved + timedelta(days=3)
    s2 = meeting_clock(INC, 2, resolved, None, policy)
    assert s2 is not None and s2.due == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert meeting_clock(INC, 3, resolved, None, policy) is None
    assert meeting_clock(INC, 1, None, None, policy) is None  # not resolved: no clock yet
    from data.procedures.clocks import clock_state

    assert (
        clock_state(meeting_clock(INC, 1, resolved, resolved + timedelta(days=2), policy), resolved) == "met"
    )  # type: ignore[arg-type]
    assert (
        clock_state(meeting_clock(INC, 1, resolved, resolved + timedelta(days=4), policy), resolved)
        == "missed"
    )  # type: ignore[arg-type]
    assert clock_state(s1, resolved + timedelta(days=4)) == "overdue"
    # configurable: S3 gets 10 business days, S1 counts business days too
    custom = PmPolicy(days={1: 2, 3: 10}, business=frozenset({1, 3}))
    c = meeting_clock(INC, 1, resolved, None, custom)
    assert c is not None and c.due == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert meeting_clock(INC, 2, resolved, None, custom) is None


def test_pm_policy_from_the_config_file(tmp_path: Path) -> None:
    from data.postmortem.report import PmPolicyError, load_pm_policy

    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[postmortem]\nmeeting_days = { "1" = 2, "3" = 10 }\nbusiness_days = [3]\ntz = "Europe/London"\n'
    )
    p = load_pm_policy(cfg)
    assert p.days == {1: 2, 3: 10} and p.business == {3} and p.tz == "Europe/London"
    cfg.write_text('[postmortem]\ntz = "Mars/Olympus"\n')
    with pytest.raises(PmPolicyError, match=r"postmortem\.tz"):
        load_pm_policy(cfg)
    # no file: the defaults, and the business days of [obligations] calendar (US by default)
    assert load_pm_policy(tmp_path / "absent.toml") == PmPolicy(calendar="US")
    cfg.write_text('[obligations]\ncalendar = "UK"\n')
    assert load_pm_policy(cfg).calendar == "UK"


# --- the view model and the export ------------------------------------------------------------


async def test_view_model_and_markdown(tmp_path: Path) -> None:
    f = EventFactory()
    store = await _store(tmp_path, story(f))
    try:
        now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        view = await build_postmortem(store, INC, "tester", now)
        assert view is not None and await build_postmortem(store, "INC-404", "tester", now) is None
        assert view.status == "in_review" and view.visible
        assert [e.id for e in view.pinned] == ["ev-00002"]
        assert all(not e.type.startswith("postmortem.") for e in view.timeline)
        assert view.clock is not None and view.clock_state() == "met"
        names = [m[0] for m in view.metrics()]
        assert names == ["Time to acknowledge", "Time to contain", "Time to resolve"]
        assert all(after != "—" for _, _, after in view.metrics())
        text = to_markdown(view)
        assert "# Post-mortem: INC-1" in text and "**Status: in review**" in text
        assert "The call-back list was stale\\." not in text  # a period is not escaped
        assert "The call-back list was stale." in text
        assert "| a1 | prevent | Refresh the list | amara |" in text and "| done |" in text
        assert "## Pinned timeline" in text and "Called the LE liaison" in text
        assert "met: held" in text
        assert "_Not written yet._" in text  # the other sections
    finally:
        await store.close()


def test_md_block_keeps_lines_and_makes_block_syntax_literal() -> None:
    out = md_block("- item\n1. first\n# head\n> quote\n\n`code` [x](y) <b>\n=====")
    lines = out.split("\n")
    assert lines[0] == "\\- item  " and lines[1] == "1\\. first  " and lines[2] == "\\# head  "
    assert lines[3] == "\\> quote" and lines[4] == ""
    assert "\\`code\\` \\[x\\](y) \\<b\\>" in lines[5] and lines[6] == "\\====="


async def test_restricted_postmortem_withholds_texts(tmp_path: Path) -> None:
    f = EventFactory()
    events = [
        f.opened(INC, severity=2, restricted=True, title="Secret codename"),
        f.role(INC, "commander", "amara"),
        f.note(INC, "secret note", pinned=True)
        if False
        else f("incident.note", {"text": "secret note", "pinned": True}, INC),
        f.status(INC, "resolved"),
        pm(f, "section_set", {"section": "summary", "text": "secret summary"}),
        pm(f, "action_added", {"action": "a1", "kind": "prevent", "text": "secret action", "owner": "amara"}),
        pm(f, "meeting", {"at": "2026-11-01T12:00:00Z", "note": "secret meeting note"}),
    ]
    store = await _store(tmp_path, events)
    try:
        now = datetime(2026, 11, 2, tzinfo=UTC)
        outsider = await build_postmortem(store, INC, "mallory", now)
        assert outsider is not None and not outsider.visible
        text = to_markdown(outsider)
        assert "secret" not in text.lower() and "Secret" not in text
        assert "(restricted)" in text and "| a1 | prevent | (restricted) | amara |" in text
        insider = to_markdown(await build_postmortem(store, INC, "amara", now))  # type: ignore[arg-type]
        assert "secret summary" in insider and "secret action" in insider and "Secret codename" in insider
    finally:
        await store.close()


def md_literal(text: str) -> str:
    """``text`` with the ASCII punctuation that can start Markdown markup backslash-escaped."""
    return "".join("\\" + c if c in "\\`*_[]<>|~&!#" else c for c in text)


@pytest.mark.parametrize("hostile", HOSTILE, ids=HOSTILE_IDS)
async def test_hostile_text_in_the_export(tmp_path: Path, hostile: str) -> None:
    f = EventFactory()
    text = hostile[:2000]
    events = [
        f.opened(INC, title=hostile[:200]),
        f.note(INC, hostile[:8000]),
        pm(f, "section_set", {"section": "five_whys", "text": hostile}),
        pm(f, "action_added", {"action": "a1", "kind": "prevent", "text": text, "owner": "amara"}),
        pm(f, "status_set", {"status": "in_review", "reason": hostile[:8000]}),
    ]
    store = await _store(tmp_path, events)
    try:
        pm_view = await build_postmortem(store, INC, "tester", datetime(2026, 11, 2, tzinfo=UTC))
        assert pm_view is not None
        out = to_markdown(pm_view)
    finally:
        await store.close()
    assert_no_controls(out.replace("\n", ""), "the export")
    assert not terminal_unsafe(out, allow="\n")  # nor any other C0, C1 or bidi control
    if len(hostile) <= 200 and "\n" not in hostile:  # the title, controls shown as escapes
        assert md_literal(shown_escaped(hostile)) in out.splitlines()[0]
    with raw_controls():  # --raw-text: the controls as they are
        raw_out = to_markdown(pm_view)
    if len(hostile) <= 200 and "\n" not in hostile:
        assert md_literal(hostile) in raw_out.splitlines()[0]
    for raw in ("[/foo]", "[red]", "[@click=app.quit]", "[/]"):  # escaped: \\[red\\]
        assert raw not in out
    if hostile.endswith("\\"):
        assert "trailing backslash\\\\" in out  # the backslash escaped, not escaping what follows
    # a table row stays one row: no unescaped pipe from the text
    (row,) = [line for line in out.splitlines() if line.startswith("| a1 |")]
    assert row.replace("\\|", "").count("|") == 7


# --- the command line -------------------------------------------------------------------------


def _cli(tmp_path: Path, *args: str, actor: str = "tester") -> subprocess.CompletedProcess[bytes]:
    env = cli_env(tmp_path, tmp_path / "journal.jsonl", tmp_path / "cli.db", actor)
    return subprocess.run([*warroom_command(), *args], env=env, capture_output=True, timeout=60)


def test_cli_postmortem_exports_markdown_and_refuses_unknown_incidents(tmp_path: Path) -> None:
    f = EventFactory()
    events = story(f)
    events.append(f.opened("INC-R", restricted=True, title="[red]Codename[/]"))
    events.append(f("postmortem.section_set", {"section": "impact", "text": "hidden impact"}, "INC-R"))
    append_events(tmp_path / "journal.jsonl", events)
    proc = _cli(tmp_path, "postmortem", INC, "--format", "md")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert text.startswith("# Post-mortem: INC-1") and "The call-back list was stale." in text
    proc = _cli(tmp_path, "postmortem", "INC-R")
    assert proc.returncode == 0 and b"hidden impact" not in proc.stdout and b"Codename" not in proc.stdout
    proc = _cli(tmp_path, "postmortem", "INC-404")
    assert proc.returncode != 0 and proc.stdout == b""
    assert proc.stderr.decode().count("\n") == 1 and "INC-404" in proc.stderr.decode()
    # the append command accepts the types (validated with the same models)
    ok = _cli(tmp_path, "append", "--type", "postmortem.status_set", "--incident", INC,
              "--data", json.dumps({"status": "closed"}))  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    bad = _cli(tmp_path, "append", "--type", "postmortem.status_set", "--incident", INC,
               "--data", json.dumps({"status": "done"}))  # fmt: skip
    assert bad.returncode == 2 and b"data.status" in bad.stderr


def test_cli_postmortem_with_hostile_text(tmp_path: Path) -> None:
    f = EventFactory()
    events = [f.opened(INC, title="[@click=app.quit]x[/]")]
    events += [pm(f, "section_set", {"section": s, "text": h}) for s, h in
               zip(("summary", "impact", "root_cause", "lessons", "five_whys", "went_well"), HOSTILE, strict=False)]  # fmt: skip
    append_events(tmp_path / "journal.jsonl", events)
    proc = _cli(tmp_path, "postmortem", INC)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert_no_controls(out.replace("\n", ""), "the CLI export")
    assert "[@click=app.quit]" not in out and "\\[@click=app.quit\\]x\\[/\\]" in out


# --- the screen, through the real console ------------------------------------------------------


async def _open_pm(pilot: Any, app: Any, incident: str = INC) -> Any:
    from screens.postmortem import PostmortemScreen
    from tests.test_actions import select_incident, started

    main = await started(pilot, app, [incident])
    await select_incident(pilot, main, incident)
    await pilot.press("P")
    await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.pm is not None,
                   what="the post-mortem screen")  # fmt: skip
    await pilot.pause()
    return app.screen


async def test_pilot_edit_a_section_add_an_action_pin_and_meet(tmp_path: Path) -> None:
    from app.console import WarRoom
    from screens.postmortem import ActionAddDialog, MeetingDialog, SectionDialog

    settings = settings_for(tmp_path)
    await seed(settings, [opened_input(INC, severity=2), scoped("incident.note", INC, text="Verified the requester"),
                          scoped("incident.status_set", INC, status="resolved")])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_pm(pilot, app)
        assert screen.pm.clock is not None  # S2, resolved: the meeting clock runs
        # edit the root cause (third row) in the TextArea dialog; Ctrl+S saves
        sections = screen.query_one("#sections", DataTable)
        sections.focus()
        sections.move_cursor(row=2)
        await pilot.pause()
        before = len(journal_lines(settings.journal))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, SectionDialog), what="the section dialog")
        dialog = app.screen
        dialog.query_one("#text", TextArea).text = "Line one\n- a [red]list[/] item"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(journal_lines(settings.journal)) > before,
                       what="the section written")  # fmt: skip
        (line,) = new_lines(settings.journal, before)
        assert (line["type"], line["incident"], line["actor"]) == ("postmortem.section_set", INC, ACTOR)
        assert line["data"] == {"section": "root_cause", "text": "Line one\n- a [red]list[/] item"}
        await wait_for(pilot, lambda: screen.pm.section("root_cause").text.startswith("Line one"),
                       what="the section shown")  # fmt: skip

        # add an action item
        before = len(journal_lines(settings.journal))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionAddDialog), what="the action dialog")
        dialog = app.screen
        dialog.query_one("#kind", Select).value = "process"
        dialog.query_one("#text", Input).value = "Rehearse the EDR drill"
        dialog.query_one("#due", Input).value = "28d"
        dialog.query_one("#text", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and len(journal_lines(settings.journal)) > before,
                       what="the action written")  # fmt: skip
        (line,) = new_lines(settings.journal, before)
        assert line["type"] == "postmortem.action_added"
        assert {k: line["data"][k] for k in ("action", "kind", "text", "owner")} == {
            "action": "rehearse-the-edr-drill",
            "kind": "process",
            "text": "Rehearse the EDR drill",
            "owner": ACTOR,
        }
        await wait_for(pilot, lambda: len(screen.pm.actions) == 1, what="the action shown")

        # pin the note (the timeline's second entry)
        timeline = screen.query_one("#pm-timeline", DataTable)
        timeline.focus()
        note = next(e for e in screen.pm.timeline if e.type == "incident.note")
        timeline.move_cursor(row=timeline.get_row_index(note.id))
        await pilot.pause()
        await pilot.press("p")
        await wait_for(pilot, lambda: [e.id for e in screen.pm.pinned] == [note.id], what="the pin shown")
        assert journal_lines(settings.journal)[-1]["data"] == {"event": note.id, "pinned": True}

        # record the meeting: the clock is met
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MeetingDialog), what="the meeting dialog")
        app.screen.query_one("#note", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.pm.clock is not None and screen.pm.clock.closed_at is not None,
                       what="the meeting recorded")  # fmt: skip
        assert clock_summary(screen.pm)[1] == "met"
        assert_screen_clean(app, "the post-mortem screen")


async def test_pilot_failed_write_keeps_the_dialog_and_the_text(tmp_path: Path) -> None:
    from app.console import WarRoom
    from screens.postmortem import SectionDialog

    settings = settings_for(tmp_path)
    await seed(settings, [opened_input(INC)])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_pm(pilot, app)

        async def refuse(events: list[dict[str, Any]]) -> str:
            return "the journal is locked"

        app.act = refuse  # type: ignore[method-assign]
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, SectionDialog), what="the section dialog")
        dialog = app.screen
        dialog.query_one("#text", TextArea).text = "keep me"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: dialog.query_one("#general-error").has_class("shown"), what="the refusal"
        )
        assert app.screen is dialog and dialog.query_one("#text", TextArea).text == "keep me"
        assert "Nothing was written" in str(dialog.query_one("#general-error").content)
        assert screen is not None


async def test_pilot_live_edits_and_restricted_and_hostile(tmp_path: Path) -> None:
    """Another console's edits appear live; hostile texts render literally and clean; an
    outsider sees a restricted incident's post-mortem without its texts and cannot edit."""
    from app.console import WarRoom

    settings = settings_for(tmp_path)
    hostile_title = "[@click=app.quit]x[/] \x1b[31m"
    await seed(settings, [opened_input(INC, title=hostile_title)])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_pm(pilot, app)
        for n, h in enumerate(HOSTILE[:6]):
            section = ("summary", "impact", "root_cause", "lessons", "five_whys", "went_well")[n]
            await seed(
                settings, [scoped("postmortem.section_set", INC, section=section, text=h)], actor="other"
            )
        await seed(settings, [scoped("postmortem.action_added", INC, action="x1", kind="prevent",
                                     text="[/foo] \x00 act", owner="[red]o[/]")], actor="other")  # fmt: skip
        await wait_for(
            pilot, lambda: screen.pm is not None and len(screen.pm.actions) == 1, what="live edits"
        )
        await settle(pilot)
        assert_screen_clean(app, "hostile post-mortem")
        assert app.is_running  # [@click=app.quit] did nothing

    restricted = settings_for(tmp_path / "r", actor="mallory")
    (tmp_path / "r").mkdir()
    await seed(restricted, [opened_input(INC, restricted=True, title="Codename"),
                            scoped("postmortem.section_set", INC, section="summary", text="hidden")])  # fmt: skip
    app = WarRoom(restricted)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_pm(pilot, app)
        assert not screen.pm.visible
        assert screen.check_action("edit_section", ()) is False
        from tests._console_helpers import screen_text

        text = screen_text(app)
        assert "hidden" not in text and "Codename" not in text and "restricted" in text
