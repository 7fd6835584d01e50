"""Read queries of the projection that the incident views need, as typed rows. Each takes
the store and runs through its public reads (:meth:`Store.read_rows`).

The handoffs are read here, not in data/handoff/: the console's snapshot
(data/incidents/views.py) shows the pending ones, and data/handoff/ imports the views.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import select

from data.engine import schema as S
from data.engine.store import Store


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
    return [RoleRow(**r) for r in await store.read_rows(stmt.order_by(rh.start_seq, rh.role))]
