"""The decision log (docs/decisions.md): decision.recorded projected and quarantined, the
append check, the query, the export, the handoff and post-mortem sections, and the screen
driven through the real console."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, DataTable, Input, Static, TextArea

from data.commands import AppendRefused, append_to, build_events
from data.decisions.queries import decisions, next_id
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.incidents import queries as incident_queries
from data.incidents.describe import describe
from tests._console_helpers import (
    ACTOR,
    SIZE,
    journal_lines,
    new_lines,
    scoped,
    screen_text,
    seed,
    settings_for,
    wait_for,
)
from tests._console_helpers import opened as opened_input
from tests.helpers import EventFactory, append_events, cli_env, run_cli, synced_store
from tests.test_actions import shown_error

INC = "INC-1"
LEGAL = [{"person": "amara", "role": "legal"}]


def decision(decision: str = "D-1", **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "decision": decision,
        "text": "Disclose the subscriber record to the police",
        "options": ["disclose now", "wait for legal process"],
        "rationale": "Good-faith belief of an imminent threat to life",
        "approvers": LEGAL,
        "basis": "18 U.S.C. 2702(b)(8)",
        "reversible": False,
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def story(f: EventFactory) -> list[dict[str, Any]]:
    return [
        f.opened(INC, severity=1),  # 1
        f("decision.recorded", decision("D-1"), INC),  # 2
        f("decision.recorded", decision("D-1", text="Again"), INC),  # 3: id used twice -> quarantined
        f("decision.recorded", decision("D-2", supersedes="D-9"), INC),  # 4: supersedes nothing
        f(
            "decision.recorded",
            decision(
                "D-2",
                text="Wait for process",
                reversible=True,
                supersedes="D-1",
                basis=None,
                approvers=[{"person": "ben", "role": "commander"}, {"person": "amara", "role": "legal"}],
            ),
            INC,
        ),  # 5
        f("decision.recorded", decision("D-3", supersedes="D-3"), INC),  # 6: itself -> quarantined
        f("decision.recorded", decision("D-1"), "INC-404"),  # 7: never opened
        f("decision.recorded", decision("D-4", approvers=[]), INC),  # 8: nobody approved
        f("decision.recorded", decision("D-5", approvers=[{"person": "x", "role": "boss"}]), INC),  # 9
        f("decision.recorded", decision("Bad id!"), INC),  # 10
    ]


async def _store(tmp_path: Path, events: list[dict[str, Any]]) -> Store:
    append_events(tmp_path / "journal.jsonl", events)
    store, _ = await synced_store(tmp_path / "journal.jsonl", tmp_path / "store.db")
    return store


# --- projection -----------------------------------------------------------------------------


async def test_decisions_are_projected_superseded_and_the_bad_ones_quarantined(tmp_path: Path) -> None:
    store = await _store(tmp_path, story(EventFactory()))
    try:
        q = {row.line: row.reason for row in await store.quarantine()}
        assert set(q) == {3, 4, 6, 7, 8, 9, 10}, q
        assert "already recorded" in q[3] and "never recorded" in q[4] and "never recorded" in q[6]
        assert "never opened" in q[7] and "data.approvers" in q[8] and "data.approvers" in q[9]
        assert "data.decision" in q[10]
        rows = await decisions(store, INC)
        assert [(r.decision, r.superseded_by, r.supersedes) for r in rows] == [
            ("D-1", "D-2", None),
            ("D-2", None, "D-1"),
        ]
        first, second = rows
        assert first.text.startswith("Disclose") and first.basis == "18 U.S.C. 2702(b)(8)"
        assert first.options == ("disclose now", "wait for legal process") and first.reversible is False
        assert second.approved_by == "ben (commander), amara (legal)" and second.basis is None
        assert second.reversible is True and first.superseded and not second.superseded
        assert next_id(rows) == "D-3"
        types = [e.type for e in await incident_queries.timeline(store, INC)]
        assert types.count("decision.recorded") == 2
    finally:
        await store.close()


async def test_the_digest_does_not_depend_on_how_ingestion_was_split(tmp_path: Path) -> None:
    """A decision superseded in a later span than its own is found in the store."""
    journal = tmp_path / "journal.jsonl"
    append_events(journal, story(EventFactory()))
    whole, _ = await synced_store(journal, tmp_path / "whole.db")
    split = await Store.open(tmp_path / "split.db")
    try:
        while (await split.sync(FileJournal(journal), max_lines=1)).lines:
            pass
        assert await whole.digest() == await split.digest()
        assert [r.superseded_by for r in await decisions(split, INC)] == ["D-2", None]
    finally:
        await whole.close()
        await split.close()


def test_the_timeline_text_says_who_approved_on_what_basis() -> None:
    text = describe("decision.recorded", decision("D-2", supersedes="D-1"))
    assert text == (
        "Decision D-2: Disclose the subscriber record to the police (approved by amara (legal); "
        "basis 18 U.S.C. 2702(b)(8); irreversible; supersedes D-1)"
    )


# --- the writer ------------------------------------------------------------------------------


async def test_append_refuses_a_reused_id_and_a_supersedes_naming_no_earlier_decision(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened_input(INC), opened_input("INC-2"),
                          scoped("decision.recorded", "INC-2", **decision("D-7"))])  # fmt: skip
    await seed(settings, [scoped("decision.recorded", INC, **decision("D-1"))])
    store = await Store.open(tmp_path / "check.db")
    journal = FileJournal(settings.journal)

    async def refused(*events: dict[str, Any]) -> AppendRefused:
        with pytest.raises(AppendRefused) as err:
            await append_to(journal, store, build_events([(e["type"], e) for e in events], ACTOR))
        return err.value

    try:
        for bad, why in (
            (decision("D-1"), "'D-1' of INC-1 was already recorded"),
            (decision("D-2", supersedes="D-9"), "'D-9' of INC-1 was never recorded"),
            (decision("D-2", supersedes="D-7"), "'D-7' of INC-1 was never recorded"),  # another incident's
            (decision("D-2", supersedes="D-2"), "'D-2' of INC-1 was never recorded"),
        ):
            err = await refused(scoped("decision.recorded", INC, **bad))
            assert why in str(err), str(err)
        # two of one id in one batch; then superseding one already superseded
        err = await refused(scoped("decision.recorded", INC, **decision("D-2")),
                            scoped("decision.recorded", INC, **decision("D-2")))  # fmt: skip
        assert "was already recorded" in str(err)
        ok = scoped("decision.recorded", INC, **decision("D-2", supersedes="D-1"))
        await append_to(journal, store, build_events([(ok["type"], ok)], ACTOR))
        err = await refused(scoped("decision.recorded", INC, **decision("D-3", supersedes="D-1")))
        assert "'D-1' of INC-1 is already superseded by 'D-2'" in str(err)
        # the model's own refusals name the member
        for data, member in ((decision(approvers=[]), "data.approvers"), (decision(text=" "), "text"),
                             (decision(options=["x"] * 21), "data.options"),
                             (decision(approvers=[{"person": "a", "role": "cto"}]), "data.approvers.0.role"),
                             (decision(reversible="no"), "data.reversible")):  # fmt: skip
            with pytest.raises(AppendRefused, match=member.replace(".", r"\.")):
                build_events([("decision.recorded", scoped("decision.recorded", INC, **data))], ACTOR)
    finally:
        await store.close()


async def test_on_a_restricted_incident_only_those_who_may_act_record(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened_input(INC, restricted=True),
                          scoped("incident.participant_added", INC, person="owner")], actor="owner")  # fmt: skip
    store = await Store.open(tmp_path / "check.db")
    journal = FileJournal(settings.journal)
    try:
        ev = scoped("decision.recorded", INC, **decision("D-1"))
        with pytest.raises(AppendRefused, match="restricted"):
            await append_to(journal, store, build_events([(ev["type"], ev)], "outsider"))
        await append_to(journal, store, build_events([(ev["type"], ev)], "owner"))
        assert [r.decision for r in await decisions(store, INC)] == ["D-1"]
    finally:
        await store.close()


# --- the export --------------------------------------------------------------------------------


def test_warroom_export_decisions_masks_and_withholds(tmp_path: Path) -> None:
    journal, db = tmp_path / "journal.jsonl", tmp_path / "store.db"
    f = EventFactory(actor="owner")
    append_events(journal, [
        f.opened(INC),
        f("decision.recorded", decision("D-1", rationale="Caller gave user@example.com"), INC),
        f("decision.recorded", decision("D-2", supersedes="D-1", reversible=True), INC),
        f.opened("INC-2", restricted=True),
        f("incident.participant_added", {"person": "owner"}, "INC-2"),
        f("decision.recorded", decision("D-1", text="Secret plan"), "INC-2"),
    ])  # fmt: skip
    env = cli_env(tmp_path, journal, db, actor="tester")
    done = run_cli(["export", "decisions", "--format", "json"], env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["incident"], r["decision"], r["superseded_by"]) for r in rows] == [
        (INC, "D-1", "D-2"), (INC, "D-2", None), ("INC-2", "D-1", None)
    ]  # fmt: skip
    assert rows[0]["approvers"] == ["amara:legal"] and rows[0]["reversible"] is False
    assert b"user@example.com" not in done.stdout and "Caller gave" in rows[0]["rationale"]
    assert rows[2]["text"] is None and rows[2]["rationale"] is None  # withheld from an outsider
    done = run_cli(["export", "decisions", "--format", "csv", "--incident", INC], env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("incident,decision,ts,actor,text,options,rationale,approvers")
    assert len(lines) == 3 and ",D-2," in lines[2] and "amara:legal" in lines[1]
    done = run_cli(["export", "decisions", "--format", "json", "--unmasked", "--incident", INC], env)
    assert done.returncode == 0 and b"user@example.com" in done.stdout


# --- the screen, through the real console ---------------------------------------------------


async def _open_decisions(pilot: Any, app: Any, incident: str = INC) -> Any:
    from screens.decisions import DecisionsScreen
    from tests.test_actions import select_incident, started

    main = await started(pilot, app, [incident])
    await select_incident(pilot, main, incident)
    await pilot.press("D")
    await wait_for(pilot, lambda: isinstance(app.screen, DecisionsScreen) and app.screen.access is not None,
                   what="the decisions screen")  # fmt: skip
    await pilot.pause()
    return app.screen


async def test_pilot_record_a_decision_then_supersede_it(tmp_path: Path) -> None:
    from app.console import WarRoom
    from screens.decisions import DecisionDialog

    settings = settings_for(tmp_path)
    await seed(settings, [opened_input(INC, severity=1)])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_decisions(pilot, app)
        assert screen.rows == [] and "No decision recorded yet" in str(
            screen.query_one("#decision-detail").content
        )
        before = len(journal_lines(settings.journal))
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, DecisionDialog), what="the decision dialog")
        dialog = app.screen
        assert dialog.query_one("#decision", Input).value == "D-1"
        dialog.query_one("#text", Input).value = "Disclose the [b]subscriber[/b] record"
        dialog.query_one("#options", TextArea).text = "disclose now\n\nwait for process\n"
        dialog.query_one("#rationale", TextArea).text = "Threat to life, verified by call-back"
        dialog.query_one("#approvers", TextArea).text = "me:commander\nlegal-amara:legal"
        dialog.query_one("#basis", Input).value = "18 U.S.C. 2702(b)(8)"
        # a role that is not one: the form says so at the field and writes nothing
        dialog.query_one("#approvers", TextArea).text = "me:boss"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: shown_error(dialog, "approvers") is not None, what="the approvers error"
        )
        assert "'boss' is not a role" in (shown_error(dialog, "approvers") or "")
        assert len(journal_lines(settings.journal)) == before
        dialog.query_one("#approvers", TextArea).text = "me:commander\nlegal-amara:legal"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(journal_lines(settings.journal)) > before,
                       what="the decision written")  # fmt: skip
        (line,) = new_lines(settings.journal, before)
        assert (line["type"], line["incident"], line["actor"]) == ("decision.recorded", INC, ACTOR)
        assert line["data"] == {
            "decision": "D-1", "text": "Disclose the [b]subscriber[/b] record",
            "options": ["disclose now", "wait for process"], "rationale": "Threat to life, verified by call-back",
            "approvers": [{"person": ACTOR, "role": "commander"}, {"person": "legal-amara", "role": "legal"}],
            "basis": "18 U.S.C. 2702(b)(8)", "reversible": False,
        }  # fmt: skip
        await wait_for(pilot, lambda: [r.decision for r in screen.rows] == ["D-1"], what="D-1 shown")
        table = screen.query_one("#decisions", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1, what="the row")
        cells = [c.plain for c in table.get_row_at(0)]
        assert cells[1:] == ["D-1", "Disclose the [b]subscriber[/b] record",
                             f"{ACTOR} (commander), legal-amara (legal)", "18 U.S.C. 2702(b)(8)", "NO", ""]  # fmt: skip

        # supersede it: the new decision names it, and it is shown superseded
        before = len(journal_lines(settings.journal))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, DecisionDialog), what="the supersede dialog")
        dialog = app.screen
        assert dialog.query_one("#decision", Input).value == "D-2"
        assert dialog.query_one("#options", TextArea).text == "disclose now\nwait for process"
        dialog.query_one("#text", Input).value = "Wait for legal process"
        dialog.query_one("#rationale", TextArea).text = "The threat was withdrawn"
        dialog.query_one("#basis", Input).value = ""
        dialog.query_one("#reversible", Checkbox).value = True
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(journal_lines(settings.journal)) > before,
                       what="the superseding decision written")  # fmt: skip
        (line,) = new_lines(settings.journal, before)
        assert line["data"]["supersedes"] == "D-1" and line["data"]["reversible"] is True
        assert "basis" not in line["data"]
        await wait_for(pilot, lambda: [r.superseded_by for r in screen.rows] == ["D-2", None],
                       what="D-1 shown superseded")  # fmt: skip
        await wait_for(pilot, lambda: table.row_count == 2 and table.get_row_at(0)[6].plain == "D-2",
                       what="the superseded-by cell")  # fmt: skip


async def test_pilot_an_outsider_sees_nothing_of_a_restricted_incidents_decisions(tmp_path: Path) -> None:
    from app.console import WarRoom

    settings = settings_for(tmp_path)
    await seed(settings, [opened_input(INC, restricted=True), scoped("incident.participant_added", INC, person="owner"),
                          scoped("decision.recorded", INC, **decision("D-1", text="Secret plan"))],
               actor="owner")  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_decisions(pilot, app)
        table = screen.query_one("#decisions", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1, what="the row")
        shown = " ".join(c.plain for c in table.get_row_at(0))
        detail = str(screen.query_one("#decision-detail", Static).content)
        assert "D-1" in shown and "(restricted)" in shown and "Restricted" in detail
        assert "Secret plan" not in shown + detail and "2702" not in shown + detail
        # and painted so (the screen itself stays visible to an outsider)
        await wait_for(pilot, lambda: "(restricted)" in screen_text(app), what="the screen painted")
        assert "D-1" in screen_text(app) and "Secret plan" not in screen_text(app)
        before = len(journal_lines(settings.journal))
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and len(journal_lines(settings.journal)) == before
        assert not screen.applies("record_decision")


# --- the handoff and the post-mortem ---------------------------------------------------------

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def shift_story() -> list[dict[str, Any]]:
    f = EventFactory(actor="owner")
    return [
        f.opened(INC, ts=at(-30)),
        f("decision.recorded", decision("D-1", text="Hold the account"), INC, ts=at(-20)),  # before the shift
        f("decision.recorded", decision("D-2", text="Disclose now", supersedes="D-1"), INC, ts=at(-2)),
        f.opened("INC-2", restricted=True, ts=at(-3)),
        f("incident.participant_added", {"person": "owner"}, "INC-2", ts=at(-3)),
        f("decision.recorded", decision("D-1", text="Secret plan"), "INC-2", ts=at(-1)),
    ]


async def _synced(tmp_path: Path, events: list[dict[str, Any]]) -> Store:
    append_events(tmp_path / "journal.jsonl", events)
    store, _ = await synced_store(tmp_path / "journal.jsonl", tmp_path / "store.db")
    return store


async def test_the_handoff_lists_the_decisions_of_the_shift(tmp_path: Path) -> None:
    from data.handoff.report import build_handoff, to_json, to_markdown
    from data.procedures.clocks import Policy
    from screens.handoff import side_text

    store = await _synced(tmp_path, shift_story())
    try:
        report = await build_handoff(store, "tester", None, NOW, Policy())
        owner = await build_handoff(store, "owner", None, NOW, Policy())
    finally:
        await store.close()
    assert report.shift_start == NOW - timedelta(hours=12)
    assert [(d.incident, d.decision, d.text) for d in report.decisions] == [
        (INC, "D-2", "Disclose now"), ("INC-2", "D-1", None)  # withheld from an outsider
    ]  # fmt: skip
    assert [d.text for d in owner.decisions] == ["Disclose now", "Secret plan"]
    md = to_markdown(report)
    section = md.split("## Decisions this shift (2)\n", 1)[1].split("\n## ", 1)[0]
    assert "INC-1 D-2: Disclose now (approved by amara (legal); basis 18 U.S.C. 2702(b)(8); " in section
    assert "**irreversible**; supersedes D-1)" in section and "INC-2 D-1: (restricted)" in section
    assert "Secret plan" not in md and "Hold the account" not in md
    data = to_json(report)["decisions"]
    assert data[0] == {
        "incident": INC, "decision": "D-2", "ts": "2026-11-22T01:00:00Z", "text": "Disclose now",
        "approvers": [{"person": "amara", "role": "legal"}], "basis": "18 U.S.C. 2702(b)(8)",
        "reversible": False, "supersedes": "D-1", "superseded_by": None,
    }  # fmt: skip
    assert data[1]["text"] is None and data[1]["basis"] is None
    side = side_text(report).plain
    assert "Decisions this shift (2)" in side and "Disclose now" in side and "Secret plan" not in side


async def test_the_post_mortem_has_a_decisions_section_with_the_superseded_marked(tmp_path: Path) -> None:
    from data.postmortem.report import build_postmortem, to_markdown

    store = await _synced(tmp_path, shift_story())
    try:
        pm = await build_postmortem(store, INC, "tester", NOW)
        secret = await build_postmortem(store, "INC-2", "tester", NOW)
    finally:
        await store.close()
    assert pm is not None and secret is not None
    assert [(d.decision, d.superseded_by) for d in pm.decisions] == [("D-1", "D-2"), ("D-2", None)]
    md = to_markdown(pm)
    section = md.split("## Decisions\n", 1)[1].split("\n## ", 1)[0]
    assert "- **D-1** · 2026-11-21 07:00 UTC · Hold the account · **superseded by D-2**" in section
    assert "- **D-2** · 2026-11-22 01:00 UTC · Disclose now\n" in section
    assert "  - Supersedes D-1" in section and "  - Approved by amara (legal); **irreversible**" in section
    assert "  - Options considered: disclose now; wait for legal process" in section
    assert "  - Rationale: Good-faith belief of an imminent threat to life" in section
    hidden = to_markdown(secret).split("## Decisions\n", 1)[1].split("\n## ", 1)[0]
    assert "Secret plan" not in hidden and "- **D-1** · 2026-11-22 02:00 UTC · (restricted)" in hidden
    assert "2702" not in hidden and "imminent" not in hidden


async def test_pilot_d_on_the_incident_screen_opens_its_decisions_and_escape_goes_back(
    tmp_path: Path,
) -> None:
    from app.console import WarRoom
    from screens.decisions import DecisionsScreen
    from screens.incident import IncidentScreen
    from tests.test_actions import select_incident, started

    settings = settings_for(tmp_path)
    await seed(settings, [opened_input(INC), scoped("decision.recorded", INC, **decision("D-1"))])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, [INC])
        await select_incident(pilot, main, INC)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen), what="the incident screen")
        incident_screen = app.screen
        await pilot.pause()
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DecisionsScreen) and bool(app.screen.rows),
                       what="the decisions screen")  # fmt: skip
        assert app.screen.incident == INC and [r.decision for r in app.screen.rows] == ["D-1"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is incident_screen, what="back on the incident screen")


async def test_pilot_the_approver_picker_adds_a_role_holder_in_their_role(tmp_path: Path) -> None:
    from textual.widgets import Button, Select

    from app.console import WarRoom
    from screens.decisions import DecisionDialog

    settings = settings_for(tmp_path)
    await seed(settings, [opened_input(INC), scoped("incident.role_set", INC, role="legal", person="amara")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_decisions(pilot, app)
        await wait_for(pilot, lambda: screen.roles == {"legal": "amara"}, what="the roles")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, DecisionDialog), what="the decision dialog")
        dialog = app.screen
        area = dialog.query_one("#approvers", TextArea)
        assert area.text == f"{ACTOR}:commander"  # you, in your role (none here: commander)
        dialog.query_one("#approver-add", Button).press()
        await wait_for(pilot, lambda: shown_error(dialog, "approvers") is not None, what="pick first")
        dialog.query_one("#approver-person", Select).value = "amara"
        role = dialog.query_one("#approver-role", Select)
        await wait_for(pilot, lambda: role.value == "legal", what="the holder's role proposed")
        dialog.query_one("#approver-add", Button).press()
        await wait_for(pilot, lambda: area.text == f"{ACTOR}:commander\namara:legal", what="the line added")
        dialog.query_one("#approver-add", Button).press()  # twice: one line
        await pilot.pause()
        assert area.text == f"{ACTOR}:commander\namara:legal"
        assert [(a.person, a.role) for a in dialog.approvers()] == [(ACTOR, "commander"), ("amara", "legal")]
