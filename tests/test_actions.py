"""The console's write path and its screens, driven like a user would: keys, dialogs, the
palette, filters, the incident, help and warnings screens. Each flow checks both what the
widgets show and the exact journal lines written (type, incident, data, actor)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Checkbox, DataTable, Input, Select, SelectionList, Static

from app.console import TOLD_KEPT, WarRoom
from screens import dialogs
from screens.main import MainScreen
from tests._console_helpers import (
    ACTOR,
    OPEN,
    SIZE,
    assert_no_controls,
    assert_screen_clean,
    journal_lines,
    log_lines,
    log_text,
    new_lines,
    opened,
    plain_cells,
    queue_ids,
    scoped,
    screen_strips,
    screen_text,
    seed,
    settings_for,
    settle,
    snapshot_ids,
    wait_for,
)
from tests.helpers import HOSTILE
from widgets.checklist import ChecklistPane, row_key

# --- flow helpers ------------------------------------------------------------------------


async def started(pilot: Any, app: WarRoom, ids: list[str] | None = None) -> MainScreen:
    """Wait for the first sync (and for the queue to show ``ids``); return the main screen."""
    await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
    if ids is not None:
        await wait_for(pilot, lambda: queue_ids(app) == ids, what=f"the queue to show {ids}")
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def select_incident(pilot: Any, main: MainScreen, incident: str) -> None:
    """Put the queue's cursor on ``incident`` and wait for its detail to load."""
    from widgets.queue import IncidentQueue

    queue = main.query_one(IncidentQueue)
    queue.focus()
    queue.move_cursor(row=queue.get_row_index(incident), animate=False)
    await wait_for(pilot, lambda: main.selected == incident and main._detail_seq[0] == incident,
                   what=f"{incident} selected")  # fmt: skip


async def open_dialog(pilot: Any, app: WarRoom, key: str, kind: type) -> Any:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, kind), what=f"{kind.__name__} after {key!r}")
    await pilot.pause()
    return app.screen


async def type_into(pilot: Any, field: Input, text: str, keys: int = 2) -> None:
    """Fill ``field`` with ``text``: all but the last ``keys`` characters are set on the
    widget, the rest typed as key presses (each press costs a round trip through the app)."""
    field.focus()
    await pilot.pause()
    head, tail = (text[:-keys], text[-keys:]) if len(text) > keys else ("", text)
    field.value = head
    field.cursor_position = len(head)
    await pilot.press(*tail)
    assert field.value == text


async def submit(
    pilot: Any, app: WarRoom, dialog: Any, field_id: str, lines_before: int, count: int = 1
) -> list[dict[str, Any]]:
    """Press Enter in a text field of ``dialog``; wait until it closes and ``count`` lines
    were written; return those lines."""
    dialog.query_one(f"#{field_id}", Input).focus()
    await pilot.pause()
    await pilot.press("enter")
    journal = app.settings.journal
    await wait_for(pilot, lambda: app.screen is not dialog and len(journal_lines(journal)) >= lines_before + count,
                   what=f"{type(dialog).__name__} to write and close")  # fmt: skip
    lines = new_lines(journal, lines_before)
    assert len(lines) == count, lines
    return lines


def event_of(line: dict[str, Any]) -> tuple[str, str | None, dict[str, Any], str]:
    return line["type"], line.get("incident"), line["data"], line["actor"]


def cell(main: MainScreen, incident: str, column: str) -> str:
    from widgets.queue import IncidentQueue

    value = main.query_one(IncidentQueue).get_cell(incident, column)
    assert isinstance(value, Text)
    return value.plain


def shown_error(dialog: Any, field: str) -> str | None:
    err = dialog.query_one(f"#{field}-error", Static)
    return str(err.content) if err.has_class("shown") else None


# --- 1, 2: the new-incident form ----------------------------------------------------------


async def test_open_incident_form_writes_the_incident_and_its_procedure(tmp_path: Path) -> None:
    from widgets.queue import IncidentQueue

    settings = settings_for(tmp_path)
    settings.journal.touch()
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, [])
        dialog = await open_dialog(pilot, app, "o", dialogs.NewIncidentDialog)
        dialog.query_one("#incident-id", Input).value = "inc-form-1"  # upper-cased on submit
        await type_into(pilot, dialog.query_one("#title", Input), "EDR: welfare concern, ref 4411")
        dialog.query_one("#category", Select).value = "self_harm"
        dialog.query_one("#severity", Select).value = 1
        dialog.query_one("#source", Select).value = "crisis_protocol"
        regions = dialog.query_one("#regions", SelectionList)
        regions.select("UK")
        regions.select("AU")
        await type_into(pilot, dialog.query_one("#summary", Input), "Live stream flagged by partner.")
        dialog.query_one("#restricted", Checkbox).value = True
        from data.procedures.sop import load_templates

        template = load_templates().templates["self_harm"]
        applies = [i.id for i in template.items if i.applies(1, ["UK", "AU"])]
        assert dialog.query_one("#commander", Input).value == "me"  # the opener, unless changed
        t_before = datetime.now(UTC)
        line, participant, commander, *items = await submit(
            pilot, app, dialog, "title", 0, count=3 + len(applies)
        )
        t_after = datetime.now(UTC)

        assert event_of(line) == (
            "incident.opened", "INC-FORM-1",
            {"title": "EDR: welfare concern, ref 4411", "category": "self_harm", "severity": 1,
             "source": "crisis_protocol", "regions": ["UK", "AU"], "summary": "Live stream flagged by partner.",
             "restricted": True},
            ACTOR,
        )  # fmt: skip
        assert line["v"] == 1 and line["prev"] is None and line["id"] and line["ts"].endswith("Z")
        # in the same batch, the opener takes part in the restricted incident and commands it
        assert event_of(participant) == ("incident.participant_added", "INC-FORM-1",
                                         {"person": ACTOR, "reason": "opened it"}, ACTOR)  # fmt: skip
        assert event_of(commander) == ("incident.role_set", "INC-FORM-1",
                                       {"role": "commander", "person": ACTOR}, ACTOR)  # fmt: skip
        # the self-harm procedure's items that apply to a severity-1 UK/AU incident, in its
        # order, in the same batch; due times from T0 (no detected_at: when it was opened)
        assert [i["data"]["item"] for i in items] == applies and len(applies) >= 5
        by_id = {i.id: i for i in template.items}
        for i in items:
            assert (i["type"], i["incident"], i["actor"]) == ("checklist.added", "INC-FORM-1", ACTOR)
            assert i["data"]["template"] == template.version
            step = by_id[i["data"]["item"]]
            earliest, latest = step.deadline(t_before, 1), step.deadline(t_after, 1)
            if earliest is None or latest is None:
                assert i["data"].get("due") is None
            else:
                at = datetime.fromisoformat(i["data"]["due"].replace("Z", "+00:00"))
                assert earliest - timedelta(seconds=1) <= at <= latest

        await wait_for(pilot, lambda: queue_ids(app) == ["INC-FORM-1"], what="the new row")
        assert cell(main, "INC-FORM-1", "sev") == "S1"
        assert cell(main, "INC-FORM-1", "category") == "self-harm"
        assert cell(main, "INC-FORM-1", "status") == "new"
        # need-to-know: its opener sees it (a participant, and its commander)
        assert cell(main, "INC-FORM-1", "title") == "[R] EDR: welfare concern, ref 4411"
        assert cell(main, "INC-FORM-1", "commander") == ACTOR
        assert main.query_one(IncidentQueue).has_focus


