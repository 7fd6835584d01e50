"""Which standard-procedure checklist events a batch of events calls for (pure).

When a console opens an incident, the template of its category gives its checklist, due
times counted from T0 (``detected_at``, else when it was opened). When its category,
severity or regions change so that more of a template applies, the items that now apply
and did not before are added (a new category: its template's applicable items). Items
already added are never removed: a change can only add.

Recording a stakeholder update (an ``incident.action`` of kind ``stakeholder_update``)
ticks the procedure's update item (``stakeholder-updates``) done in the same batch, if it
is open or blocked (:func:`update_ticks`): the item is the first update; the cadence after
it is the update clock's (data/procedures/clocks.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from data.engine.models import UPDATE_KIND, ChecklistAdded, ChecklistSet, Draft, parse_rfc3339
from data.engine.store import IncidentRecord
from data.procedures.sop import Template, checklist_events

TRIGGERS = ("incident.opened", "incident.updated", "incident.severity_set")
#: the procedures' stakeholder-update item (the same id in every shipped template): the
#: first update, due soon after T0; the cadence after it is the update clock's
UPDATE_ITEM = "stakeholder-updates"
UPDATE_NOTE = "a stakeholder update was recorded"


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        return None


def touched(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """The incidents whose category, severity or regions the events may change, in order."""
    out: list[str] = []
    for ev in events:
        incident = ev.get("incident")
        if ev.get("type") in TRIGGERS and isinstance(incident, str) and incident not in out:
            out.append(incident)
    return out


def sop_items(
    templates: Mapping[str, Template],
    events: Sequence[Mapping[str, Any]],
    current: Mapping[str, IncidentRecord | None],
    existing: Mapping[str, Iterable[str]],
    now: datetime,
) -> list[Draft]:
    """The ``checklist.added`` events (:class:`Draft`) that ``events`` (the batch, as
    ``data.commands.build_events`` takes its input) call for. ``current``: each touched
    incident's store row (``Store.incidents``; None if it is new here); ``existing``: the item ids it already
    has; ``now``: when the batch is written (the T0 of an incident opened in it without
    ``detected_at``)."""
    out: list[Draft] = []
    for incident in touched(events):
        row = current.get(incident)
        state: dict[str, Any] | None = None
        if row is not None:
            state = {
                "category": row.category,
                "severity": row.severity,
                "regions": list(row.regions),
                "t0": _when(row.detected_at) or _when(row.opened_at) or now,
            }
        before = dict(state) if state is not None else None
        have = set(existing.get(incident, ()))
        for ev in events:
            if ev.get("incident") != incident:
                continue
            data = ev.get("data") or {}
            kind = ev.get("type")
            if kind == "incident.opened":
                state = {
                    "category": data.get("category"),
                    "severity": data.get("severity"),
                    "regions": list(data.get("regions") or ()),
                    "t0": _when(data.get("detected_at")) or now,
                }
            elif state is None:
                continue
            elif kind == "incident.severity_set" and "severity" in data:
                state["severity"] = data["severity"]
            elif kind == "incident.updated":
                for key in ("category", "regions"):
                    if key in data:
                        state[key] = list(data[key]) if key == "regions" else data[key]
            elif kind == "checklist.added" and isinstance(data.get("item"), str):
                have.add(data["item"])
        if state is None or not isinstance(state["severity"], int):
            continue
        template = templates.get(state["category"])
        if template is None:
            continue
        # only what the change makes apply: an item that applied before and is not on the
        # checklist was left out on purpose (or the incident came from a script)
        prior: set[str] = set()
        if (
            before is not None
            and before["category"] == state["category"]
            and isinstance(before["severity"], int)
        ):
            prior = {i.id for i in template.items if i.applies(before["severity"], before["regions"])}
        added = checklist_events(
            template, incident, state["severity"], state["regions"], state["t0"], have | prior
        )
        have.update(e.data.item for e in added if isinstance(e.data, ChecklistAdded))
        out.extend(added)
    return out


def is_update(event: Mapping[str, Any]) -> bool:
    """An ``incident.action`` recording a stakeholder update."""
    data = event.get("data") or {}
    return (
        event.get("type") == "incident.action"
        and isinstance(data, Mapping)
        and data.get("kind") == UPDATE_KIND
    )


def updated(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """The incidents a stakeholder update is recorded for in ``events``, in order."""
    out: list[str] = []
    for ev in events:
        incident = ev.get("incident")
        if is_update(ev) and isinstance(incident, str) and incident not in out:
            out.append(incident)
    return out


def update_ticks(events: Sequence[Mapping[str, Any]], states: Mapping[str, Mapping[str, str]]) -> list[Draft]:
    """The ``checklist.set`` events (:class:`Draft`) that tick the update item done,
    written in the same batch as a stakeholder update: recording an update is doing that
    step. ``states``: each updated incident's checklist, item -> state. Only an
    item open or blocked is ticked; one added in the batch itself too."""
    out: list[Draft] = []
    for incident in updated(events):
        state = dict(states.get(incident, {}))
        for ev in events:  # what the batch itself does to the item, before the update
            data = ev.get("data") or {}
            if (
                ev.get("incident") != incident
                or not isinstance(data, Mapping)
                or data.get("item") != UPDATE_ITEM
            ):
                continue
            if ev.get("type") == "checklist.added":
                state.setdefault(UPDATE_ITEM, "open")
            elif ev.get("type") == "checklist.set" and isinstance(data.get("state"), str):
                state[UPDATE_ITEM] = data["state"]
        if state.get(UPDATE_ITEM) in ("open", "blocked"):
            out.append(
                Draft(ChecklistSet(item=UPDATE_ITEM, state="done", note=UPDATE_NOTE), incident=incident)
            )
    return out
