"""Events and problems as types (issue 14): one tagged union of the event classes, a
projector that has a branch for each (mypy checks it with ``assert_never``; these tests
check it at run time), drafts built through the models, and refusals as structured
problems that a form maps to its fields by member path."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal, get_args

import orjson
import pytest
from pydantic import TypeAdapter
from textual.widgets import Static

from app.console import WarRoom
from data.commands import AppendRefused, append_to, build_events
from data.engine.journal import FileJournal, Span
from data.engine.models import (
    DATA_MODELS,
    EVENT_MODELS,
    SCOPED_PREFIXES,
    Draft,
    Event,
    GlobalEvent,
    HandoffSubmission,
    IncidentEvent,
    IncidentNote,
    IncidentRoleSet,
    IncidentUpdated,
    Problem,
    UnknownEvent,
    _Envelope,
    validate_event,
)
from data.engine.projector import Batch, Projector
from data.engine.store import Store
from screens import dialogs
from tests._console_helpers import SIZE, opened, seed, settings_for, wait_for
from tests.test_widgets import EXAMPLES

TS = "2026-11-22T03:00:00Z"


def _line(etype: str, data: dict[str, object], n: int) -> dict[str, Any]:
    event: dict[str, Any] = {"v": 1, "id": f"e{n}", "ts": TS, "actor": "amara", "type": etype, "data": data,
                             "prev": None}  # fmt: skip
    if etype.startswith(SCOPED_PREFIXES):
        event["incident"] = "INC-1"
    return event


def test_every_type_is_one_class_of_the_union() -> None:
    classes = get_args(IncidentEvent | GlobalEvent)
    assert len(classes) == len(EVENT_MODELS) == len(DATA_MODELS)
    adapter: TypeAdapter[Any] = TypeAdapter(Event)
    for n, (etype, data) in enumerate(EXAMPLES.items()):
        event = adapter.validate_python(_line(etype, data, n))
        assert type(event) is EVENT_MODELS[etype] and event.type == etype
        assert isinstance(event.data, DATA_MODELS[etype]) and DATA_MODELS[etype].TYPE == etype  # type: ignore[attr-defined]
    unknown = validate_event(_line("bot.x", {"any": 1}, 99))
    assert isinstance(unknown, UnknownEvent) and not unknown.known


def test_the_projector_applies_every_class_of_the_union() -> None:
    """A journal with one event of every type (in an order where each applies): every line
    is applied, none quarantined, none taken for unknown."""
    order = ["incident.opened", "checklist.added", "postmortem.action_added", "response.drafted"]
    types = order + [t for t in EXAMPLES if t not in order]
    # a response is sent only once a second person holding the legal role approved it
    types.insert(types.index("response.reviewed"), "legal")
    types.insert(types.index("incident.linked"), "other")  # a link names another incident opened
    lines = []
    for n, etype in enumerate(types):
        if etype == "legal":
            lines.append(_line("incident.role_set", {"role": "legal", "person": "ben"}, n))
            continue
        if etype == "other":
            lines.append(_line("incident.opened", EXAMPLES["incident.opened"], n) | {"incident": "INC-7"})
            continue
        data = dict(EXAMPLES[etype])
        if etype == "postmortem.pin_set":
            data["event"] = "e0"  # the opening: an event of INC-1
        if etype == "response.sent":
            data["sha256"] = hashlib.sha256(str(EXAMPLES["response.drafted"]["text"]).encode()).hexdigest()
        lines.append(_line(etype, data, n) | ({"actor": "ben"} if etype == "response.reviewed" else {}))
    raws: list[bytes] = []
    prev = None
    for event in lines:
        raws.append(orjson.dumps({**event, "prev": prev}))
        prev = hashlib.sha256(raws[-1]).hexdigest()
    end = sum(len(r) + 1 for r in raws)
    span = Span(line=1, start=0, end=end, raws=raws, long={}, last_start=end - 1 - len(raws[-1]))
    batch = Projector(None, authoritative=True).project(span)
    assert batch.counts["applied"] == len(types), batch.quarantine
    assert batch.counts["quarantined"] == 0 and batch.counts["unknown"] == 0


def test_an_event_class_without_a_branch_is_an_error_not_ignored() -> None:
    """The projector's ``match`` ends in ``assert_never``: a class left out of it (mypy
    says so first) fails loudly instead of being skipped."""

    class StrayEvent(_Envelope):
        type: Literal["incident.stray"]
        incident: str
        data: IncidentNote

    stray = StrayEvent(v=1, id="s1", ts=TS, actor="amara", type="incident.stray", incident="INC-1",
                       data=IncidentNote(text="x"), prev=None)  # fmt: skip
    projector = Projector(None, authoritative=True)
    opening = validate_event(_line("incident.opened", EXAMPLES["incident.opened"], 0))
    projector._apply(opening, 1, Batch())  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        projector._apply(stray, 2, Batch())  # type: ignore[arg-type]


def test_a_draft_is_written_as_the_members_given() -> None:
    note = Draft(IncidentNote(text="Called back"), incident="INC-1")
    assert note.type == "incident.note"
    assert note.as_input() == {"type": "incident.note", "incident": "INC-1", "data": {"text": "Called back"}}
    # an explicit null is written (clearing a role); a member left out is not
    assert Draft(IncidentRoleSet(role="scribe", person=None), incident="INC-1").as_input()["data"] == {
        "role": "scribe", "person": None}  # fmt: skip
    assert Draft(IncidentUpdated(summary=None), incident="INC-1").as_input()["data"] == {"summary": None}
    # the member named by a Python keyword is written by its journal name
    handoff = HandoffSubmission.model_validate({"handoff": "HO-1", "from": "amara", "to": "hugo", "notes": "",
                                                "incidents": [{"incident": "INC-1", "trend": "stable"}]})  # fmt: skip
    data = Draft(handoff).as_input()["data"]
    assert data["from"] == "amara" and data["incidents"] == [{"incident": "INC-1", "trend": "stable"}]
    [built] = build_events([("note", note)], "amara")
    assert built["type"] == "incident.note" and built["data"] == {"text": "Called back"}
    assert built["actor"] == "amara" and built["v"] == 1


def test_a_draft_of_a_files_values_is_refused_in_the_writers_words() -> None:
    """``Draft.of``: values as a file gives them (the roster import's) built by the model;
    a bad one refused with the words ``warroom append`` gives for the same raw event."""
    from data.engine.models import EventError, RosterPersonEntry, RosterRotation

    person = {"handle": "amara", "name": "Amara", "team": "emergency_response", "region": "US",
              "tz": "America/New_York", "email": "amara@example.org"}  # fmt: skip
    assert Draft.of(RosterPersonEntry, person).as_input() == {"type": "roster.person", "data": person}
    rotation = {"rotation": "us-ic", "team": "emergency_response", "region": "US", "tz": "Europe/Londres",
                "days": ["mon"], "start": "09:00", "hours": "nine", "members": [], "anchor": "2026-11-02"}  # fmt: skip
    with pytest.raises(EventError) as info:
        Draft.of(RosterRotation, rotation)
    with pytest.raises(AppendRefused) as raw:
        build_events([("rotations[0]", {"type": "roster.rotation", "data": rotation})], "amara")
    assert raw.value.lines == [f"rotations[0]: {info.value}"]
    assert [(p.field, p.message) for p in info.value.problems] == [
        (p.field, p.message) for p in raw.value.problems
    ]
    assert str(info.value).startswith("data.tz: unknown time zone 'Europe/Londres'")
    assert str(info.value).endswith("and 1 more")


def test_a_refused_event_says_which_member_as_data_and_the_same_words_as_text() -> None:
    with pytest.raises(AppendRefused) as info:
        build_events([("line 1", {"type": "incident.note", "incident": "INC-1", "data": {"text": ""}}),
                      ("line 2", {"type": "incident.note", "id": "n2", "incident": "inc 1",
                                  "data": {"text": "x", "pinned": "yes"}})], "amara")  # fmt: skip
    refused = info.value
    assert [(p.index, p.field, p.message) for p in refused.problems] == [
        (0, ("data", "text"), "cannot be empty"),
        (1, ("incident",), "must be 1-32 of A-Z 0-9 - (e.g. INC-261122-7K3Q)"),
        (1, ("data", "pinned"), "must be true or false"),
    ]
    assert refused.problems[1].event == "n2" and refused.problems[1].where == "line 2"
    assert refused.lines == [
        "line 1: data.text: cannot be empty",
        "line 2: incident: must be 1-32 of A-Z 0-9 - (e.g. INC-261122-7K3Q); data.pinned: must be true or false",
    ]


async def test_a_refused_duplicate_id_is_a_typed_problem(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    journal = FileJournal(settings.journal)
    first = build_events([("note", Draft(IncidentNote(text="first"), incident="INC-1", id="n-1"))], "amara")
    again = build_events([("note", Draft(IncidentNote(text="another"), incident="INC-1", id="n-1"))], "amara")
    async with await Store.open(settings.db) as store:
        await append_to(journal, store, first, ["the note"])
        with pytest.raises(AppendRefused) as info:
            await append_to(journal, store, again, ["the other note"])
    [problem] = info.value.problems
    assert problem == Problem(message="id n-1 is already in the journal, for another event", field=("id",),
                              index=0, event="n-1", where="the other note")  # fmt: skip
    assert info.value.lines == ["the other note: id n-1 is already in the journal, for another event"]


async def test_a_form_shows_each_problem_at_the_field_of_its_member(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
        dialog = dialogs.NoteDialog("INC-1")
        app.push_screen(dialog)
        await wait_for(pilot, lambda: app.screen is dialog and dialog.is_mounted, what="the note form")
        dialog.show_problems([
            Problem(message="say less", field=("data", "text"), text="data.text: say less"),
            Problem(message="incident INC-1 was never opened", field=("incident",)),
            Problem(message="must be true or false", field=("data", "pinned"), text="data.pinned: must be …"),
        ])  # fmt: skip

        def shown(field: str | None) -> str | None:
            err = dialog.query_one(f"#{field}-error" if field else "#general-error", Static)
            return str(err.content) if err.has_class("shown") else None

        assert shown("text") == "say less" and shown("pinned") == "must be true or false"
        assert shown(None) == "incident INC-1 was never opened"  # no field holds it: under the form
