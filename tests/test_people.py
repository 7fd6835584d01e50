"""People, not strings (data/roster/people.py): a person field completes from the roster and ``me``;
a handle not in the roster needs its "use anyway" ticked, and is marked wherever it shows
(the queue, the incident screen, the trends)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.widgets import Checkbox, Input, Static

from app.console import WarRoom
from data.incidents.queries import RoleRow
from data.roster.people import People, Person, fold
from data.trends.report import compute, input_from_rows
from screens import dialogs
from tests._console_helpers import (
    ACTOR,
    SIZE,
    journal_lines,
    opened,
    queue_ids,
    screen_text,
    seed,
    settings_for,
    wait_for,
)
from tests.helpers import incident_record


def person(handle: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "roster.person", "data": {"handle": handle, "name": name, "team": "emergency_response",
                                              "region": "UK", "tz": "Europe/London", **extra}}  # fmt: skip


ROSTER = [
    person("bernard", "Bernard Desruisseaux"),
    person("amara", "Amara Okafor"),
    person(ACTOR, "Ira Test"),
]


# --- matching ------------------------------------------------------------------------------


def test_people_are_found_by_handle_name_or_e_mail_and_me() -> None:
    people = People([Person("bernard", "Bernard Desruisseaux", "b.desruisseaux@example.org"),
                     Person("amara", "Amara Okafor"), Person("ana", "Ana Lima"), Person("ana2", "Ana Lima")])  # fmt: skip
    assert people.find("@Bernard") == "bernard" and people.find("BERNARD") == "bernard"
    assert people.find("@Bernard Desruisseaux") == "bernard"
    assert people.find("  bernard   DÉSRUISSEAUX ") == "bernard"  # case, accents, spaces
    assert people.find("B.Desruisseaux@Example.org") == "bernard"  # the person's e-mail
    assert people.find("mailto:amara@example.com") == "amara"  # else the local part is the handle
    assert people.find("me", me="zed") == "zed" and people.find("me") is None
    assert people.find("Ana Lima") is None  # two people of that name: which one?
    assert people.find("bernrad") is None and people.close_to("bernrad") == ["bernard"]
    assert people.unlisted(["amara", "bernrad", "bernrad"]) == ("bernrad",)
    assert People([]).unlisted(["anyone"]) == () and People([]).knows("anyone")  # no roster: nothing checked
    assert fold("Ｂernard  Dé") == "bernard de"


# --- the role dialog -------------------------------------------------------------------------


async def _started(pilot: Any, app: WarRoom, ids: list[str]) -> Any:
    await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
    await wait_for(pilot, lambda: queue_ids(app) == ids, what=f"the queue to show {ids}")
    return app.screen


async def _select(pilot: Any, main: Any, incident: str) -> None:
    from widgets.queue import IncidentQueue

    queue = main.query_one(IncidentQueue)
    queue.focus()
    queue.move_cursor(row=queue.get_row_index(incident), animate=False)
    await wait_for(
        pilot, lambda: main.selected == incident and main._detail_seq[0] == incident, what="selected"
    )


async def _role_dialog(pilot: Any, app: WarRoom) -> Any:
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(app.screen, dialogs.RoleDialog), what="the role dialog")
    await pilot.pause()
    return app.screen


async def _submit(pilot: Any, app: WarRoom, dialog: Any, before: int) -> dict[str, Any]:
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: app.screen is not dialog and len(journal_lines(app.settings.journal)) > before,
                   what="the dialog to write and close")  # fmt: skip
    [line] = journal_lines(app.settings.journal)[before:]
    return line


def _commander_cell(main: Any, incident: str) -> str:
    from widgets.queue import IncidentQueue

    return main.query_one(IncidentQueue).get_cell(incident, "commander").plain  # type: ignore[no-any-return]


async def test_the_role_dialog_completes_from_the_roster_and_me(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [*ROSTER, opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _started(pilot, app, ["INC-1"])
        await _select(pilot, main, "INC-1")
        dialog = await _role_dialog(pilot, app)
        field = dialog.query_one("#person", Input)
        field.focus()
        await pilot.press("B", "e", "r")
        await wait_for(pilot, lambda: field._suggestion == "bernard", what="the suggestion")
        await pilot.press("right")  # takes the completion
        assert field.value == "bernard"
        before = len(journal_lines(settings.journal))
        line = await _submit(pilot, app, dialog, before)
        assert line["data"] == {"role": "commander", "person": "bernard"}
        await wait_for(pilot, lambda: _commander_cell(main, "INC-1") == "bernard", what="the commander")
        # a name is its person's handle; me is the console's actor
        for typed, handle in (("@Bernard Desruisseaux", "bernard"), ("me", ACTOR)):
            dialog = await _role_dialog(pilot, app)
            dialog.query_one("#role").value = "scribe"
            dialog.query_one("#person", Input).value = typed
            before = len(journal_lines(settings.journal))
            line = await _submit(pilot, app, dialog, before)
            assert line["data"] == {"role": "scribe", "person": handle}, typed


async def test_a_handle_not_in_the_roster_needs_confirming_and_is_marked(tmp_path: Path) -> None:
    from screens.incident import IncidentScreen

    settings = settings_for(tmp_path)
    await seed(settings, [*ROSTER, opened("INC-1", severity=1)])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _started(pilot, app, ["INC-1"])
        await _select(pilot, main, "INC-1")
        dialog = await _role_dialog(pilot, app)
        dialog.query_one("#person", Input).value = "bernrad"
        before = len(journal_lines(settings.journal))
        await pilot.press("ctrl+s")
        anyway = dialog.query_one("#person-anyway", Checkbox)
        await wait_for(pilot, lambda: anyway.has_class("shown"), what="the use-anyway box")
        error = str(dialog.query_one("#person-error", Static).content)
        assert "bernrad is not in the roster (did you mean bernard?)" in error
        assert app.screen is dialog and anyway.has_focus and anyway.value is False
        await pilot.press("ctrl+s")  # again, unticked: still nothing
        await pilot.pause()
        assert app.screen is dialog and len(journal_lines(settings.journal)) == before
        # ticked for another handle than the one typed now: asked again
        await pilot.press("space")
        dialog.query_one("#person", Input).value = "bernrd"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: anyway.value is False and "bernrd" in str(anyway.label), what="asked again"
        )
        assert len(journal_lines(settings.journal)) == before
        await pilot.press("space")
        line = await _submit(pilot, app, dialog, before)
        assert line["data"] == {"role": "commander", "person": "bernrd"}
        # marked wherever the role shows: the queue, the incident screen
        await wait_for(
            pilot, lambda: _commander_cell(main, "INC-1") == "bernrd?", what="the mark in the queue"
        )
        app.push_screen(IncidentScreen("INC-1"))
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.row is not None)
        await wait_for(pilot, lambda: "commander: bernrd (not in the roster)" in screen_text(app),
                       what="the mark on the incident screen")  # fmt: skip


async def test_without_a_roster_handles_are_taken_as_given(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _started(pilot, app, ["INC-1"])
        await _select(pilot, main, "INC-1")
        dialog = await _role_dialog(pilot, app)
        dialog.query_one("#person", Input).value = "@anyone"
        line = await _submit(pilot, app, dialog, len(journal_lines(settings.journal)))
        assert line["data"] == {"role": "commander", "person": "anyone"}
        await wait_for(pilot, lambda: _commander_cell(main, "INC-1") == "anyone", what="unmarked")


# --- the trends ---------------------------------------------------------------------------------


def test_the_trends_mark_a_responder_not_in_the_roster() -> None:
    at = "2026-11-10T10:00:00Z"
    incidents = [incident_record(id="INC-1", category="edr", severity=1, regions=("UK",), status="new",
                                 opened_at=at, detected_at=None, acknowledged_at=at)]  # fmt: skip
    roles = [RoleRow(incident="INC-1", role="commander", start_seq=1, person="bernrad", start_ts=at, start_actor="x"),
             RoleRow(incident="INC-1", role="scribe", start_seq=2, person="amara", start_ts=at, start_actor="x")]  # fmt: skip
    window = (datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
    now = datetime(2026, 11, 16, tzinfo=UTC)
    t = compute(input_from_rows(incidents, roles=roles, people=["amara", "bernard"]), *window, now=now)
    assert {p.person: p.in_roster for p in t.load} == {"bernrad": False, "amara": True}
    t = compute(input_from_rows(incidents, roles=roles), *window, now=now)  # no roster: not known
    assert {p.in_roster for p in t.load} == {None}
