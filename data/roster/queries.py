"""The roster as the store projects it (``roster.person``, ``roster.rotation``,
``roster.override``): the read queries, as typed rows. Each takes the store and runs
through its public reads (:meth:`Store.read_rows`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

import orjson
from sqlalchemy import select

from data.engine import schema as S
from data.engine.models import parse_rfc3339, read_person_email
from data.engine.store import Store
from data.roster.rotation import Override, Rotation


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A person of the roster as projected (their latest ``roster.person``, at line ``seq``)."""

    handle: str
    name: str
    team: str
    region: str
    tz: str
    seq: int


@dataclass(frozen=True, slots=True)
class RotationRow:
    """A rotation as projected (its latest ``roster.rotation``, at line ``seq``): the
    members as written; :meth:`rotation` is the form the on-call functions read."""

    rotation: str
    team: str
    region: str
    tz: str
    days: tuple[str, ...]
    start: str  # HH:MM local
    hours: float
    members: tuple[str, ...]
    anchor: str  # YYYY-MM-DD
    turn_days: int
    seq: int

    def typed(self) -> Rotation:
        return Rotation(
            rotation=self.rotation,
            team=self.team,
            region=self.region,
            tz=self.tz,
            days=self.days,
            start=self.start,
            hours=float(self.hours),
            members=self.members,
            anchor=date.fromisoformat(self.anchor),
            turn_days=int(self.turn_days or 7),
        )


@dataclass(frozen=True, slots=True)
class OverrideRow:
    """A ``roster.override`` as projected (line ``seq``; times as written)."""

    seq: int
    rotation: str
    person: str
    start: str
    end: str
    reason: str | None
    actor: str
    ts: str

    def typed(self) -> Override:
        return Override(
            seq=self.seq,
            rotation=self.rotation,
            person=self.person,
            start=parse_rfc3339(self.start).astimezone(UTC),
            end=parse_rfc3339(self.end).astimezone(UTC),
            reason=self.reason,
        )


async def people(store: Store) -> list[PersonRow]:
    """The roster's people, by handle."""
    rows = await store.read_rows(select(S.roster_people).order_by(S.roster_people.c.handle))
    return [PersonRow(**r) for r in rows]


async def person_emails(store: Store) -> dict[str, str]:
    """handle -> e-mail, from each person's latest ``roster.person`` that gives a well
    formed one (an extension member, not projected: docs/roster.md)."""
    e = S.events.c
    stmt = select(e.raw).where(e.applied.is_(True), e.type == "roster.person").order_by(e.seq)
    out: dict[str, str] = {}
    for row in await store.read_rows(stmt):
        data = orjson.loads(row["raw"]).get("data") or {}
        handle = data.get("handle")
        if isinstance(handle, str):
            email = read_person_email(data)
            if email is None:
                out.pop(handle, None)
            else:
                out[handle] = email
    return out


async def rotations(store: Store) -> list[RotationRow]:
    """The rotations, by id."""
    rows = await store.read_rows(select(S.rotations).order_by(S.rotations.c.rotation))
    return [
        RotationRow(
            **{**r, "days": tuple(orjson.loads(r["days"])), "members": tuple(orjson.loads(r["members"]))}
        )
        for r in rows
    ]


async def overrides(store: Store) -> list[OverrideRow]:
    """The overrides, in journal order."""
    rows = await store.read_rows(select(S.overrides).order_by(S.overrides.c.seq))
    return [OverrideRow(**r) for r in rows]
