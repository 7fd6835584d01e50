"""An incident's decisions as the store projects them (``decision.recorded``, docs/decisions.md):
the read query, as typed rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select

from data.engine import schema as S
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
    store: Store, incident: str | None = None, *, since: str | None = None, until: str | None = None
) -> list[DecisionRow]:
    """The decisions of ``incident`` (every incident's when None), in journal order; with
    ``since``/``until`` (RFC 3339 UTC text, as the journal's ``ts``) only those recorded in
    ``[since, until)``, compared as instants."""
    from data.engine.models import parse_rfc3339

    d = S.decisions
    stmt = select(d).order_by(d.c.seq)
    if incident is not None:
        stmt = stmt.where(d.c.incident == incident)
    out = [_row(dict(r)) for r in await store.read_rows(stmt)]
    if since is None and until is None:
        return out
    lo = parse_rfc3339(since) if since else None
    hi = parse_rfc3339(until) if until else None
    return [
        r
        for r in out
        if (lo is None or parse_rfc3339(r.ts) >= lo) and (hi is None or parse_rfc3339(r.ts) < hi)
    ]


def next_id(rows: list[DecisionRow]) -> str:
    """The id the console gives the next decision of an incident: ``D-<n>``, one past the
    highest ``D-<n>`` there is (ids written otherwise are skipped)."""
    highest = 0
    for r in rows:
        head, _, number = r.decision.partition("-")
        if head == "D" and number.isdigit():
            highest = max(highest, int(number))
    return f"D-{highest + 1}"
