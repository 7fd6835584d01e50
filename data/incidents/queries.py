"""Read queries of the projection that the incident views need, as typed rows. Each takes
the store and runs through its public reads (:meth:`Store.read_rows`).

The handoffs are read here, not in data/handoff/: the console's snapshot
(data/incidents/views.py) shows the pending ones, and data/handoff/ imports the views.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from data.engine import schema as S
from data.engine.models import TERMINAL_STATUSES
from data.engine.projector import Item
from data.engine.store import Store

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class HandoffRow:
    """A shift handoff as projected: its submission (``handoff.submitted``, at line
    ``submitted_seq``) and its acknowledgement (``handoff.acknowledged``), either None
    until written."""

    handoff: str
    from_person: str | None = None
    to_person: str | None = None
    region: str | None = None
    notes: str | None = None
    submitted_by: str | None = None
    submitted_at: str | None = None
    submitted_seq: int | None = None
    readback: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    acknowledged_seq: int | None = None


async def handoffs(store: Store) -> list[HandoffRow]:
    """Every handoff, in the order submitted (acknowledged ones never submitted first)."""
    rows = await store.read_rows(select(S.handoffs).order_by(S.handoffs.c.submitted_seq))
    return [HandoffRow(**r) for r in rows]


@dataclass(frozen=True, slots=True)
class AuditRow:
    """An ``audit.*`` event (docs/privacy.md): an ``audit.reveal`` (``entry``, ``fields``,
    ``reason``, ``kinds``) or an ``audit.unmasked_export`` (``kind``, ``format``,
    ``region``); the members of the other type are None."""

    seq: int
    id: str
    type: str
    actor: str
    ts: str
    incident: str | None
    entry: str | None
    fields: tuple[str, ...] | None
    reason: str | None
    kinds: tuple[str, ...] | None
    kind: str | None
    format: str | None
    region: str | None


def _json_list(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(orjson.loads(text))


async def audits(store: Store, incident: str | None = None) -> list[AuditRow]:
    """The audit trail of the privacy controls (of one incident), in journal order."""
    stmt = select(S.audits).order_by(S.audits.c.seq)
    if incident is not None:
        stmt = stmt.where(S.audits.c.incident == incident)
    return [
        AuditRow(**{**r, "fields": _json_list(r["fields"]), "kinds": _json_list(r["kinds"])})
        for r in await store.read_rows(stmt)
    ]


@dataclass(frozen=True, slots=True)
class RoleRow:
    """One person's hold of one role of an incident: from line ``start_seq`` to line
    ``end_seq`` (None: they hold it still)."""

    incident: str
    role: str
    start_seq: int
    person: str
    start_ts: str
    start_actor: str
    end_seq: int | None = None
    end_ts: str | None = None
    end_actor: str | None = None


async def role_history(store: Store, incident: str | None = None) -> list[RoleRow]:
    """Who held which role of an incident (of every incident with None), and when; in the
    order the holds began."""
    rh = S.role_history.c
    stmt = select(S.role_history)
    if incident is not None:
        stmt = stmt.where(rh.incident == incident)
    stmt = stmt.with_only_columns(*_columns(RoleRow, S.role_history))
    return _positional(RoleRow, await store.read_tuples(stmt.order_by(rh.start_seq, rh.role)))


#: a checklist item as projected: as added (line ``added_seq``) and as last set; the
#: projector's own frozen row (one type for what it writes and what is read)
ItemRow = Item


@dataclass(frozen=True, slots=True)
class ItemStateRow:
    """One state an item was set to (``checklist.item_set``, line ``seq``)."""

    seq: int
    incident: str
    item: str
    state: str
    note: str | None
    actor: str
    ts: str


async def checklist(
    store: Store, incident: str | None = None, *, states: Sequence[str] | None = None
) -> list[ItemRow]:
    """Checklist items (of one incident; in these states), by incident and order added."""
    c = S.checklist.c
    stmt = select(S.checklist).order_by(c.incident, c.added_seq)
    if incident is not None:
        stmt = stmt.where(c.incident == incident)
    if states is not None:
        stmt = stmt.where(c.state.in_(tuple(states)))
    stmt = stmt.with_only_columns(*_columns(ItemRow, S.checklist))
    return _positional(ItemRow, await store.read_tuples(stmt))


async def open_due_items(store: Store) -> list[ItemRow]:
    """Checklist items of active incidents, not done or skipped, that have a due time
    (the open clocks)."""
    c = S.checklist.c
    active = select(S.incidents.c.id).where(S.incidents.c.status.not_in(TERMINAL_STATUSES))
    stmt = (
        select(S.checklist)
        .where(c.due.is_not(None), c.state.in_(("open", "blocked")), c.incident.in_(active))
        .order_by(c.incident, c.added_seq)
    )
    return [ItemRow(**r) for r in await store.read_rows(stmt)]


async def meetings_held(store: Store) -> dict[str, str]:
    """When each incident's first post-mortem meeting was held (``postmortem.meeting``'s
    ``at``), by incident: what stops its meeting clock."""
    m = S.postmortem_meetings.c
    stmt = select(m.incident, func.min(m.at)).group_by(m.incident)
    rows: list[Any] = await store.read_tuples(stmt)
    return {str(incident): str(at) for incident, at in rows}


async def last_pages(store: Store, incidents: Sequence[str]) -> dict[str, tuple[str | None, str]]:
    """The last page (``page.sent``: docs/escalation.md) of each of ``incidents`` that was
    paged: (who, when). Read through the events' incident index."""
    if not incidents:
        return {}
    c = S.events.c
    stmt = (
        select(c.incident, c.ts, c.raw)
        .where(c.incident.in_(list(incidents)), c.type == "page.sent", c.applied.is_(True))
        .order_by(c.seq)
    )
    out: dict[str, tuple[str | None, str]] = {}
    rows: list[Any] = await store.read_tuples(stmt)
    for incident, ts, raw in rows:
        person = (orjson.loads(raw).get("data") or {}).get("person")
        out[str(incident)] = (person if isinstance(person, str) else None, str(ts))
    return out