async def test_the_opener_of_a_restricted_incident_can_act_on_it(tmp_path: Path) -> None:
    """Opened from the form with Restricted ticked and no commander: the opener takes part
    in it, so every key works for them, and the palette offers the commands."""
    settings = settings_for(tmp_path)
    settings.journal.touch()
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, [])
        dialog = await open_dialog(pilot, app, "o", dialogs.NewIncidentDialog)
        dialog.query_one("#incident-id", Input).value = "INC-MINE"
        dialog.query_one("#title", Input).value = "Leak of the payroll export"
        dialog.query_one("#category", Select).value = "data_security"
        dialog.query_one("#severity", Select).value = 1
        dialog.query_one("#source", Select).value = "employee"
        dialog.query_one("#regions", SelectionList).select("UK")
        dialog.query_one("#restricted", Checkbox).value = True
        dialog.query_one("#commander", Input).value = ""  # nobody commands it yet
        dialog.query_one("#title", Input).focus()
        await pilot.pause()
        await pilot.press("enter")  # one batch: written whole or not at all
        await wait_for(pilot, lambda: app.screen is main and journal_lines(settings.journal), what="the form")
        written = journal_lines(settings.journal)
        assert [e["type"] for e in written[:2]] == ["incident.opened", "incident.participant_added"]
        assert "incident.role_set" not in {e["type"] for e in written}
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-MINE"], what="the new row")
        await select_incident(pilot, main, "INC-MINE")
        kinds = {"r": dialogs.RoleDialog, "u": dialogs.ParticipantDialog, "s": dialogs.SeverityDialog,
                 "a": dialogs.NoteDialog, "k": dialogs.ActionDialog, "x": dialogs.StatusDialog}  # fmt: skip
        for key, kind in kinds.items():
            app.told.clear()
            await open_dialog(pilot, app, key, kind)
            assert not [n.message for n in app.told if "restricted" in n.message], key
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is main, what=f"{key!r} closed")
        titles = {c.title for c in app.get_system_commands(main)}
        assert {"Incident: Add note", "Incident: Add or remove participant"} <= titles
        # and what it writes is accepted: a note
        before = len(journal_lines(settings.journal))
        dialog = await open_dialog(pilot, app, "a", dialogs.NoteDialog)
        dialog.query_one("#text", Input).value = "Scope confirmed with payroll"
        [note] = await submit(pilot, app, dialog, "text", before)
        assert event_of(note) == (
            "incident.note",
            "INC-MINE",
            {"text": "Scope confirmed with payroll"},
            ACTOR,
        )


async def test_open_incident_form_empty_title_writes_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        before = settings.journal.read_bytes()
        dialog = await open_dialog(pilot, app, "o", dialogs.NewIncidentDialog)
        dialog.query_one("#incident-id", Input).value = "INC-2"
        dialog.query_one("#category", Select).value = "edr"
        dialog.query_one("#severity", Select).value = 2
        dialog.query_one("#source", Select).value = "user_report"
        dialog.query_one("#regions", SelectionList).select("US")
        await type_into(pilot, dialog.query_one("#title", Input), "   ")  # blank once stripped
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: shown_error(dialog, "title") is not None, what="the title's inline error"
        )
        assert shown_error(dialog, "title") == "give a title"
        assert shown_error(dialog, "general") is None
        # the other fields are fine: no error under them
        assert all(
            shown_error(dialog, f) is None
            for f in ("incident-id", "category", "severity", "source", "regions")
        )
        await settle(pilot)  # a write would be a worker: waited for
        assert app.screen is dialog
        assert settings.journal.read_bytes() == before  # nothing written
        # and a missing choice is named under its own field, still writing nothing
        dialog.query_one("#title", Input).value = "A title"
        dialog.query_one("#source", Select).clear()
        dialog.query_one("#title", Input).focus()
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: shown_error(dialog, "source") is not None, what="the source's inline error"
        )
        assert shown_error(dialog, "title") is None  # errors of the previous try are cleared
        assert settings.journal.read_bytes() == before


# --- 3: every incident and checklist action -------------------------------------------------


async def move_checklist_cursor(pilot: Any, main: MainScreen, item: str) -> None:
    """With the checklist focused, press down/up until ``item`` is under the cursor."""

    pane = main.query_one(ChecklistPane)
    assert pane.has_focus
    target = pane.get_row_index(item)
    for _ in range(pane.row_count + 1):
        if pane.selected_item() == item:
            break
        await pilot.press("down" if pane.cursor_row < target else "up")
    assert pane.selected_item() == item


