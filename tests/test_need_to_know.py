"""Need-to-know: a restricted incident's details go only to its role holders and its
participants (``incident.participant_added`` / ``_removed``), in every pane, screen, export
and report; everyone else sees its id, severity, status, clocks and commander."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from app.cli import main as cli_main
from app.console import WarRoom
from data.commands import AppendRefused, append_events, build_events
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.incidents import queries as incident_queries
from data.incidents.views import SyncState, load_snapshot
from screens import dialogs
from tests._console_helpers import (
    SIZE,
    journal_lines,
    opened,
    queue_ids,
    scoped,
    screen_text,
    seed,
    settings_for,
    settle,
    wait_for,
)

SECRET = "Codename BLUEBIRD"
SECRET_SUMMARY = "Scope of the leak: the payroll export"
NOTE = "Call-back verified on the registered number"
ITEM = "Preserve logs with integrity hashes"
SECTION = "What went wrong: the export bucket was public"


def restricted_journal() -> list[dict[str, Any]]:
    return [
        opened("INC-R", title=SECRET, summary=SECRET_SUMMARY, restricted=True, category="data_security",
               source="employee", severity=1),
        scoped("incident.role_set", "INC-R", role="commander", person="boss"),
        scoped("incident.note", "INC-R", text=NOTE),
        scoped("checklist.added", "INC-R", item="logs", text=ITEM, team="security_privacy"),
        scoped("postmortem.section_set", "INC-R", section="summary", text=SECTION),
        opened("INC-O", title="Open matter", severity=3),
    ]  # fmt: skip


def added(person: str, **extra: Any) -> dict[str, Any]:
    return scoped("incident.participant_added", "INC-R", person=person, **extra)


# --- the projection ----------------------------------------------------------------------


async def test_participants_are_projected_and_decide_visibility(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="ana")
    await seed(settings, [*restricted_journal(), added("ana", reason="Legal needs it"), added("ana"),
                          added("ben"), scoped("incident.participant_removed", "INC-R", person="ben"),
                          scoped("incident.participant_removed", "INC-R", person="nobody")])  # fmt: skip
    async with await Store.open(settings.db) as store:
        await store.sync(FileJournal(settings.journal))
        [inc] = await store.incidents("INC-R")
        assert inc.participants == ("ana",)  # a second add and a stray removal change nothing
        snap = await load_snapshot(store, SyncState(journal=""))
        row = next(r for r in snap.incidents if r.id == "INC-R")
        assert row.participants == ("ana",)
        assert row.visible_to("ana") and row.visible_to("boss")
        assert not row.visible_to("ben") and not row.visible_to("zed")
        timeline = [e.type for e in await incident_queries.timeline(store, "INC-R")]
        assert timeline.count("incident.participant_added") == 3
        status = await store.status()
        assert status.counters["quarantined"] == 0 and status.counters["unknown"] == 0


async def test_a_participant_of_an_incident_never_opened_is_quarantined_and_refused(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, restricted_journal())
    bad = build_events([("e", scoped("incident.participant_added", "INC-NONE", person="ana"))], "ana")
    try:
        await append_events(settings, bad)
    except AppendRefused as exc:
        assert "never opened" in str(exc)
    else:
        raise AssertionError("append wrote a participant of an incident never opened")
    # a reader quarantines such a line written by someone else, like every known scoped type
    import hashlib

    prev = hashlib.sha256(settings.journal.read_bytes().splitlines()[-1]).hexdigest()
    line = json.dumps({"v": 1, "id": "X1", "ts": "2026-11-01T10:00:00Z", "actor": "bot",
                       "type": "incident.participant_added", "incident": "INC-NONE",
                       "data": {"person": "ana"}, "prev": prev})  # fmt: skip
    with open(settings.journal, "ab") as f:
        f.write(line.encode() + b"\n")
    async with await Store.open(settings.db) as store:
        await store.sync(FileJournal(settings.journal))
        [q] = await store.quarantine()
        assert "never opened" in q.reason


async def test_the_type_needs_a_person(tmp_path: Path) -> None:
    try:
        build_events([("e", scoped("incident.participant_added", "INC-R"))], "ana")
    except AppendRefused as exc:
        assert "person" in str(exc)
    else:
        raise AssertionError("a participant without a person was accepted")


# --- the console -------------------------------------------------------------------------


async def _ready(pilot: Any, app: WarRoom, ids: list[str]) -> Any:
    await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
    await wait_for(pilot, lambda: sorted(queue_ids(app)) == sorted(ids), what="the queue")
    return app.screen


async def _select(pilot: Any, main: Any, incident: str) -> None:
    from widgets.queue import IncidentQueue

    queue = main.query_one(IncidentQueue)
    queue.focus()
    queue.move_cursor(row=queue.get_row_index(incident), animate=False)
    await wait_for(pilot, lambda: main.selected == incident and main._detail_seq[0] == incident,
                   what=f"{incident} selected")  # fmt: skip
    await settle(pilot)


def _assert_hidden(text: str, where: str) -> None:
    for secret in (SECRET, SECRET_SUMMARY, NOTE, ITEM, SECTION):
        assert secret not in text, f"{where} shows {secret!r} to a non-participant"


async def _every_pane(pilot: Any, app: WarRoom) -> dict[str, str]:
    """What the queue with timeline and checklist, the incident screen, the handoff and
    the post-mortem show of INC-R."""
    from screens.handoff import HandoffScreen
    from screens.incident import IncidentScreen
    from screens.postmortem import PostmortemScreen

    main = app.screen
    await _select(pilot, main, "INC-R")
    shown = {"war room": screen_text(app)}
    app.push_screen(IncidentScreen("INC-R"))
    await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.row is not None)
    await settle(pilot)
    shown["incident screen"] = screen_text(app)
    app.pop_screen()
    app.push_screen(PostmortemScreen("INC-R"))
    await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.pm is not None)
    await settle(pilot)
    shown["post-mortem screen"] = screen_text(app)
    app.pop_screen()
    app.push_screen(HandoffScreen())
    await wait_for(pilot, lambda: isinstance(app.screen, HandoffScreen) and app.screen.report is not None,
                   timeout=20)  # fmt: skip
    await settle(pilot)
    screen = app.screen
    texts = [screen_text(app)]
    report = screen.report
    shown["handoff report"] = json.dumps([(i.id, i.title) for i in report.incidents])
    shown["handoff screen"] = "\n".join(texts)
    app.pop_screen()
    await pilot.pause()
    return shown


async def test_a_non_participant_sees_only_id_severity_status_and_commander(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="zed")
    await seed(settings, [*restricted_journal(), added("ana")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app, ["INC-R", "INC-O"])
        shown = await _every_pane(pilot, app)
        for where, text in shown.items():
            _assert_hidden(text, where)
        assert "INC-R" in shown["war room"] and "boss" in shown["war room"]  # id and commander
        assert "restricted" in shown["war room"]
        assert "S1" in shown["incident screen"]


async def test_a_participant_sees_every_detail(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="ana")
    await seed(settings, [*restricted_journal(), added("ana")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app, ["INC-R", "INC-O"])
        shown = await _every_pane(pilot, app)
        assert SECRET in shown["war room"] and NOTE in shown["war room"] and ITEM in shown["war room"]
        assert SECRET in shown["incident screen"] and "Participants" in shown["incident screen"]
        assert SECTION in shown["post-mortem screen"]
        assert SECRET in shown["handoff report"]


async def test_participants_key_adds_and_removes_and_needs_sight(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="boss")
    await seed(settings, [*restricted_journal(), added("ana")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _ready(pilot, app, ["INC-R", "INC-O"])
        await _select(pilot, main, "INC-R")
        titles = {c.title for c in app.get_system_commands(main)}
        assert "Incident: Add or remove participant" in titles
        before = len(journal_lines(settings.journal))
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, dialogs.ParticipantDialog))
        dialog = app.screen
        assert "ana" in dialog.subtitle()
        dialog.query_one("#person").value = "cara"
        dialog.query_one("#reason").value = "Comms lead for the notice"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is main, what="the dialog to close")
        new = journal_lines(settings.journal)[before:]
        assert [(e["type"], e["data"]) for e in new] == [
            ("incident.participant_added", {"person": "cara", "reason": "Comms lead for the notice"})
        ]
        await wait_for(pilot, lambda: "cara" in main.selected_row().participants, what="cara projected")
        # removing someone who is not a participant is caught in the form
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, dialogs.ParticipantDialog))
        dialog = app.screen
        dialog.query_one("#change").value = "remove"
        dialog.query_one("#person").value = "nobody"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(dialog.query(".error.shown")), what="the refusal")
        await settle(pilot)
        assert app.screen is dialog and len(journal_lines(settings.journal)) == before + 1
        dialog.query_one("#person").value = "ana"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is main, what="the dialog to close")
        assert journal_lines(settings.journal)[-1]["type"] == "incident.participant_removed"


async def test_someone_who_cannot_see_it_cannot_add_participants(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="zed")
    await seed(settings, restricted_journal())
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _ready(pilot, app, ["INC-R", "INC-O"])
        await _select(pilot, main, "INC-R")
        before = len(journal_lines(settings.journal))
        app.told.clear()
        await pilot.press("u")
        await wait_for(pilot, lambda: any("INC-R is restricted" in n.message for n in app.told),
                       what="the refusal")  # fmt: skip
        assert app.screen is main
        assert "Incident: Add or remove participant" not in {c.title for c in app.get_system_commands(main)}
        assert len(journal_lines(settings.journal)) == before


# --- exports and reports -----------------------------------------------------------------


def _cli(settings: Any, *args: str, actor: str) -> str:
    result = CliRunner().invoke(
        cli_main, ["--journal", str(settings.journal), "--db", str(settings.db), "--actor", actor, *args],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def test_exports_and_reports_withhold_details_from_non_participants(tmp_path: Path) -> None:
    import asyncio

    settings = settings_for(tmp_path, actor="zed")
    asyncio.run(seed(settings, [*restricted_journal(), added("ana")]))
    bad = {"v": 1, "id": "Q1", "ts": "2026-11-01T10:00:00Z", "actor": "bot", "type": "checklist.added",
           "incident": "INC-R", "data": {"item": "logs", "text": ITEM, "team": "legal"}}  # fmt: skip
    with open(settings.journal, "ab") as f:  # a duplicate item: quarantined, its raw line holds the text
        prev = __import__("hashlib").sha256(settings.journal.read_bytes().splitlines()[-1]).hexdigest()
        f.write(json.dumps({**bad, "prev": prev}).encode() + b"\n")
    outputs: dict[str, dict[str, str]] = {"zed": {}, "ana": {}, "boss": {}}
    for actor in outputs:
        for kind in ("incidents", "timeline", "checklist", "quarantine"):
            for fmt in ("json", "csv"):
                outputs[actor][f"export {kind} {fmt}"] = _cli(
                    settings, "export", kind, "--format", fmt, actor=actor
                )
        outputs[actor]["handoff md"] = _cli(settings, "handoff", "--region", "all", actor=actor)
        outputs[actor]["handoff json"] = _cli(settings, "handoff", "--region", "all", "--format", "json",
                                              actor=actor)  # fmt: skip
        outputs[actor]["postmortem"] = _cli(settings, "postmortem", "INC-R", actor=actor)
    for where, text in outputs["zed"].items():
        _assert_hidden(text, where)
    incidents = json.loads(outputs["zed"]["export incidents json"])
    r = next(i for i in incidents if i["id"] == "INC-R")
    assert r["withheld"] is True and r["title"] is None and r["summary"] is None
    assert r["severity"] == 1 and r["roles"] == {"commander": "boss"} and r["participants"] == ["ana"]
    o = next(i for i in incidents if i["id"] == "INC-O")
    assert o["withheld"] is False and o["title"] == "Open matter"
    for actor in ("ana", "boss"):  # a participant and a role holder see it all
        seen = outputs[actor]
        assert SECRET in seen["export incidents json"] and SECRET in seen["export incidents csv"]
        assert NOTE in seen["export timeline json"] and ITEM in seen["export checklist csv"]
        assert ITEM in seen["export quarantine json"]
        assert SECRET in seen["handoff md"] and SECTION in seen["postmortem"]


# --- the command line applies the console's rule (data/engine/access.py) --------------------------


def _append(settings: Any, actor: str, *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(
        cli_main, ["--journal", str(settings.journal), "--db", str(settings.db), "--actor", actor, "append", *args],
        input=stdin, catch_exceptions=False,
    )  # fmt: skip


def _note(settings: Any, actor: str, text: str = "A note") -> Any:
    return _append(settings, actor, "--type", "incident.note", "--incident", "INC-R", "--data",
                   json.dumps({"text": text}))  # fmt: skip


def test_append_to_a_restricted_incident_needs_a_role_or_to_take_part(tmp_path: Path) -> None:
    import asyncio

    settings = settings_for(tmp_path)
    asyncio.run(seed(settings, [*restricted_journal(), added("ana")]))
    before = len(journal_lines(settings.journal))
    refused = _note(settings, "zed")
    assert refused.exit_code == 2
    assert "INC-R is restricted: only its role holders and participants can act on it" in refused.stderr
    assert "nothing was written" in refused.stderr
    assert len(journal_lines(settings.journal)) == before
    # adding oneself is refused too: someone holds a role in it
    joined = _append(settings, "zed", "--type", "incident.participant_added", "--incident", "INC-R",
                     "--data", '{"person": "zed"}')  # fmt: skip
    assert joined.exit_code == 2 and "INC-R is restricted" in joined.stderr
    for actor in ("ana", "boss"):  # a participant, a role holder
        result = _note(settings, actor, f"From {actor}")
        assert result.exit_code == 0, result.stderr
    assert [(e["actor"], e["data"]["text"]) for e in journal_lines(settings.journal)[before:]] == [
        ("ana", "From ana"), ("boss", "From boss")]  # fmt: skip
    # in one batch, as it goes: ana adds zed, then zed writes
    batch = "\n".join(json.dumps(e) for e in [
        {**added("zed"), "actor": "ana"},
        {"type": "incident.note", "incident": "INC-R", "data": {"text": "Joined"}, "actor": "zed"},
    ])  # fmt: skip
    assert _append(settings, "ana", stdin=batch).exit_code == 0
    assert journal_lines(settings.journal)[-1]["actor"] == "zed"


def test_append_of_a_restricted_opening_makes_its_opener_a_participant(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    data = {"title": SECRET, "category": "data_security", "severity": 1, "source": "employee",
            "regions": ["UK"], "restricted": True}  # fmt: skip
    result = _append(
        settings, "amara", "--type", "incident.opened", "--incident", "INC-R", "--data", json.dumps(data)
    )
    assert result.exit_code == 0, result.stderr
    assert "INC-R is restricted: its opener amara takes part in it" in result.stderr
    lines = journal_lines(settings.journal)
    assert result.stdout.split() == [e["id"] for e in lines]
    assert [(e["type"], e["actor"], e["data"].get("person")) for e in lines[:2]] == [
        ("incident.opened", "amara", None), ("incident.participant_added", "amara", "amara")]  # fmt: skip
    assert lines[1]["ts"] == lines[0]["ts"]
    # then, in the same batch, its procedure's items, as a console adds them
    assert lines[2:] and {e["type"] for e in lines[2:]} == {"checklist.added"}
    assert {e["batch"][1] for e in lines} == {len(lines)}
    assert _note(settings, "amara").exit_code == 0
    assert _note(settings, "zed").exit_code == 2
    # a batch that adds its opener already gets no second one
    batch = "\n".join(json.dumps(e) for e in [
        {"type": "incident.opened", "incident": "INC-S", "data": data},
        {"type": "incident.participant_added", "incident": "INC-S", "data": {"person": "amara"}},
    ])  # fmt: skip
    result = _append(settings, "amara", "--raw", stdin=batch)  # only the batch given
    assert result.exit_code == 0 and "takes part" not in result.stderr
    written = journal_lines(settings.journal)[-len(result.stdout.split()) :]
    assert [e["type"] for e in written if e["type"] != "checklist.added"] == [
        "incident.opened", "incident.participant_added"]  # fmt: skip


def test_a_restricted_incident_nobody_takes_part_in_can_be_given_people(tmp_path: Path) -> None:
    """Opened before openers took part (or everyone removed): anyone may add a participant or
    set a role, and nothing else, until someone holds a role or takes part."""
    import asyncio

    settings = settings_for(tmp_path)
    asyncio.run(seed(settings, [opened("INC-R", title=SECRET, restricted=True)]))
    refused = _note(settings, "zed")
    assert refused.exit_code == 2 and "nobody holds a role in it or takes part" in refused.stderr
    joined = _append(settings, "zed", "--type", "incident.participant_added", "--incident", "INC-R",
                     "--data", '{"person": "ana", "reason": "Legal lead"}')  # fmt: skip
    assert joined.exit_code == 0, joined.stderr
    assert _note(settings, "ana").exit_code == 0
    assert _note(settings, "zed").exit_code == 2  # ana takes part now: zed is outside again


async def test_the_console_lets_anyone_give_people_to_an_incident_nobody_takes_part_in(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, actor="zed")
    await seed(
        settings, [opened("INC-R", title=SECRET, restricted=True), opened("INC-O", title="Open matter")]
    )
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _ready(pilot, app, ["INC-R", "INC-O"])
        await _select(pilot, main, "INC-R")
        app.told.clear()
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is main
        assert any("nobody holds a role in it or takes part" in n.message for n in app.told)
        titles = {c.title for c in app.get_system_commands(main)}
        assert "Incident: Add or remove participant" in titles and "Incident: Add note" not in titles
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, dialogs.ParticipantDialog))
        app.screen.query_one("#person").value = "me"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is main, what="the dialog to close")
        assert journal_lines(settings.journal)[-1]["data"] == {"person": "zed"}
        await wait_for(pilot, lambda: main.selected_row().visible_to("zed"), what="zed takes part")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, dialogs.NoteDialog))
