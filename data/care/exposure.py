"""The exposure counters' table in the console's local store (docs/wellbeing.md).

Not part of the journal's projection: the table has its own :data:`metadata`, created with
``checkfirst`` on first use, so ``Store.rebuild`` (which clears ``schema.PROJECTED``), the
digest (which reads ``schema.PROJECTED``) and the schema migration (which drops and
recreates ``schema.metadata``) never touch it. One row per segment (one uninterrupted view
of one sensitive incident's detail): the actor, the incident id, its category, when the
view began and its seconds. Counts and durations: never a title or any content.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Column, Float, Index, MetaData, String, Table, delete, select
from sqlalchemy.dialects.sqlite import insert

from data.care.wellbeing import SENSITIVE, Exposure, Segment, summarize
from data.engine.store import Store

#: its own MetaData: ``Store._migrate_sync`` drops and recreates only ``schema.metadata``
metadata = MetaData()

exposure = Table(
    "wellbeing_exposure",
    metadata,
    Column("segment", String(40), primary_key=True),  # a random id of one view
    Column("actor", String, nullable=False),
    Column("incident", String(32), nullable=False),
    Column("category", String, nullable=False),
    Column("started_at", Float, nullable=False),  # UTC epoch seconds
    Column("seconds", Float, nullable=False),
)
Index("wellbeing_exposure_actor", exposure.c.actor, exposure.c.started_at)


WHAT = "the exposure counters"


async def record(store: Store, actor: str, segments: Sequence[Segment]) -> None:
    """Write these segments' seconds (an upsert: writing one again replaces its seconds)."""
    if not segments:
        return
    rows = [
        {
            "segment": s.key,
            "actor": actor,
            "incident": s.incident,
            "category": s.category,
            "started_at": s.started.timestamp(),
            "seconds": round(s.seconds, 3),
        }
        for s in segments
    ]
    stmt = insert(exposure)
    stmt = stmt.on_conflict_do_update(index_elements=["segment"], set_={"seconds": stmt.excluded.seconds})
    await store.write_local(metadata, WHAT, stmt, rows)


async def stored(store: Store, actor: str, since: datetime, until: datetime | None = None) -> list[Segment]:
    """The actor's segments that began from ``since`` (to ``until``), oldest first."""
    c = exposure.c
    stmt = select(c.segment, c.incident, c.category, c.started_at, c.seconds).where(
        c.actor == actor, c.started_at >= since.timestamp()
    )
    if until is not None:
        stmt = stmt.where(c.started_at <= until.timestamp())
    rows = await store.read_local(metadata, WHAT, stmt.order_by(c.started_at))
    return [
        Segment(
            r.segment, r.incident, r.category, datetime.fromtimestamp(r.started_at, UTC), r.seconds, r.seconds
        )
        for r in rows
    ]


async def prune(store: Store, before: datetime) -> int:
    """Delete every segment that began before ``before``; how many."""
    done = await store.write_local(
        metadata, WHAT, delete(exposure).where(exposure.c.started_at < before.timestamp())
    )
    return done.rows


async def exposure_for(
    store: Store, actor: str, since: datetime, until: datetime, categories: Sequence[str] = SENSITIVE
) -> Exposure:
    """The exposure the store holds for ``actor`` in the shift from ``since``."""
    return summarize(actor, since, await stored(store, actor, since, until), categories)