async def test_incident_and_checklist_actions(tmp_path: Path) -> None:
    from widgets.timeline import Timeline

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1", severity=3, title="Hash match on upload"),
        scoped("checklist.added", "INC-1", item="preserve", text="Preserve account data", team="le_response"),
    ])  # fmt: skip
    app = WarRoom(settings)
    journal = settings.journal
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        timeline = main.query_one(Timeline)
        pane = main.query_one(ChecklistPane)

        # severity, with a reason
        n = len(journal_lines(journal))
        dialog = await open_dialog(pilot, app, "s", dialogs.SeverityDialog)
        assert dialog.query_one("#severity", Select).value == 3  # starts at the current severity
        dialog.query_one("#severity", Select).value = 1
        await type_into(pilot, dialog.query_one("#reason", Input), "imminent risk")
        # raising it to severity 1 adds the procedure's severity-1 items, in the same batch
        from data.procedures.sop import load_templates

        edr = load_templates().templates["edr"]
        regions = OPEN["regions"]
        newly = [i.id for i in edr.items if i.applies(1, regions) and not i.applies(3, regions)]
        assert newly, "the EDR procedure has severity-1 items"
        line, *added = await submit(pilot, app, dialog, "reason", n, count=1 + len(newly))
        assert event_of(line) == (
            "incident.severity_set",
            "INC-1",
            {"severity": 1, "reason": "imminent risk"},
            ACTOR,
        )
        assert [(a["type"], a["data"]["item"], a["data"]["template"]) for a in added] == [
            ("checklist.added", i, edr.version) for i in newly
        ]
        await wait_for(pilot, lambda: cell(main, "INC-1", "sev") == "S1", what="S1 in the queue")

        # status, with a reason
        n += 1 + len(newly)
        dialog = await open_dialog(pilot, app, "x", dialogs.StatusDialog)
        assert dialog.query_one("#status", Select).value == "new"
        dialog.query_one("#status", Select).value = "investigating"
        await type_into(pilot, dialog.query_one("#reason", Input), "LE desk engaged")
        [line] = await submit(pilot, app, dialog, "reason", n)
        assert event_of(line) == (
            "incident.status_set",
            "INC-1",
            {"status": "investigating", "reason": "LE desk engaged"},
            ACTOR,
        )
        await wait_for(pilot, lambda: cell(main, "INC-1", "status") == "investigating", what="the new status")

        # assign a role, then clear it (an empty person is null)
        n += 1
        dialog = await open_dialog(pilot, app, "r", dialogs.RoleDialog)
        assert dialog.query_one("#role", Select).value == "commander"
        assert dialog.query_one("#person", Input).value == ""
        await type_into(pilot, dialog.query_one("#person", Input), "amara")
        [line] = await submit(pilot, app, dialog, "person", n)
        assert event_of(line) == (
            "incident.role_set",
            "INC-1",
            {"role": "commander", "person": "amara"},
            ACTOR,
        )
        await wait_for(pilot, lambda: cell(main, "INC-1", "commander") == "amara", what="the commander")

        n += 1
        dialog = await open_dialog(pilot, app, "r", dialogs.RoleDialog)
        person = dialog.query_one("#person", Input)
        assert person.value == "amara"  # the current commander, to edit or clear
        person.value = "  "
        [line] = await submit(pilot, app, dialog, "person", n)
        assert event_of(line) == ("incident.role_set", "INC-1", {"role": "commander", "person": None}, ACTOR)
        await wait_for(pilot, lambda: cell(main, "INC-1", "commander") == "—", what="the commander cleared")

        # a pinned note
        n += 1
        dialog = await open_dialog(pilot, app, "a", dialogs.NoteDialog)
        await type_into(pilot, dialog.query_one("#text", Input), "Called the LE liaison")
        dialog.query_one("#pinned", Checkbox).value = True
        [line] = await submit(pilot, app, dialog, "text", n)
        assert event_of(line) == (
            "incident.note",
            "INC-1",
            {"text": "Called the LE liaison", "pinned": True},
            ACTOR,
        )
        await wait_for(pilot, lambda: f"NOTE {ACTOR} PINNED Called the LE liaison" in log_text(timeline),
                       what="the pinned note in the timeline")  # fmt: skip

        # an action with a reference
        n += 1
        dialog = await open_dialog(pilot, app, "k", dialogs.ActionDialog)
        dialog.query_one("#kind", Select).value = "report_filed"
        await type_into(pilot, dialog.query_one("#text", Input), "CyberTipline report filed")
        await type_into(pilot, dialog.query_one("#ref", Input), "CT-12345")
        [line] = await submit(pilot, app, dialog, "ref", n)
        assert event_of(line) == ("incident.action", "INC-1",
                                  {"kind": "report_filed", "text": "CyberTipline report filed", "ref": "CT-12345"}, ACTOR)  # fmt: skip
        await wait_for(
            pilot,
            lambda: "⏱ report_filed: CyberTipline report filed (ref CT-12345)" in log_text(timeline),
            what="the action (a trigger kind: marked ⏱)",
        )

        # a trigger with when it happened and its rule: its clock starts in the same batch
        n += 1
        dialog = await open_dialog(pilot, app, "k", dialogs.ActionDialog)
        dialog.query_one("#kind", Select).value = "order_received"
        dialog.query_one("#regime", Select).value = "eu_tco"
        await type_into(pilot, dialog.query_one("#text", Input), "TCO removal order received")
        await type_into(pilot, dialog.query_one("#ref", Input), "TCO-9")
        await type_into(pilot, dialog.query_one("#at", Input), "10m")
        before = datetime.now(UTC)
        lines = await submit(pilot, app, dialog, "ref", n, count=2)
        order, item = lines
        at = datetime.fromisoformat(order["data"]["at"].replace("Z", "+00:00"))
        assert before - timedelta(minutes=10, seconds=5) <= at <= datetime.now(UTC) - timedelta(minutes=10)
        assert {k: order["data"][k] for k in ("kind", "ref", "regime")} == {
            "kind": "order_received", "ref": "TCO-9", "regime": "eu_tco"}  # fmt: skip
        assert (item["type"], item["data"]["item"], item["data"]["trigger"]["ref"]) == (
            "checklist.added", "tco-remove", "TCO-9")  # fmt: skip
        due = datetime.fromisoformat(item["data"]["due"].replace("Z", "+00:00"))
        assert due == at + timedelta(hours=1)  # an hour from the order's receipt, not from now
        n += 1  # (two lines were written: the next write is line n + 2)
        await wait_for(pilot, lambda: "tco-remove" in {r.item for r in main.query_one(ChecklistPane).items},
                       what="the order's clock on the checklist")  # fmt: skip
        # a time in the future is refused at its field; what was typed is kept
        dialog = await open_dialog(pilot, app, "k", dialogs.ActionDialog)
        await type_into(pilot, dialog.query_one("#text", Input), "Order received")
        await type_into(pilot, dialog.query_one("#at", Input), "2999-01-01T00:00:00Z")
        dialog.query_one("#at", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "future" in str(dialog.query_one("#at-error", Static).render()),
                       what="the time refused")  # fmt: skip
        assert app.screen is dialog and len(journal_lines(app.settings.journal)) == n + 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not dialog, what="the dialog closed")

        # a checklist item due in 30 minutes
        n += 1
        dialog = await open_dialog(pilot, app, "i", dialogs.ChecklistAddDialog)
        await type_into(pilot, dialog.query_one("#text", Input), "Notify legal")
        dialog.query_one("#team", Select).value = "legal"
        await type_into(pilot, dialog.query_one("#due", Input), "30m")
        t0 = datetime.now(UTC)
        [line] = await submit(pilot, app, dialog, "due", n)
        t1 = datetime.now(UTC)
        due = line["data"].pop("due")
        assert event_of(line) == (
            "checklist.added",
            "INC-1",
            {"item": "notify-legal", "text": "Notify legal", "team": "legal"},
            ACTOR,
        )
        due_at = datetime.fromisoformat(due.replace("Z", "+00:00"))
        assert t0 + timedelta(minutes=30) - timedelta(seconds=2) <= due_at <= t1 + timedelta(minutes=30)
        await wait_for(
            pilot,
            lambda: "notify-legal" in [str(r.key.value) for r in pane.ordered_rows],
            what="the new item",
        )
        keys = [str(r.key.value) for r in pane.ordered_rows]
        # the response clocks first, then the items by team (the severity-1 ones included)
        assert keys[:3] == [row_key("heading:clocks"), row_key("clock:ack"), row_key("clock:update")]
        assert (
            keys.index(row_key("team:le_response"))
            < keys.index("preserve")
            < keys.index(row_key("team:legal"))
        )
        assert keys.index(row_key("team:legal")) < keys.index("notify-legal")
        assert set(newly) <= set(keys)
        assert pane.get_cell("notify-legal", "state").plain == "[ ] open"
        assert pane.get_cell("notify-legal", "due").plain in ("29m", "30m")

        # mark it done with d, in the checklist pane (focused with 3)
        n += 1
        await pilot.press("3")
        await move_checklist_cursor(pilot, main, "notify-legal")
        await pilot.press("d")
        await wait_for(pilot, lambda: len(journal_lines(journal)) == n + 1, what="the done line")
        [line] = new_lines(journal, n)
        assert event_of(line) == ("checklist.set", "INC-1", {"item": "notify-legal", "state": "done"}, ACTOR)
        await wait_for(
            pilot, lambda: pane.get_cell("notify-legal", "state").plain == "[x] done", what="done in the pane"
        )
        assert pane.get_cell("notify-legal", "due").plain.startswith("met ")  # done before its due time
        assert pane.get_cell("notify-legal", "due").plain.endswith(ACTOR[:7])

        # block the other item: the note is required
        n += 1
        await move_checklist_cursor(pilot, main, "preserve")
        dialog = await open_dialog(pilot, app, "b", dialogs.ChecklistSetDialog)
        assert dialog.query_one("#state", Select).value == "blocked"
        dialog.query_one("#note", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown_error(dialog, "note") is not None, what="the note's inline error")
        assert "note is required" in shown_error(dialog, "note")  # type: ignore[operator]
        await settle(pilot)
        assert app.screen is dialog and len(journal_lines(journal)) == n
        await type_into(pilot, dialog.query_one("#note", Input), "waiting for legal approval")
        [line] = await submit(pilot, app, dialog, "note", n)
        assert event_of(line) == ("checklist.set", "INC-1",
                                  {"item": "preserve", "state": "blocked", "note": "waiting for legal approval"}, ACTOR)  # fmt: skip
        await wait_for(
            pilot, lambda: pane.get_cell("preserve", "state").plain == "[!] block", what="blocked in the pane"
        )
        assert pane.get_cell("preserve", "text").plain == "Preserve account data — waiting for legal approval"

        # every line the console wrote is chained to the one before it
        raw = journal.read_bytes().splitlines()
        for before, after in itertools.pairwise(raw):
            assert json.loads(after)["prev"] == hashlib.sha256(before).hexdigest()


# --- 4, 5: a failed write, a cancelled dialog ------------------------------------------------


async def test_failed_write_keeps_dialog_and_text(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        before = settings.journal.read_bytes()
        # the journal becomes a folder under the running console: every write fails
        aside = tmp_path / "aside.jsonl"
        settings.journal.rename(aside)
        settings.journal.mkdir()
        dialog = await open_dialog(pilot, app, "a", dialogs.NoteDialog)
        await type_into(pilot, dialog.query_one("#text", Input), "Escalated to legal")
        dialog.query_one("#pinned", Checkbox).value = True
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown_error(dialog, "general") is not None, what="the write error")
        assert shown_error(dialog, "general").startswith("Nothing was written: ")  # type: ignore[union-attr]
        assert app.screen is dialog
        assert dialog.query_one("#text", Input).value == "Escalated to legal"
        assert dialog.query_one("#pinned", Checkbox).value is True
        assert not dialog.query_one("#submit").disabled  # ready to try again
        assert aside.read_bytes() == before

        # the journal is back: the same dialog, submitted again, writes exactly once
        settings.journal.rmdir()
        aside.rename(settings.journal)
        [line] = await submit(pilot, app, dialog, "text", 1)
        assert event_of(line) == (
            "incident.note",
            "INC-1",
            {"text": "Escalated to legal", "pinned": True},
            ACTOR,
        )

        # an error string from the write path (e.g. refused) is shown the same way
        async def refuse(events: list[dict[str, Any]]) -> str:
            return "the journal is locked by another writer"

        app.act = refuse  # type: ignore[method-assign]
        dialog = await open_dialog(pilot, app, "x", dialogs.StatusDialog)
        dialog.query_one("#status", Select).value = "triaged"
        await type_into(pilot, dialog.query_one("#reason", Input), "first look done")
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown_error(dialog, "general") is not None, what="the refusal")
        assert (
            shown_error(dialog, "general") == "Nothing was written: the journal is locked by another writer"
        )
        assert app.screen is dialog and dialog.query_one("#reason", Input).value == "first look done"
        assert dialog.query_one("#status", Select).value == "triaged"
        assert len(journal_lines(settings.journal)) == 2


async def test_escape_cancels_and_writes_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(
        settings, [opened("INC-1"), scoped("checklist.added", "INC-1", item="a", text="Item", team="legal")]
    )
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        before = settings.journal.read_bytes()
        for key, kind, field in (("a", dialogs.NoteDialog, "text"), ("i", dialogs.ChecklistAddDialog, "text"),
                                 ("o", dialogs.NewIncidentDialog, "title")):  # fmt: skip
            dialog = await open_dialog(pilot, app, key, kind)
            await type_into(pilot, dialog.query_one(f"#{field}", Input), "typed then abandoned")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is main, what=f"{kind.__name__} to close")
        # escape from a Select that has focus cancels too
        dialog = await open_dialog(pilot, app, "x", dialogs.StatusDialog)
        dialog.query_one("#status", Select).focus()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, what="the status dialog to close")
        await settle(pilot)
        assert settings.journal.read_bytes() == before
        assert app.last_snapshot is not None and app.last_snapshot.sync.line == 2


