"""The outbox: what a console's user wrote while the journal could not be reached
(docs/architecture.md, "Through a journal outage").

A local table of the console's store, outside the projection like ``data/care/exposure.py``: its
own :data:`metadata`, created with ``checkfirst`` on first use, so ``Store.rebuild`` (which
clears ``schema.PROJECTED``), the digest (``schema.PROJECTED`` only) and the schema migration
(which drops and recreates ``schema.metadata``) never touch it. One row per action (one
batch given to ``WarRoom.act``), in the order queued: the events exactly as ``build_events``
built and validated them (their ids and ``ts`` kept, so sending one again after an
ambiguous failure is recognised as a duplicate id, never written twice), when it was queued,
a short description, and, once the journal has refused it, why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, func, select, update

from data.engine.store import Store

#: its own MetaData: ``Store._migrate_sync`` drops and recreates only ``schema.metadata``
metadata = MetaData()
WHAT = "the outbox"

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # the order queued
    Column("events", String, nullable=False),  # JSON array, as built and validated
    Column("queued_at", Float, nullable=False),  # UTC epoch seconds
    Column("description", String, nullable=False),
    Column("refused", String, nullable=True),  # why the journal refused it (kept, shown)
    Column("refused_at", Float, nullable=True),
    sqlite_autoincrement=True,  # a seq is never reused, even after the last row is sent
)


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    events: list[dict[str, Any]]
    queued_at: float
    description: str
    refused: str | None = None
    refused_at: float | None = None


@dataclass(frozen=True, slots=True)
class Queued:
    """What ``WarRoom.act`` returns when the journal was unreachable and the events went to
    the outbox (None: written; a string: nothing written, and why)."""

    seq: int
    message: str


def describe(events: Sequence[dict[str, Any]]) -> str:
    """A short description of a batch: its kinds (the first counted) and incidents."""
    kinds = Counter(e["type"] for e in events)
    what = ", ".join(k if n == 1 else f"{k} ×{n}" for k, n in kinds.items())
    incidents = sorted({e["incident"] for e in events if e.get("incident")})
    where = f" ({', '.join(incidents[:3])}{', …' if len(incidents) > 3 else ''})" if incidents else ""
    return (what + where)[:200]


def kinds(entries: Sequence[Entry]) -> str:
    """The kinds of events in these entries, counted: ``incident.note ×2, checklist.added``."""
    count = Counter(e["type"] for entry in entries for e in entry.events)
    return ", ".join(k if n == 1 else f"{k} ×{n}" for k, n in count.most_common())


async def put(store: Store, events: Sequence[dict[str, Any]], queued_at: float, description: str = "") -> int:
    """Queue one action's events (in one row, after every row already queued); its seq."""
    row = {
        "events": orjson.dumps(list(events)).decode(),
        "queued_at": queued_at,
        "description": description or describe(events),
    }
    done = await store.write_local(
        metadata, WHAT, outbox.insert().values(row), doing="queueing in the outbox"
    )
    assert done.key is not None
    return done.key


async def entries(store: Store, *, refused: bool | None = None) -> list[Entry]:
    """The outbox in order; only those waiting (``refused=False``) or refused (True)."""
    stmt = select(outbox).order_by(outbox.c.seq)
    if refused is not None:
        stmt = stmt.where(outbox.c.refused.is_not(None) if refused else outbox.c.refused.is_(None))
    rows = await store.read_local(metadata, WHAT, stmt)
    return [
        Entry(r.seq, orjson.loads(r.events), r.queued_at, r.description, r.refused, r.refused_at)
        for r in rows
    ]


async def counts(store: Store) -> tuple[int, int]:
    """(waiting, refused): a cheap look for the status bar."""
    refused = func.count(outbox.c.refused)
    (row,) = await store.read_local(metadata, WHAT, select(func.count(), refused).select_from(outbox))
    total, bad = int(row[0]), int(row[1])
    return total - bad, bad


async def remove(store: Store, seq: int) -> None:
    """An entry sent (or found already in the journal): gone from the outbox."""
    await store.write_local(
        metadata, WHAT, delete(outbox).where(outbox.c.seq == seq), doing="updating the outbox"
    )


async def refuse(store: Store, seq: int, reason: str, at: float) -> None:
    """The journal refused this entry: keep it, with why, out of the queue."""
    stmt = update(outbox).where(outbox.c.seq == seq).values(refused=reason[:2000], refused_at=at)
    await store.write_local(metadata, WHAT, stmt, doing="updating the outbox")
