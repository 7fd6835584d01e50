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

A trigger (an ``incident.action`` of a kind in ``TRIGGER_KINDS``: an order received, a
report filed, a preservation requested...) starts the items of the incident's templates
(its category's and ``any``) that it starts, each its own clock from the trigger's ``at``
(:func:`data.procedures.sop.trigger_events`). A severity change re-times the open items
whose target depends on the severity (``checklist.retimed``); a ``preservation_extended``
moves the end of the hold it names, once, before it ends (else the batch is refused:
:class:`Refusal`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from data.engine.models import (
    REGIMES,
    TRIGGER_KINDS,
    UPDATE_KIND,
    ChecklistAdded,
    ChecklistRetimed,
    ChecklistSet,
    Draft,
)
from data.engine.store import IncidentRecord
from data.procedures.clocks import time_or_none
from data.procedures.sop import (
    ANY,
    SopItem,
    Template,
    Trigger,
    checklist_events,
    format_time,
    trigger_events,
)

TRIGGERS = ("incident.opened", "incident.updated", "incident.severity_set", "incident.action")
#: the trigger that extends a preservation hold (18 U.S.C. 2703(f): one 90-day extension)
EXTENSION = "preservation_extended"
OPEN = ("open", "blocked")


class ItemLike(Protocol):
    """What the procedures read of a checklist item (``data.incidents.queries.ItemRow``)."""

    @property
    def item(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def due(self) -> str | None: ...
    @property
    def step(self) -> str | None: ...
    @property
    def trigger_kind(self) -> str | None: ...
    @property
    def trigger_at(self) -> str | None: ...
    @property
    def trigger_ref(self) -> str | None: ...
    @property
    def hold(self) -> bool: ...


class Refusal(ValueError):
    """What the procedure cannot do with a batch (a hold extended after its end, or
    twice): ``problems`` are (index in the batch, message for people)."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(m for _, m in self.problems))


#: the procedures' stakeholder-update item (the same id in every shipped template): the
#: first update, due soon after T0; the cadence after it is the update clock's
UPDATE_ITEM = "stakeholder-updates"
UPDATE_NOTE = "a stakeholder update was recorded"


_when = time_or_none


def trigger_of(event: Mapping[str, Any], now: datetime) -> Trigger | None:
    """The trigger an event is (None if it is not one): an ``incident.action`` of a kind in
    ``TRIGGER_KINDS``; ``at`` its ``data.at`` when well formed and not after the entry
    (else the entry's ``ts``, else ``now``); ``regime`` when one of ``REGIMES``."""
    data = event.get("data")
    if event.get("type") != "incident.action" or not isinstance(data, Mapping):
        return None
    kind = data.get("kind")
    if kind not in TRIGGER_KINDS:
        return None
    ts = _when(event.get("ts")) or now
    at = _when(data.get("at"))
    ref = data.get("ref") if isinstance(data.get("ref"), str) else None
    regime = data.get("regime") if data.get("regime") in REGIMES else None
    return Trigger(str(kind), at if at is not None and at <= ts else ts, ref, regime)


def touched(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """The incidents whose procedure the events may call on (opened; category, severity
    or regions changed; a trigger recorded), in order."""
    out: list[str] = []
    for ev in events:
        incident = ev.get("incident")
        if ev.get("type") not in TRIGGERS or not isinstance(incident, str) or incident in out:
            continue
        if ev.get("type") == "incident.action":
            data = ev.get("data")
            if not isinstance(data, Mapping) or data.get("kind") not in TRIGGER_KINDS:
                continue
        out.append(incident)
    return out


def _templates(templates: Mapping[str, Template], category: Any) -> list[Template]:
    return [t for t in (templates.get(category), templates.get(ANY)) if t is not None]


def _template_item(templates: Sequence[Template], step: str) -> SopItem | None:
    for template in templates:
        found = template.item(step)
        if found is not None:
            return found
    return None


@dataclass
class _State:
    category: Any
    severity: Any
    regions: list[str]
    t0: datetime


def sop_items(
    templates: Mapping[str, Template],
    events: Sequence[Mapping[str, Any]],
    current: Mapping[str, IncidentRecord | None],
    existing: Mapping[str, Iterable[str]],
    now: datetime,
    *,
    checklists: Mapping[str, Sequence[ItemLike]] | None = None,
    flags: frozenset[str] = frozenset(),
) -> list[Draft]:
    """The procedure's events (:class:`Draft`) that ``events`` (the batch, as
    ``data.commands.build_events`` takes its input) call for: ``checklist.added`` for the
    items that now apply or that a trigger starts, ``checklist.retimed`` for the open items
    a severity change or an extension moves. ``current``: each touched incident's store
    row (None if it is new here); ``existing``: the item ids it already has;
    ``checklists``: its items (for re-timing and holds; None: nothing is re-timed);
    ``flags``: the ``[obligations]`` switches on; ``now``: when the batch is written (the
    T0 of an incident opened in it without ``detected_at``). Raises :class:`Refusal` for an
    extension the procedure cannot make."""
    out: list[Draft] = []
    refused: list[tuple[int, str]] = []
    for incident in touched(events):
        row = current.get(incident)
        state: _State | None = None
        if row is not None:
            state = _State(row.category, row.severity, list(row.regions),
                           _when(row.detected_at) or _when(row.opened_at) or now)  # fmt: skip
        before = _State(state.category, state.severity, list(state.regions), state.t0) if state else None
        have = set(existing.get(incident, ()))
        items = list((checklists or {}).get(incident, ()))
        started = {(i.step or i.item, i.trigger_ref) for i in items if i.trigger_ref is not None}
        dues = {i.item: i.due for i in items}
        triggers: list[tuple[int, Trigger]] = []
        retimed_from: Any = None
        for n, ev in enumerate(events):
            if ev.get("incident") != incident:
                continue
            data = ev.get("data") or {}
            kind = ev.get("type")
            if kind == "incident.opened":
                state = _State(data.get("category"), data.get("severity"), list(data.get("regions") or ()),
                               _when(data.get("detected_at")) or now)  # fmt: skip
            elif state is None:
                continue
            elif kind == "incident.severity_set" and "severity" in data:
                if retimed_from is None:
                    retimed_from = state.severity
                state.severity = data["severity"]
            elif kind == "incident.updated":
                if "category" in data:
                    state.category = data["category"]
                if "regions" in data:
                    state.regions = list(data["regions"])
            elif kind == "checklist.added" and isinstance(data.get("item"), str):
                have.add(data["item"])
            elif kind == "incident.action":
                trigger = trigger_of(ev, now)
                if trigger is not None:
                    triggers.append((n, trigger))
        if state is None or not isinstance(state.severity, int):
            continue
        templates_of = _templates(templates, state.category)
        for template in templates_of:
            # only what the change makes apply: an item that applied before and is not on the
            # checklist was left out on purpose (or the incident came from a script)
            prior: set[str] = set()
            if before is not None and before.category == state.category and isinstance(before.severity, int):
                prior = {i.id for i in template.items if i.applies(before.severity, before.regions, flags)}
            added = checklist_events(
                template, incident, state.severity, state.regions, state.t0, have | prior, flags
            )
            have.update(e.data.item for e in added if isinstance(e.data, ChecklistAdded))
            out.extend(added)
        for n, trigger in triggers:
            if trigger.kind == EXTENSION:
                moved, problem = _extend(templates_of, incident, items, dues, trigger, state.t0)
                if problem is not None:
                    refused.append((n, problem))
                out.extend(moved)
            out.extend(trigger_events(templates_of, incident, state.severity, state.regions, trigger, have,
                                      started, flags))  # fmt: skip
        if retimed_from is not None and retimed_from != state.severity:
            out.extend(_retime(templates_of, incident, items, dues, state, retimed_from))
    if refused:
        raise Refusal(refused)
    return out


def _retime(
    templates: Sequence[Template],
    incident: str,
    items: Sequence[ItemLike],
    dues: dict[str, str | None],
    state: _State,
    was: int,
) -> list[Draft]:
    """``checklist.retimed`` for each open item whose target depends on the severity."""
    out: list[Draft] = []
    for row in items:
        if row.state not in OPEN:
            continue
        item = _template_item(templates, row.step or row.item)
        if item is None or not item.severity_timed:
            continue
        start = _when(row.trigger_at) or state.t0
        due = item.deadline(start, state.severity)
        if due is None:
            continue
        text = format_time(due)
        if dues.get(row.item) is not None and _when(dues[row.item]) == due:
            continue
        target = item.due_for(state.severity)
        start_name = "T0" if row.trigger_at is None else row.trigger_kind
        reason = f"severity {was} to {state.severity}: the target at severity {state.severity} is "
        reason += f"{target.text() if target is not None else '-'} from {start_name}"
        dues[row.item] = text
        out.append(Draft(ChecklistRetimed(item=row.item, due=text, reason=reason), incident=incident))
    return out


def _extend(
    templates: Sequence[Template],
    incident: str,
    items: Sequence[ItemLike],
    dues: dict[str, str | None],
    trigger: Trigger,
    t0: datetime,
) -> tuple[list[Draft], str | None]:
    """Move the end of the preservation hold ``trigger`` names (by its ``ref``: the ref of the
    request that started it, or the item's id for a hold started at T0; without one,
    the only open hold that can be extended) by its step's ``extend``, once, before it
    ends. Returns the events, or why it cannot."""
    holds = [r for r in items if r.hold and r.state in OPEN]
    extendable = [
        (r, item) for r in holds
        if (item := _template_item(templates, r.step or r.item)) is not None and item.extend is not None
    ]  # fmt: skip
    if trigger.ref is not None:
        extendable = [(r, i) for r, i in extendable if trigger.ref in (r.trigger_ref, r.item)]
    if not extendable:
        which = f" with ref {trigger.ref}" if trigger.ref is not None else ""
        return [], (
            f"{incident} has no open preservation hold{which} that can be extended: record the "
            "preservation request (preservation_requested) first, with the request's ref"
        )
    if len(extendable) > 1:
        refs = ", ".join(sorted(r.trigger_ref or r.item for r, _ in extendable))
        return (
            [],
            f"{incident} has more than one preservation hold ({refs}): give the ref of the one extended "
            "(for a hold started with the incident, its item id)",
        )
    row, item = extendable[0]
    end = _when(dues.get(row.item))
    start = _when(row.trigger_at) or t0
    assert item.extend is not None
    if end is None or start is None:
        return [], f"the hold {row.item} of {incident} has no end to extend"
    original = item.deadline(start, 1)
    if original is not None and end > original:
        return (
            [],
            f"the hold {row.item} of {incident} was extended already (one extension: {item.basis or 'its rule'})",
        )
    if trigger.at > end:
        return [], (
            f"the hold {row.item} of {incident} ended at {format_time(end)}: an extension must be filed before "
            f"it ends ({item.basis or 'its rule'}); record it as a note instead"
        )
    new_end = item.extended(end)
    if new_end is None:
        return (
            [],
            f"the hold {row.item} of {incident} cannot be extended past the years a journal time may hold",
        )
    dues[row.item] = text = format_time(new_end)
    reason = f"{EXTENSION}{' ' + trigger.ref if trigger.ref else ''}: held {item.extend.words()} more"
    return [Draft(ChecklistRetimed(item=row.item, due=text, reason=reason), incident=incident)], None


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