# --- 6: data arrives while a dialog is open ----------------------------------------------------


async def test_dialog_survives_incoming_data(tmp_path: Path) -> None:
    from widgets.queue import IncidentQueue

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1", severity=3)])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        dialog = await open_dialog(pilot, app, "a", dialogs.NoteDialog)
        await type_into(pilot, dialog.query_one("#text", Input), "draft: still typing")
        data = {"title": "Second incident", "category": "violent_extremism", "severity": 1,
                "source": "crisis_protocol", "regions": ["global"]}  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "--journal", str(settings.journal), "--db", str(tmp_path / "other.db"),
            "--actor", "other", "append", "--type", "incident.opened", "--incident", "INC-2", "--data", json.dumps(data),
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await proc.communicate()
        assert proc.returncode == 0, err
        await wait_for(pilot, lambda: "INC-2" in snapshot_ids(app), what="the other process's incident")
        await pilot.pause()
        assert app.screen is dialog
        assert dialog.query_one("#text", Input).value == "draft: still typing"
        assert dialog.query_one("#text", Input).has_focus

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-2", "INC-1"], what="INC-2 on top of the queue")
        assert cell(main, "INC-2", "title") == "Second incident"
        # the selection stayed on the incident the user was working on
        assert main.selected == "INC-1"
        queue = main.query_one(IncidentQueue)
        assert queue.coordinate_to_cell_key(queue.cursor_coordinate).row_key.value == "INC-1"
        lines = journal_lines(settings.journal)
        # `warroom append` wrote INC-2's procedure in its batch; the dialog wrote nothing
        written = [(ln["type"], ln["incident"], ln["actor"]) for ln in lines]
        assert written[:2] == [("incident.opened", "INC-1", "seeder"), ("incident.opened", "INC-2", "other")]
        assert len(written) > 2 and set(written[2:]) == {("checklist.added", "INC-2", "other")}


# --- 7: help and the command palette -----------------------------------------------------------


async def test_help_lists_every_binding_and_palette_follows_state(tmp_path: Path) -> None:
    from screens.help import HelpScreen, key_label

    settings = settings_for(tmp_path)
    settings.journal.touch()
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, [])
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Incident: Open new", "Queue: Search", "Queue: Filter", "Journal: Warnings"} <= titles
        assert not {t for t in titles if t.startswith("Checklist: ")}
        assert "Incident: Add note" not in titles and "Incident: Set severity" not in titles

        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause()
        table = app.screen.query_one("#keys", DataTable)
        rows = [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]
        by_key = {r[0]: (r[1], r[2]) for r in rows}
        for binding in MainScreen.BINDINGS:
            label = key_label(binding.key)  # type: ignore[union-attr]
            assert label in by_key, f"{label} is missing from help"
            assert by_key[label] == (binding.tooltip or binding.description, "this screen")  # type: ignore[union-attr]
        assert by_key["o"] == ("Open a new incident", "this screen")
        assert by_key["/"] == ("Filter the queue by text", "this screen")
        assert by_key["!"][0] == "Quarantined lines and chain breaks"
        assert by_key["Enter"][0].startswith("Open the incident screen")
        assert by_key["d"][0] == "Mark the selected checklist item done"
        assert by_key["?, f1"] == ("Every key, on this screen and everywhere", "everywhere")
        assert by_key["q"][1] == "everywhere"
        # every binding but the observer's footer mark (this console is not an observer)
        assert len(rows) == len(MainScreen.BINDINGS) + len(WarRoom.BINDINGS) - 1
        assert not any(r[0] == "f2" for r in rows)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)

        # with an incident and a checklist item selected, their commands appear
        await seed(
            settings,
            [opened("INC-1"), scoped("checklist.added", "INC-1", item="a", text="Item", team="legal")],
        )
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-1"], what="INC-1")
        await select_incident(pilot, main, "INC-1")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {
            "Incident: Add note",
            "Incident: Set severity",
            "Incident: Record action or trigger",
            "Checklist: Add item",
        } <= titles
        assert "Checklist: Mark done" in titles  # the cursor is on a team heading: it will ask which item
        await pilot.press("3")
        await move_checklist_cursor(pilot, main, "a")
        assert main.query_one(ChecklistPane).selected_row() is not None
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Checklist: Mark done", "Checklist: Block", "Checklist: Skip"} <= set(commands)
        # every command is titled "Area: Verb object"
        for title in commands:
            if title.split(":")[0] in ("Incident", "Checklist", "Queue", "Timeline", "Journal"):
                assert title.split(": ", 1)[1][0].isupper()
        # a command runs the same action as its key
        commands["Incident: Add note"].callback()
        await wait_for(pilot, lambda: isinstance(app.screen, dialogs.NoteDialog), what="the note dialog")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)


async def test_actions_on_a_restricted_incident_explain_and_write_nothing(tmp_path: Path) -> None:
    """Keys stay in the footer while an incident is selected (rebuilding it on every move is
    costly); on an incident the actor holds no role in, a key says why and opens nothing,
    and the palette offers none of its commands."""
    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-R", restricted=True, title="Secret matter"),
        scoped("incident.role_set", "INC-R", role="commander", person="someone-else"),
        scoped("checklist.added", "INC-R", item="a", text="Item", team="legal"),
        opened("INC-O", severity=4, title="Open matter"),
    ])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-R", "INC-O"])
        await select_incident(pilot, main, "INC-R")
        before = len(journal_lines(settings.journal))
        for key in ("s", "x", "r", "a", "k", "i", "d", "b", "p"):
            app.told.clear()
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is main, f"{key!r} opened {app.screen!r} on a restricted incident"
            messages = [n.message for n in app.told]
            assert any("INC-R is restricted" in m for m in messages), (key, messages)
        titles = {c.title for c in app.get_system_commands(main)}
        assert not {t for t in titles if t.startswith(("Incident: Set", "Incident: Add", "Checklist: "))}
        assert len(journal_lines(settings.journal)) == before

        # on an incident with no item selected, the item keys say what to do first
        await select_incident(pilot, main, "INC-O")
        app.told.clear()
        await pilot.press("d")
        await pilot.pause()
        assert any("INC-O has no checklist items yet (i adds one)." in n.message for n in app.told)
        assert len(journal_lines(settings.journal)) == before


async def test_w_opens_the_roster_screen_and_escape_returns(tmp_path: Path) -> None:
    from screens.roster import RosterScreen

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, RosterScreen), what="the roster screen")
        assert "No rotations in the journal yet" in screen_text(app.screen)  # and says how to add one
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, what="back to the war room")
        assert "Roster: Who is on call" in {c.title for c in app.get_system_commands(main)}


async def test_a_malformed_sop_file_is_reported_and_the_rest_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sop = tmp_path / "sop"
    sop.mkdir()
    (sop / "edr.toml").write_text(
        'category = "edr"\nversion = 2\n\n[[items]]\nid = "x"\ntext = "X"\nteam = "nobody"\n'
    )
    monkeypatch.setenv("WARROOM_SOP_DIR", str(sop))
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, ["INC-1"])
        await wait_for(pilot, lambda: app._templates_loaded, what="the templates")
        messages = [n.message for n in app.told]
        assert any(
            m.startswith("SOP template not loaded: ") and "edr.toml:7" in m and "team" in m for m in messages
        ), messages
        assert app.templates["edr"].version == "edr@2"  # the shipped one, untouched by the bad file
        assert "csea" in app.templates


# --- 8: filters -----------------------------------------------------------------------------