async def holds(store: Store) -> list[ItemRow]:
    """Every preservation hold (a checklist item with ``hold``), of every incident, closed
    ones too (a hold outlives its incident), by incident and order added."""
    c = S.checklist.c
    stmt = select(S.checklist).where(c.hold.is_(True)).order_by(c.incident, c.added_seq)
    return _positional(
        ItemRow, await store.read_tuples(stmt.with_only_columns(*_columns(ItemRow, S.checklist)))
    )


async def checklist_history(store: Store, incident: str) -> list[ItemStateRow]:
    """The states the items of ``incident`` were set to, in journal order."""
    h = S.checklist_history.c
    stmt = select(S.checklist_history).where(h.incident == incident).order_by(h.seq)
    return [ItemStateRow(**r) for r in await store.read_rows(stmt)]


async def detail(
    store: Store, incident: str, last: int, also: Sequence[str] = ()
) -> tuple[list[EventRow], int, list[ItemRow]]:
    """What the main screen shows of the selected incident, in one connection: its last
    ``last`` applied events (journal order; with those of the incidents ``also``, merged
    into it), how many came before them, and its checklist."""
    e = S.events.c
    c = S.checklist.c
    mine = (e.incident.in_((incident, *also)) if also else e.incident == incident) & e.applied.is_(True)

    async def read(conn: AsyncConnection) -> tuple[list[EventRow], int, list[ItemRow]]:
        recent = select(e.seq, e.id, e.ts, e.actor, e.type, e.incident, e.raw).where(mine)
        events = [_event(r) for r in await conn.execute(recent.order_by(e.seq.desc()).limit(last))]
        earlier = 0
        if len(events) == last:
            count = select(func.count()).where(mine, e.seq < events[-1].seq)
            earlier = int((await conn.execute(count)).scalar_one())
        items = await conn.execute(select(S.checklist).where(c.incident == incident).order_by(c.added_seq))
        checklist = [ItemRow(**r) for r in items.mappings()]
        events.reverse()
        return events, earlier, checklist

    return await store.read(read)


