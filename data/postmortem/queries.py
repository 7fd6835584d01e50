"""An incident's post-mortem as the store projects it (``postmortem.*``): the read query,
as typed rows, in one connection (:meth:`Store.read`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from data.engine import schema as S
from data.engine.projector import PmAction
from data.engine.store import Store


@dataclass(frozen=True, slots=True)
class StatusRow:
    """The post-mortem's latest ``postmortem.status_set``."""

    incident: str
    status: str
    reason: str | None
    actor: str
    ts: str
    seq: int


@dataclass(frozen=True, slots=True)
class SectionRow:
    """A section's latest text (``postmortem.section_set``)."""

    incident: str
    section: str
    text: str
    actor: str
    ts: str
    seq: int


@dataclass(frozen=True, slots=True)
class MeetingRow:
    """A ``postmortem.meeting`` (line ``seq``)."""

    seq: int
    incident: str
    at: str
    attendees: tuple[str, ...]
    note: str | None
    actor: str
    ts: str


@dataclass(frozen=True, slots=True)
class PostmortemRows:
    """An incident's post-mortem rows: ``status`` (None: never set), ``sections`` (by
    name), ``actions`` (in the order added), ``pins`` (event id -> pinned) and
    ``meetings`` (in journal order)."""

    status: StatusRow | None = None
    sections: dict[str, SectionRow] = field(default_factory=dict)
    actions: tuple[PmAction, ...] = ()
    pins: dict[str, bool] = field(default_factory=dict)
    meetings: tuple[MeetingRow, ...] = ()


async def postmortem(store: Store, incident: str) -> PostmortemRows:
    """The post-mortem rows of ``incident``, read in one connection."""

    async def read(conn: AsyncConnection) -> PostmortemRows:
        async def rows(table: Table, order: str) -> list[dict[str, Any]]:
            stmt = select(table).where(table.c.incident == incident).order_by(table.c[order])
            return [dict(r) for r in (await conn.execute(stmt)).mappings()]

        status = await rows(S.postmortem_status, "seq")
        sections = await rows(S.postmortem_sections, "seq")
        actions = await rows(S.postmortem_actions, "added_seq")
        pins = await rows(S.postmortem_pins, "seq")
        meetings = await rows(S.postmortem_meetings, "seq")
        return PostmortemRows(
            status=StatusRow(**status[0]) if status else None,
            sections={r["section"]: SectionRow(**r) for r in sections},
            actions=tuple(PmAction(**r) for r in actions),
            pins={r["event"]: bool(r["pinned"]) for r in pins},
            meetings=tuple(
                MeetingRow(**{**m, "attendees": tuple(orjson.loads(m["attendees"]))}) for m in meetings
            ),
        )

    return await store.read(read)