async def test_queue_filters(tmp_path: Path) -> None:
    from screens.filters import FilterDialog

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-A", severity=1, title="Alpha livestream", category="violent_extremism", regions=["EU"]),
        opened("INC-B", severity=2, title="Bravo hash match", category="csea", regions=["US"]),
        opened("INC-C", severity=3, title="Charlie old case"),
        opened("INC-D", severity=4, title="Delta watch", category="media", regions=["UK"]),
        scoped("incident.role_set", "INC-B", role="scribe", person=ACTOR),
        scoped("incident.role_set", "INC-A", role="commander", person="someone-else"),
        scoped("incident.status_set", "INC-C", status="closed"),
    ])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-A", "INC-B", "INC-D"])

        # / then typing filters by text (title, id, category, status, commander)
        await pilot.press("slash")
        search = main.query_one("#search", Input)
        assert search.has_focus and search.has_class("shown")
        await pilot.press(*"brav")
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-B"], what="the text filter")
        await pilot.press("enter")  # keeps the filter, back to the queue
        assert queue_ids(app) == ["INC-B"] and search.has_class("shown")
        await pilot.press("escape")  # clears it
        await wait_for(
            pilot, lambda: queue_ids(app) == ["INC-A", "INC-B", "INC-D"], what="the filter cleared"
        )
        assert not search.has_class("shown")
        await pilot.press("slash")
        await pilot.press(*"some")  # the commander's handle
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A"])
        await pilot.press("escape")
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-B", "INC-D"])

        # m: only incidents where I hold a role
        await pilot.press("m")
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-B"], what="mine")
        assert "mine" in str(main.query_one("#queue-pane").border_subtitle)
        await pilot.press("m")
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-B", "INC-D"])

        # c: closed incidents too (the console syncs them in), and again to hide them
        await pilot.press("c")
        await wait_for(
            pilot, lambda: queue_ids(app) == ["INC-A", "INC-B", "INC-D", "INC-C"], what="closed shown"
        )
        assert cell(main, "INC-C", "due") == "closed"
        await pilot.press("c")
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-B", "INC-D"], what="closed hidden")

        # f: the filter dialog, by severity
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterDialog), what="the filter dialog")
        dialog = app.screen
        severities = dialog.query_one("#severities", SelectionList)
        severities.select(1)
        severities.select(4)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is main)
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-D"], what="S1 and S4")
        assert "S1/4" in str(main.query_one("#queue-pane").border_subtitle)
        # the dialog opens with the current filter, and Escape leaves it unchanged
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterDialog))
        assert app.screen.query_one("#severities", SelectionList).selected == [1, 4]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)
        assert queue_ids(app) == ["INC-A", "INC-D"]
        # clear all
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterDialog))
        await pilot.press("ctrl+r", "ctrl+s")
        await wait_for(
            pilot, lambda: queue_ids(app) == ["INC-A", "INC-B", "INC-D"], what="the filters cleared"
        )
        assert len(journal_lines(settings.journal)) == 7  # filtering writes nothing


# --- 9: the incident screen ----------------------------------------------------------------


async def test_incident_screen(tmp_path: Path) -> None:
    from screens.incident import IncidentScreen
    from widgets.queue import IncidentQueue
    from widgets.timeline import Timeline

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1", title="Threat to a school", summary="Posted in a public group."),
        scoped("incident.role_set", "INC-1", role="commander", person="amara"),
        scoped("incident.status_set", "INC-1", status="contained", reason="post removed"),
        scoped("incident.role_set", "INC-1", role="commander", person="hugo"),
        scoped("incident.role_set", "INC-1", role="legal", person="dana"),
        scoped("incident.note", "INC-1", text="Police notified by phone"),
        scoped("incident.action", "INC-1", kind="le_referral", text="Referred to local police", ref="PD-778"),
        scoped("checklist.added", "INC-1", item="preserve", text="Preserve the posts", team="le_response"),
    ], actor="amara")  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        assert main.query_one(IncidentQueue).has_focus
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen), what="the incident screen")
        screen = app.screen
        roles = screen.query_one("#roles", DataTable)
        await wait_for(pilot, lambda: roles.row_count == 3, what="the role history")
        fields = screen.query_one("#fields", Static).content
        assert isinstance(fields, Text)
        text = fields.plain
        for expected in ("Threat to a school", "S2", "contained", "edr", "law_enforcement", "US",
                         "commander: hugo, legal: dana", "Posted in a public group.", "by amara",
                         "Lifecycle", "acknowledged 20", "contained 20", "resolved —", "PD-778 (le_referral"):  # fmt: skip
            assert expected in text, f"{expected!r} not in the fields:\n{text}"
        history = [[c.plain for c in roles.get_row_at(i)] for i in range(roles.row_count)]
        by_person = {r[1]: r for r in history}
        assert set(by_person) == {"amara", "hugo", "dana"}
        assert by_person["amara"][0] == "commander" and by_person["amara"][3] != "now"  # replaced by hugo
        assert by_person["hugo"][3] == "now" and by_person["dana"][0] == "legal"
        joined = log_text(screen.query_one(Timeline))  # wrapped lines joined again
        for expected in ("Opened S2 edr incident", "amara is incident commander", "Status set to contained: post removed",
                         "Police notified by phone", "(ref PD-778)", "Checklist + preserve"):  # fmt: skip
            assert expected in joined, f"{expected!r} not in the timeline"
        checklist = screen.query_one(ChecklistPane)
        assert [str(r.key.value) for r in checklist.ordered_rows] == [
            *map(row_key, ("heading:clocks", "clock:ack", "clock:update", "team:le_response")), "preserve"]  # fmt: skip
        assert checklist.get_cell(row_key("clock:ack"), "due").plain.startswith(
            "met "
        )  # acknowledged in time
        assert "INC-1 · S2 · edr · contained" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, what="back to the main screen")
        assert main.selected == "INC-1"


# --- 10: hostile text everywhere ------------------------------------------------------------

#: hostile strings an actor or handle may be (printable, 1-64 characters)
HOSTILE_ACTORS = ["[/", "[/foo]", "[red]x[/]", "[@click=app.quit]x[/]", "trailing backslash\\",
                  "🚨🔥 incident 🧯", "儿童安全事件 対応中 사건"]  # fmt: skip
MARKUP = ("[/foo]", "[red]x[/]", "[@click=app.quit]x[/]")
TOAST_ITEM = "[@click=app.quit]x[/]"
ESC_ITEM = "\x1b[31mred\x1b[0m"


def hostile_journal() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        opened("HOST-0", severity=1, title="[red]x[/] [/foo] [@click=app.quit]x[/] \x1b[31mred\x1b[0m nul\x00 cr\r\n!",
               summary=" | ".join(HOSTILE)),
    ]  # fmt: skip
    for n, h in enumerate(HOSTILE, 1):
        events.append(opened(f"HOST-{n}", severity=2, title=h[:200]))
    for n, h in enumerate(HOSTILE):
        actor = HOSTILE_ACTORS[n % len(HOSTILE_ACTORS)]
        events.append({**scoped("incident.note", "HOST-0", text=h), "actor": actor})
        events.append(
            {
                **scoped("incident.action", "HOST-0", kind="report_filed", text=h[:8000], ref=h[:200]),
                "actor": actor,
            }
        )
        events.append(scoped("checklist.added", "HOST-0", item=f"h{n:02d}", text=h[:2000], team="legal"))
    events += [
        scoped("checklist.added", "HOST-0", item=TOAST_ITEM, text="the toast names this item", team="comms"),
        scoped("checklist.added", "HOST-0", item=ESC_ITEM, text="an item id with ANSI", team="comms"),
        scoped("checklist.set", "HOST-0", item="h00", state="blocked", note="[red]x[/] \x1b[31m\r\x00"),
        scoped("incident.role_set", "HOST-0", role="commander", person="[red]x[/]"),
        scoped("incident.role_set", "HOST-0", role="scribe", person=ACTOR),
        {"type": "roster.rotation", "data": {
            "rotation": "[red]x[/]", "team": "emergency_response", "region": "US", "tz": "UTC",
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "hours": 24,
            "members": ["[@click=app.quit]x[/]"], "anchor": "2026-01-05"}},
    ]  # fmt: skip
    return events