@dataclass(frozen=True, slots=True)
class IncidentEventRow:
    """An applied incident event (line ``seq``), without its ``data``."""

    seq: int
    ts: str
    actor: str
    type: str
    incident: str


async def incident_events(
    store: Store,
    *,
    after_seq: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[IncidentEventRow]:
    """Applied incident events, in journal order: after line ``after_seq``, or with
    ``ts`` from ``since`` to ``until`` (SQLite reads the offset of an RFC 3339 time; one
    it cannot read is returned too, for the caller to judge)."""
    e = S.events.c
    stmt = select(e.seq, e.ts, e.actor, e.type, e.incident).where(
        e.applied.is_(True), e.incident.is_not(None)
    )
    if after_seq is not None:
        stmt = stmt.where(e.seq > after_seq)
    day = func.julianday(e.ts)
    if since is not None:
        stmt = stmt.where((day >= func.julianday(since.astimezone(UTC).isoformat())) | day.is_(None))
    if until is not None:
        stmt = stmt.where((day <= func.julianday(until.astimezone(UTC).isoformat())) | day.is_(None))
    return [IncidentEventRow(**r) for r in await store.read_rows(stmt.order_by(e.seq))]


async def event_data(store: Store, seq: int) -> dict[str, Any] | None:
    """The ``data`` of the event at line ``seq`` as written (extension members
    included), or None."""
    return (await events_data(store, [seq])).get(seq)


async def events_data(store: Store, seqs: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The ``data`` of the events at these lines, by line (an object's only): the
    event's own members, as written, not a row of the projection."""
    e = S.events.c
    out: dict[int, dict[str, Any]] = {}
    seqs = list(seqs)
    for i in range(0, len(seqs), 900):
        for row in await store.read_rows(select(e.seq, e.raw).where(e.seq.in_(seqs[i : i + 900]))):
            data = orjson.loads(row["raw"]).get("data")
            if isinstance(data, dict):
                out[row["seq"]] = data
    return out


@dataclass(frozen=True, slots=True)
class EventRow:
    """An applied incident event (line ``seq``) with its ``data`` as written (an object,
    unless the line says otherwise: readers check)."""

    seq: int
    id: str
    ts: str
    actor: str
    type: str
    incident: str
    data: Any


def _event(row: Any) -> EventRow:
    """An EventRow from (seq, id, ts, actor, type, incident, raw)."""
    seq, id_, ts, actor, type_, incident, raw = row
    return EventRow(seq, id_, ts, actor, type_, incident, orjson.loads(raw).get("data", {}))


def _positional(row_type: type[R], rows: Iterable[Any]) -> list[R]:
    """Typed rows built from tuples selected by :func:`_columns` (in the fields' order)."""
    make: Any = row_type
    return [make(*r) for r in rows]


def _columns(row_type: Any, table: Any) -> list[Any]:
    """The table's columns in the order of ``row_type``'s fields: rows built positionally."""
    return [table.c[f.name] for f in dataclass_fields(row_type)]


async def timeline(store: Store, incident: str | None = None, also: Sequence[str] = ()) -> list[EventRow]:
    """Applied events of an incident (with those of the incidents ``also``: merged into it),
    or of all incidents, in journal order."""
    e = S.events.c
    stmt = select(e.seq, e.id, e.ts, e.actor, e.type, e.incident, e.raw).where(
        e.applied.is_(True), e.incident.is_not(None)
    )
    if incident is not None:
        stmt = stmt.where(e.incident.in_((incident, *also)) if also else e.incident == incident)
    return [_event(r) for r in await store.read_tuples(stmt.order_by(e.seq))]


async def events_of_types(store: Store, types: Sequence[str]) -> list[EventRow]:
    """Applied incident events of these types, in journal order, with their ``data``
    (the trends read stakeholder updates and severity changes this way)."""
    e = S.events.c
    stmt = select(e.seq, e.id, e.ts, e.actor, e.type, e.incident, e.raw).where(
        e.applied.is_(True), e.incident.is_not(None), e.type.in_(tuple(types))
    )
    return [_event(r) for r in await store.read_tuples(stmt.order_by(e.seq))]
