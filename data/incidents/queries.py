"""Read queries of the projection that the incident views need, as typed rows. Each takes
the store and runs through its public reads (:meth:`Store.read_rows`).

The handoffs are read here, not in data/handoff/: the console's snapshot
(data/incidents/views.py) shows the pending ones, and data/handoff/ imports the views.
"""

from __future__ import annotations

from dataclasses import dataclass

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