async def test_hostile_text_renders_literally_everywhere(tmp_path: Path) -> None:

    from screens.incident import IncidentScreen
    from screens.warnings import WarningsScreen
    from widgets.queue import IncidentQueue
    from widgets.timeline import Timeline

    settings = settings_for(tmp_path)
    await seed(settings, hostile_journal(), actor="[@click=app.quit]x[/]")
    garbage = b"\x1b[31m[red]x[/] [@click=app.quit]x[/] [/foo] \x00 \r not json \xff\xfe\n"
    with settings.journal.open("ab") as f:
        f.write(garbage)
    ids = ["HOST-0", *[f"HOST-{n}" for n in range(1, len(HOSTILE) + 1)]]
    app = WarRoom(settings)
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts shown
        main = await started(pilot, app)
        await wait_for(pilot, lambda: sorted(queue_ids(app)) == sorted(ids), what="every hostile incident")
        await wait_for(pilot, lambda: app.sync_state.quarantined == 1, what="the garbage quarantined")

        # the queue: every cell is Text, markup shows as characters, no control character
        queue = main.query_one(IncidentQueue)
        cells = plain_cells(queue)
        for m in MARKUP:
            assert m in cells, f"{m!r} is not a queue cell"
        assert "[/" in cells and "trailing backslash\\" in cells
        assert cell(main, "HOST-0", "commander") == "[red]x[/]"
        assert cell(main, "HOST-0", "title").startswith("[red]x[/] [/foo] [@click=app.quit]x[/] ")
        assert_no_controls(cells, "queue cells")

        # the timeline and checklist of the hostile incident
        await select_incident(pilot, main, "HOST-0")
        timeline = main.query_one(Timeline)
        pane = main.query_one(ChecklistPane)
        await wait_for(pilot, lambda: len(pane.items) == len(HOSTILE) + 2, what="the hostile checklist")
        await wait_for(pilot, lambda: f"{ACTOR} is scribe" in log_text(timeline), what="the whole timeline")
        lines = log_lines(timeline)
        joined = log_text(timeline)  # wrapped lines joined again
        for m in MARKUP:
            assert f" {m} " in joined, f"{m!r} (as an actor) not in the timeline"
            assert f"(ref {m})" in joined, f"{m!r} (as a ref) not in the timeline"
        assert "[red]x[/] is incident commander" in joined
        assert "trailing backslash\\" in joined and "儿童安全事件" in joined and "🚨🔥" in joined
        assert_no_controls(lines, "timeline lines")
        checklist_cells = plain_cells(pane)
        for m in MARKUP:
            assert m in checklist_cells, f"{m!r} is not a checklist cell"
        assert "trailing backslash\\" in checklist_cells
        assert pane.get_cell("h00", "text").plain.startswith("[/ — [red]x[/] ")
        assert_no_controls(checklist_cells, "checklist cells")

        # what the terminal gets: literal markup, no control characters
        text = screen_text(app)
        assert "[red]x[/] [/foo] [@click=app.quit]x[/]" in text
        assert_screen_clean(app, "the main screen")
        roster = main.query_one("#roster-table", DataTable)
        assert plain_cells(roster)[:2] == ["[red]x[…", "[@click…"]  # cut to the column, literally

        # a click where "[@click=app.quit]" is drawn does not run it
        rows = text.splitlines()
        row = next(y for y, line in enumerate(rows) if "HOST-0" in line and "[@click" in line)
        x = rows[row].index("[@click")
        await pilot.click(offset=(x + 2, row))  # moves the cursor to the clicked cell
        await wait_for(pilot, lambda: main.selected == "HOST-0", what="the clicked row selected")
        assert app.is_running and app.screen is main
        await pilot.click(offset=(x + 2, row))  # a click on the cursor selects the row
        # the clicks landed on the row, which opens it, and nothing else ran
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen), what="the clicked incident")
        assert app.is_running and app.return_code is None
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)

        # a toast naming an item id from the journal
        await pilot.press("3")
        await move_checklist_cursor(pilot, main, TOAST_ITEM)
        await pilot.press("d")

        def toasts() -> str:
            return "\n".join(t.render().plain for t in app.screen.query("Toast"))  # type: ignore[union-attr]

        # (the toast lasts its few seconds: read it while it is up, not after everything settled)
        await wait_for(pilot, lambda: f"{TOAST_ITEM} marked done" in toasts(), what="the toast")
        await wait_for(pilot, lambda: f"{TOAST_ITEM} marked done" in screen_text(app), what="the toast shown")
        assert app.is_running
        # one whose id carries ANSI: the escape must not reach the terminal
        await move_checklist_cursor(pilot, main, ESC_ITEM)
        await pilot.press("d")
        await wait_for(pilot, lambda: any("red" in t.render().plain and "marked done" in t.render().plain  # type: ignore[union-attr]
                                          and TOAST_ITEM not in t.render().plain for t in app.screen.query("Toast")),  # type: ignore[union-attr]
                       what="the second toast")  # fmt: skip
        await settle(pilot)
        assert_no_controls([t.render().plain for t in app.screen.query("Toast")], "toasts")  # type: ignore[union-attr]
        assert_screen_clean(app, "the main screen with toasts")
        written = [ln for ln in journal_lines_tolerant(settings.journal) if ln.get("actor") == ACTOR]
        assert [(ln["type"], ln["data"]) for ln in written] == [
            ("checklist.set", {"item": TOAST_ITEM, "state": "done"}), ("checklist.set", {"item": ESC_ITEM, "state": "done"})]  # fmt: skip

        # the incident screen
        await pilot.press("1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen), what="the incident screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.query_one("#roles", DataTable).row_count == 2, what="its roles")
        fields = screen.query_one("#fields", Static).content
        assert isinstance(fields, Text)
        assert "[red]x[/] [/foo] [@click=app.quit]x[/]" in fields.plain
        assert "commander: [red]x[/]" in fields.plain
        assert "by [@click=app.quit]x[/]" in fields.plain
        assert_no_controls(fields.plain, "the incident's fields")
        assert_no_controls(log_lines(screen.query_one(Timeline)), "the incident's timeline")
        assert_no_controls(plain_cells(screen.query_one("#roles", DataTable)), "the role history")
        assert "[red]x[/] [/foo] [@click=app.quit]x[/]" in screen_text(app)
        assert_screen_clean(app, "the incident screen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)

        # the warnings screen shows the quarantined raw line, literally (a click on the status
        # bar opens it, as ! does: the bar asks the console, it does not know the screen)
        await pilot.click("#status")
        await wait_for(pilot, lambda: isinstance(app.screen, WarningsScreen), what="the warnings screen")
        screen = app.screen
        quarantine = screen.query_one("#quarantine", DataTable)
        await wait_for(pilot, lambda: quarantine.row_count == 1 and quarantine.get_row_at(0)[0].plain != "—",
                       what="the quarantined line")  # fmt: skip
        raw_cell = quarantine.get_row_at(0)[2].plain
        assert "[red]x[/] [@click=app.quit]x[/] [/foo]" in raw_cell
        assert_no_controls(plain_cells(quarantine), "the quarantine table")
        assert "[red]x[/] [@click=app.quit]x[/] [/foo]" in screen_text(app)
        assert_screen_clean(app, "the warnings screen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)

        # a write error quoting journal text is shown literally, in a dialog and in a toast
        hostile_error = "refused: [red]x[/] [@click=app.quit]x[/] \x1b[31m\r\x00"

        async def refuse(events: list[dict[str, Any]]) -> str:
            return hostile_error

        app.act = refuse  # type: ignore[method-assign]
        dialog = await open_dialog(pilot, app, "a", dialogs.NoteDialog)
        await type_into(pilot, dialog.query_one("#text", Input), "note")
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown_error(dialog, "general") is not None)
        assert "refused: [red]x[/] [@click=app.quit]x[/]" in shown_error(dialog, "general")  # type: ignore[operator]
        assert_screen_clean(app, "the dialog's error")
        await pilot.press("escape")
        await pilot.press("3")
        await move_checklist_cursor(pilot, main, "h01")
        await pilot.press("d")
        await wait_for(pilot, lambda: any("refused: [red]x[/] [@click=app.quit]x[/]" in t.render().plain  # type: ignore[union-attr]
                                          for t in app.screen.query("Toast")), what="the error toast")  # fmt: skip
        await settle(pilot)
        assert_screen_clean(app, "the error toast")
        assert app.is_running


def journal_lines_tolerant(path: Path) -> list[dict[str, Any]]:
    out = []
    for raw in path.read_bytes().splitlines():
        try:
            out.append(json.loads(raw))
        except ValueError:
            continue
    return out


async def test_a_dialog_takes_what_is_typed_at_once(tmp_path: Path) -> None:
    """A form opens with the field to fill focused: keys typed straight after the key that
    opened it go into that field (not to the scrolling frame around it)."""
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        dialog = await open_dialog(pilot, app, "a", dialogs.NoteDialog)
        await pilot.press("o", "k")
        assert dialog.query_one("#text", Input).value == "ok"
        await pilot.press("escape")
        dialog = await open_dialog(pilot, app, "o", dialogs.NewIncidentDialog)
        assert app.focused is dialog.query_one("#title", Input)  # the id is proposed


# --- incident ids: one format, never cut --------------------------------------------------------


async def test_the_queue_shows_every_id_whole_and_the_form_proposes_the_one_format(tmp_path: Path) -> None:
    from textual.widgets.data_table import ColumnKey

    from data.engine.ids import PATTERN
    from widgets.queue import IncidentQueue

    one, two = "INC-2026-11-22-LAW-ENFORCEMENT-1", "INC-2026-11-22-LAW-ENFORCEMENT-2"  # 32 characters
    settings = settings_for(tmp_path)
    await seed(settings, [opened(one), opened(two), opened("INC-7", severity=1)])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-7", one, two])
        queue = main.query_one(IncidentQueue)
        assert queue.columns[ColumnKey("id")].width == 32
        await pilot.pause()
        text = screen_text(app)
        assert one in text and two in text  # the two do not look alike
        dialog = await open_dialog(pilot, app, "o", dialogs.NewIncidentDialog)
        proposed = dialog.query_one("#incident-id", Input).value
        assert PATTERN.match(proposed) and proposed[4:10] == datetime.now(UTC).strftime("%y%m%d")
        # an id in use is refused under the field, with one that is free
        before = settings.journal.read_bytes()
        dialog.query_one("#incident-id", Input).value = "inc-7"
        dialog.action_submit()
        await wait_for(pilot, lambda: shown_error(dialog, "incident-id") is not None, what="the id's error")
        assert shown_error(dialog, "incident-id").startswith(
            "INC-7 is an incident already: give another id (e.g. INC-"
        )  # type: ignore[union-attr]
        assert settings.journal.read_bytes() == before


# --- dialogs: Enter, focus, errors in words -----------------------------------------------------


async def test_enter_submits_every_dialog_from_any_field(tmp_path: Path) -> None:
    """Enter on a checkbox or a drop-down submits (space toggles or opens them), as it
    does in a text field; an open drop-down keeps Enter for its choice."""
    from screens.filters import FilterDialog

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1", severity=3)])
    app = WarRoom(settings)
    journal = settings.journal
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        # a checkbox: space ticks it, Enter submits
        dialog = await open_dialog(pilot, app, "a", dialogs.NoteDialog)
        await type_into(pilot, dialog.query_one("#text", Input), "Called the LE liaison")
        box = dialog.query_one("#pinned", Checkbox)
        box.focus()
        await pilot.press("space")
        assert box.value is True and app.screen is dialog
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.screen is main and len(journal_lines(journal)) == 2, what="the note"
        )
        assert journal_lines(journal)[-1]["data"] == {"text": "Called the LE liaison", "pinned": True}
        # a drop-down: space opens it, Enter there picks, Enter again submits
        dialog = await open_dialog(pilot, app, "x", dialogs.StatusDialog)
        status = dialog.query_one("#status", Select)
        status.focus()
        await pilot.press("space")
        await wait_for(pilot, lambda: status.expanded, what="the list open")
        await pilot.press("down", "enter")  # new → triaged
        await wait_for(pilot, lambda: not status.expanded and status.value == "triaged", what="the choice")
        assert app.screen is dialog and len(journal_lines(journal)) == 2
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.screen is main and len(journal_lines(journal)) == 3, what="the status"
        )
        assert journal_lines(journal)[-1]["data"] == {"status": "triaged"}
        # the filter dialog: Enter in a list applies it
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterDialog), what="the filter dialog")
        await pilot.pause()
        app.screen.query_one("#severities", SelectionList).focus()
        await pilot.press("space")  # S1 ticked
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is main, what="the filter applied")
        assert main.filter.severities == frozenset({1})


