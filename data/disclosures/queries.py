"""Responses and disclosures as the store projects them, as typed rows."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import select

from data.engine import schema as S
from data.engine.projector import RESPONSE_COLUMNS, Response
from data.engine.store import Store

#: a response as read: the projector's own frozen type
ResponseRow = Response


@dataclass(frozen=True, slots=True)
class DisclosureRow:
    """One ``disclosure.recorded`` (line ``seq``)."""

    seq: int
    id: str
    incident: str
    categories: tuple[str, ...]
    account: str
    agency: str
    agency_type: str
    country: str
    basis: str
    approved_by: tuple[str, ...]
    response: str | None
    actor: str
    ts: str


async def responses(store: Store, incident: str | None = None) -> tuple[ResponseRow, ...]:
    """The responses (of ``incident``), in the order they were first drafted."""
    t = S.responses
    stmt = select(*(t.c[c] for c in RESPONSE_COLUMNS))
    if incident is not None:
        stmt = stmt.where(t.c.incident == incident)
    rows = await store.read_tuples(stmt.order_by(t.c.incident, t.c.drafted_seq))
    out = []
    for row in rows:
        values = list(row)
        values[RESPONSE_COLUMNS.index("approved")] = bool(values[RESPONSE_COLUMNS.index("approved")])
        out.append(Response(*values))
    return tuple(out)


async def disclosures(store: Store, incident: str | None = None) -> tuple[DisclosureRow, ...]:
    """The ledger (of ``incident``), in journal order."""
    t = S.disclosures
    stmt = select(t)
    if incident is not None:
        stmt = stmt.where(t.c.incident == incident)
    rows = await store.read_rows(stmt.order_by(t.c.seq))
    return tuple(
        DisclosureRow(
            **{
                **dict(r),
                "categories": tuple(orjson.loads(r["categories"])),
                "approved_by": tuple(orjson.loads(r["approved_by"])),
            }
        )
        for r in rows
    )


async def fill_values(store: Store, incident: str, *, agency: str, ref: str | None, responder: str,
                      now: str) -> dict[str, str] | None:  # fmt: skip
    """The placeholders' values for a draft about ``incident`` (None: no such incident).
    ``ref`` not given: the ``ref`` of the incident's latest ``incident.action`` that has one."""
    found = await store.incidents(incident)
    if not found:
        return None
    inc = found[0]
    if ref is None:
        t = S.events
        raws = await store.read_tuples(
            select(t.c.raw)
            .where(t.c.incident == incident, t.c.type == "incident.action")
            .order_by(t.c.seq.desc())
        )
        for (raw,) in raws:
            data = orjson.loads(raw).get("data") or {}
            if isinstance(data.get("ref"), str):
                ref = data["ref"]
                break
    return {
        "incident": inc.id, "title": inc.title, "opened_at": inc.opened_at, "ref": ref or "",
        "agency": agency, "now": now, "responder": responder,
    }  # fmt: skip
