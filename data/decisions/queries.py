"""An incident's decisions as the store projects them (``decision.recorded``, docs/decisions.md):
the read query, as typed rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select

from data.engine import schema as S
from data.engine.models import parse_rfc3339
from data.engine.store import Store


@dataclass(frozen=True, slots=True)
class Approver:
    """Who approved a decision, and in what role (an incident role or a team)."""

    person: str
    role: str


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One recorded decision (line ``seq``): ``superseded_by`` is the id of the later
    decision that supersedes it (None: in force)."""

    incident: str
    decision: str
    text: str
    options: tuple[str, ...]
    rationale: str
    approvers: tuple[Approver, ...]
    basis: str | None
    reversible: bool
    supersedes: str | None
    superseded_by: str | None
    seq: int
    event: str
    actor: str
    ts: str

    @property
    def at(self) -> datetime:
        """``ts`` as a time (UTC)."""
        return parse_rfc3339(self.ts).astimezone(UTC)

    @property
    def superseded(self) -> bool:
        return self.superseded_by is not None

    @property
    def approved_by(self) -> str:
        """``amara (legal), ben (commander)``."""
        return ", ".join(f"{a.person} ({a.role})" for a in self.approvers)


def _row(r: dict[str, Any]) -> DecisionRow:
    approvers = tuple(Approver(str(a["person"]), str(a["role"])) for a in orjson.loads(r["approvers"]))
    return DecisionRow(
        **{**r, "options": tuple(orjson.loads(r["options"])), "approvers": approvers,
           "reversible": bool(r["reversible"])}
    )  # fmt: skip


async def decisions(
    store: Store,
    incident: str | None = None,
    *,
    after_seq: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[DecisionRow]:
    """The decisions of ``incident`` (every incident's when None), in journal order; with
    ``after_seq`` only those after that line, with ``since``/``until`` only those whose
    ``ts`` is in ``[since, until]`` (compared as instants)."""
    d = S.decisions
    stmt = select(d).order_by(d.c.seq)
    if incident is not None:
        stmt = stmt.where(d.c.incident == incident)
    if after_seq is not None:
        stmt = stmt.where(d.c.seq > after_seq)
    out = [_row(dict(r)) for r in await store.read_rows(stmt)]
    if since is None and until is None:
        return out
    return [r for r in out if (since is None or since <= r.at) and (until is None or r.at <= until)]


def next_id(rows: list[DecisionRow]) -> str:
    """The id the console gives the next decision of an incident: ``D-<n>``, one past the
    highest ``D-<n>`` there is (ids written otherwise are skipped)."""
    highest = 0
    for r in rows:
        head, _, number = r.decision.partition("-")
        if head == "D" and number.isdigit():
            highest = max(highest, int(number))
    return f"D-{highest + 1}"