async def test_forms_open_on_the_field_to_fill_and_errors_are_words_that_go_away(tmp_path: Path) -> None:

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1", severity=3),
        scoped("checklist.added", "INC-1", item="a", text="Item A", team="legal"),
    ])  # fmt: skip
    app = WarRoom(settings)
    journal = settings.journal
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        for key, kind, field in (("o", dialogs.NewIncidentDialog, "title"), ("k", dialogs.ActionDialog, "text"),
                                 ("a", dialogs.NoteDialog, "text")):  # fmt: skip
            dialog = await open_dialog(pilot, app, key, kind)
            assert app.focused is dialog.query_one(f"#{field}"), kind
            if key != "a":
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is main)
        # the note dialog: an empty note is refused in words; typing takes the error away
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown_error(dialog, "text") is not None, what="the error")
        assert shown_error(dialog, "text") == "Write a note (it cannot be empty)"
        await pilot.press("x")
        await wait_for(pilot, lambda: shown_error(dialog, "text") is None, what="the error to go")
        # too long: the limit and what was written, not pydantic's words
        dialog.query_one("#text", Input).value = "x" * 8001
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown_error(dialog, "text") is not None, what="the length error")
        assert shown_error(dialog, "text") == "must be at most 8000 characters (it has 8001)"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)
        # block and skip open on the note they require
        await pilot.press("3")
        await move_checklist_cursor(pilot, main, "a")
        for key in ("b", "p"):
            dialog = await open_dialog(pilot, app, key, dialogs.ChecklistSetDialog)
            assert app.focused is dialog.query_one("#note", Input), key
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is main)
        assert main.query_one(ChecklistPane).selected_item() == "a"
        assert len(journal_lines(journal)) == 2


async def test_setting_the_severity_an_incident_has_writes_nothing_and_says_so(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1", severity=3)])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        before = settings.journal.read_bytes()
        dialog = await open_dialog(pilot, app, "s", dialogs.SeverityDialog)
        await type_into(pilot, dialog.query_one("#reason", Input), "re-checked")
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown_error(dialog, "severity") is not None, what="the refusal")
        assert (
            shown_error(dialog, "severity")
            == "INC-1 is already S3: nothing written (choose another severity)"
        )
        assert app.screen is dialog and settings.journal.read_bytes() == before
        dialog.query_one("#severity", Select).value = 4  # fixed: the error goes, and it writes
        await wait_for(pilot, lambda: shown_error(dialog, "severity") is None, what="the error to go")
        [line] = await submit(pilot, app, dialog, "reason", 1)
        assert line["data"] == {"severity": 4, "reason": "re-checked"}


async def test_an_unticked_box_looks_empty_and_a_ticked_one_ticked(tmp_path: Path) -> None:
    """Textual's default draws an unticked box's X dimmed, which reads as ticked: here its
    X is drawn in the box's own colour (an empty box), a ticked one's in another."""
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)

    def marks(widget: Any) -> list[tuple[Any, Any]]:
        """(colour, background) of every X drawn in ``widget``'s region of the screen."""
        region = widget.region
        out = []
        for y, strip in enumerate(screen_strips(app)):
            if not region.y <= y < region.bottom:
                continue
            x = 0
            for seg in strip:
                if seg.text == "X" and region.x <= x < region.right and seg.style is not None:
                    out.append((seg.style.color, seg.style.bgcolor))
                x += seg.cell_length
        return out

    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        dialog = await open_dialog(pilot, app, "o", dialogs.NewIncidentDialog)
        box, regions = dialog.query_one("#restricted", Checkbox), dialog.query_one("#regions", SelectionList)
        await pilot.pause()
        assert len(marks(regions)) == 5 and all(fg == bg for fg, bg in marks(regions) + marks(box))
        regions.select("UK")
        box.value = True
        await pilot.pause()
        [(fg, bg)] = marks(box)
        assert fg != bg
        ticked = [fg != bg for fg, bg in marks(regions)]
        assert ticked == [False, True, False, False, False]


# --- stakeholder updates are one thing ------------------------------------------------------------


async def test_recording_a_stakeholder_update_ticks_the_procedures_update_item(tmp_path: Path) -> None:
    """`k` with kind stakeholder_update resets the cadence clock and, in the same batch,
    ticks the procedure's update item: it does not go overdue after an update was sent."""

    settings = settings_for(tmp_path)
    due = (datetime.now(UTC) + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    await seed(settings, [
        opened("INC-1", severity=2),
        scoped("checklist.added", "INC-1", item="stakeholder-updates", text="Stakeholder updates", team="comms",
               due=due),
    ])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        pane = main.query_one(ChecklistPane)
        for n, count in ((2, 2), (4, 1)):  # the second update finds the item done: nothing more
            dialog = await open_dialog(pilot, app, "k", dialogs.ActionDialog)
            dialog.query_one("#kind", Select).value = "stakeholder_update"
            await type_into(pilot, dialog.query_one("#text", Input), "Legal and leadership updated")
            lines = await submit(pilot, app, dialog, "text", n, count=count)
            assert event_of(lines[0]) == ("incident.action", "INC-1",
                                          {"kind": "stakeholder_update", "text": "Legal and leadership updated"}, ACTOR)  # fmt: skip
            if count == 2:
                assert event_of(lines[1]) == ("checklist.set", "INC-1", {"item": "stakeholder-updates", "state": "done",
                                              "note": "a stakeholder update was recorded"}, ACTOR)  # fmt: skip
                await wait_for(pilot, lambda: pane.get_cell("stakeholder-updates", "state").plain == "[x] done",
                               what="the item done")  # fmt: skip
                assert pane.get_cell("stakeholder-updates", "due").plain.startswith("met ")


# --- selection follows the work ---------------------------------------------------------------------


async def test_a_new_incident_is_selected_once_it_is_created(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1", severity=1)])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        dialog = await open_dialog(pilot, app, "o", dialogs.NewIncidentDialog)
        new = dialog.query_one("#incident-id", Input).value
        await type_into(pilot, dialog.query_one("#title", Input), "Spam surge in comments")
        dialog.query_one("#category", Select).value = "other"
        dialog.query_one("#severity", Select).value = 4
        dialog.query_one("#source", Select).value = "user_report"
        dialog.query_one("#regions", SelectionList).select("UK")
        dialog.query_one("#title", Input).focus()
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: main.selected == new and main._detail_seq[0] == new,
            what="the new incident selected",
        )
        from widgets.queue import IncidentQueue

        assert queue_ids(app) == ["INC-1", new] and main.query_one(IncidentQueue).cursor_key() == new


async def test_clearing_a_search_keeps_the_selected_incident(tmp_path: Path) -> None:
    from widgets.queue import IncidentQueue

    settings = settings_for(tmp_path)
    ids = [f"INC-{n}" for n in range(1, 13)]
    await seed(settings, [opened(i, title=f"Title {i[4:]}") for i in ids])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ids)
        queue = main.query_one(IncidentQueue)
        await select_incident(pilot, main, "INC-4")
        # a search that hides it: what is highlighted is what is selected, and Esc brings it back
        await pilot.press("slash", *"Title 1")
        await wait_for(
            pilot, lambda: queue_ids(app) == ["INC-1", "INC-10", "INC-11", "INC-12"], what="the search"
        )
        assert main.selected == queue.cursor_key()
        await pilot.press("escape")
        await wait_for(pilot, lambda: queue_ids(app) == ids, what="the search cleared")
        await wait_for(
            pilot, lambda: main.selected == "INC-4" and queue.cursor_key() == "INC-4", what="INC-4 again"
        )
        # a search that keeps it shown: it stays selected throughout
        await pilot.press("slash", *"Title 4")
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-4"], what="the second search")
        await pilot.press("escape")
        await wait_for(pilot, lambda: queue_ids(app) == ids, what="the search cleared")
        assert main.selected == "INC-4" and queue.cursor_key() == "INC-4"
        # an incident found with the search and moved to stays selected when it is cleared
        await pilot.press("slash", *"Title 1", "enter")
        await wait_for(pilot, lambda: queue.has_focus and len(queue_ids(app)) == 4, what="the kept search")
        before = queue.cursor_key()
        await pilot.press("up" if queue.cursor_row else "down")
        await wait_for(pilot, lambda: main.selected == queue.cursor_key() != before, what="moved")
        found = main.selected
        await pilot.press("escape")
        await wait_for(pilot, lambda: queue_ids(app) == ids, what="the search cleared")
        assert main.selected == found and queue.cursor_key() == found


async def test_the_checklist_cursor_goes_on_to_the_next_open_item(tmp_path: Path) -> None:
    """After d (or a b/p dialog) the cursor goes to the next open item and stays on it when
    the list re-sorts: the next key acts on what is highlighted."""

    settings = settings_for(tmp_path)
    due = [(datetime.now(UTC) + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%S.000Z") for h in (1, 2, 3, 4)]
    await seed(settings, [opened("INC-1", severity=3)] + [
        scoped("checklist.added", "INC-1", item=k, text=f"Item {k}", team="legal", due=d)
        for k, d in zip("abcd", due, strict=True)
    ])  # fmt: skip
    app = WarRoom(settings)
    journal = settings.journal
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        pane = main.query_one(ChecklistPane)
        await pilot.press("3")
        await move_checklist_cursor(pilot, main, "a")
        await pilot.press("d")
        await wait_for(
            pilot, lambda: pane.get_cell("a", "state").plain == "[x] done", what="a done in the pane"
        )
        assert [str(r.key.value) for r in pane.ordered_rows][-4:] == ["b", "c", "d", "a"]  # a sank
        assert pane.selected_item() == "b"
        # the next key acts on what is highlighted: b
        dialog = await open_dialog(pilot, app, "p", dialogs.ChecklistSetDialog)
        assert dialog.context["item"] == "b"
        await type_into(pilot, dialog.query_one("#note", Input), "no UK nexus")
        [line] = await submit(pilot, app, dialog, "note", 6)
        assert line["data"] == {"item": "b", "state": "skipped", "note": "no UK nexus"}
        await wait_for(pilot, lambda: pane.get_cell("b", "state").plain == "[-] skip", what="b skipped")
        assert pane.selected_item() == "c"
        dialog = await open_dialog(pilot, app, "b", dialogs.ChecklistSetDialog)
        assert dialog.context["item"] == "c"
        await type_into(pilot, dialog.query_one("#note", Input), "waiting on legal")
        await submit(pilot, app, dialog, "note", 7)
        await wait_for(pilot, lambda: pane.get_cell("c", "state").plain == "[!] block", what="c blocked")
        assert pane.selected_item() == "d" and len(journal_lines(journal)) == 8


# --- the palette ------------------------------------------------------------------------------------


async def test_the_palette_lists_item_commands_whatever_has_focus_and_asks_for_the_item(
    tmp_path: Path,
) -> None:
    from screens.picker import ItemPicker

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1", severity=3),
        scoped("checklist.added", "INC-1", item="a", text="Item A", team="legal"),
        scoped("checklist.added", "INC-1", item="b", text="Item B", team="legal"),
        scoped("checklist.set", "INC-1", item="a", state="done"),
    ])  # fmt: skip
    app = WarRoom(settings)
    journal = settings.journal
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        await select_incident(pilot, main, "INC-1")
        pane = main.query_one(ChecklistPane)
        assert pane.selected_row() is None  # the checklist's cursor is on a heading
        for key in ("1", "2", "3", "4"):  # whatever pane has the focus
            await pilot.press(key)
            titles = {c.title for c in app.get_system_commands(main)}
            assert {
                "Checklist: Mark done",
                "Checklist: Block",
                "Checklist: Skip",
                "Incident: Add note",
            } <= titles, key
        await pilot.press("1")
        commands = {c.title: c for c in app.get_system_commands(main)}
        commands["Checklist: Mark done"].callback()
        await wait_for(pilot, lambda: isinstance(app.screen, ItemPicker) and app.screen.query("#items"),
                       what="the item picker")  # fmt: skip
        picker = app.screen
        assert [o.id for o in picker.query_one("#items").options] == ["b"]  # a is done already
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(journal_lines(journal)) == 5, what="b done")
        assert journal_lines(journal)[-1]["data"] == {"item": "b", "state": "done"}
        assert app.screen is main
        await wait_for(
            pilot, lambda: pane.get_cell("b", "state").plain == "[x] done", what="b done in the pane"
        )
        assert pane.selected_item() == "b"  # the cursor was put on the item chosen
        # nothing left to mark done: with no item selected, the command is not offered;
        # skip asks, Esc cancels
        pane.move_cursor(row=0)
        await pilot.pause()
        commands = {c.title: c for c in app.get_system_commands(main)}
        assert "Checklist: Mark done" not in commands
        commands["Checklist: Skip"].callback()
        await wait_for(pilot, lambda: isinstance(app.screen, ItemPicker), what="the picker again")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, what="cancelled")
        assert len(journal_lines(journal)) == 5


async def test_the_console_keeps_a_record_of_what_it_told_the_user(tmp_path: Path) -> None:
    """``WarRoom.told``: each toast as told (when, title, message, severity), the latest
    ``TOLD_KEPT``; the toast itself is shown as before."""
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts shown
        await started(pilot, app, ["INC-1"])
        app.told.clear()
        app.notify("Hello [b]there[/b]", title="Greeting", severity="warning", markup=False)
        [told] = app.told
        assert (told.title, told.message, told.severity) == ("Greeting", "Hello [b]there[/b]", "warning")
        assert told.at.tzinfo is not None
        await wait_for(pilot, lambda: "Hello [b]there[/b]" in screen_text(app), what="the toast")
        for n in range(TOLD_KEPT + 5):
            app.notify(f"message {n}", markup=False)
        assert len(app.told) == TOLD_KEPT
        assert (app.told[0].message, app.told[-1].message) == ("message 5", f"message {TOLD_KEPT + 4}")
        assert app.told[-1].severity == "information" and app.told[-1].title == ""


async def test_the_palette_screenshot_needs_no_downloads_folder_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat

    home = tmp_path / "home"
    home.mkdir()  # no Downloads in it
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-1"])
        commands = {c.title: c for c in app.get_system_commands(main)}
        commands["Screenshot"].callback()
        await wait_for(pilot, lambda: any(n.title == "Screenshot" for n in app.told), what="the message")
        [note] = [n for n in app.told if n.title == "Screenshot"]
        [saved] = app.screenshots
        assert note.message == f"Screenshot saved to {saved}" and note.severity == "information"
        assert saved.parent == home / ".local" / "share" / "warroom" / "screenshots"
        assert saved.read_text(encoding="utf-8").lstrip().startswith("<svg")
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
        assert not (home / "Downloads").exists()
