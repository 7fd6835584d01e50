"""Preservation holds: obligations with an end (docs/sop.md, "Preservation holds").

A hold is a checklist item with ``hold`` (an extension member of ``checklist.added``): an
NCMEC report's contents kept a year after it is filed (18 U.S.C. 2258A(h)), an account
preserved 90 days on a law-enforcement request, once extended by 90 more (2703(f)),
removed terrorist content kept 6 months (TCO Art. 6). Its due time is when it ends; it is
released by ticking it done. A hold outlives its incident: closed incidents' holds are
listed too. This module turns the store's hold items into rows for the console's holds
view, ``warroom holds`` and the handoff (pure; ``data.incidents.views.load_holds`` reads them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from data.procedures.clocks import Clock, clock_state, hold_stage, item_clock, time_or_none

#: the handoff's external state lists the holds ending within this (domain notes)
SOON = timedelta(days=7)


@dataclass(frozen=True)
class HoldRow:
    """One preservation hold as people read it."""

    incident: str
    item: str
    text: str
    basis: str | None
    ref: str | None
    trigger: str | None  # the trigger kind that started it
    started: datetime | None
    ends: datetime
    state: str  # ok, at_risk (ends within 30 days), overdue (ended, not released), met, missed
    stage: str | None  # the reminder due: "30d", "7d", "ended", or None
    released_at: datetime | None
    released_by: str | None
    extended: bool  # its end was moved (checklist.retimed)
    clock: Clock
    #: whether the one who asked may see its incident's details (need-to-know)
    visible: bool = True
    severity: int | None = None  # its incident's

    @property
    def open(self) -> bool:
        return self.released_at is None

    def as_json(self) -> dict[str, Any]:
        """What ``warroom holds --json`` prints (``what``, ``basis`` and ``ref`` null for one
        who may not see the incident's details)."""
        visible = self.visible
        return {
            "incident": self.incident,
            "severity": self.severity,
            "item": self.item,
            "what": self.text if visible else None,
            "basis": self.basis if visible else None,
            "ref": self.ref if visible else None,
            "trigger": self.trigger,
            "started": _utc(self.started),
            "ends": _utc(self.ends),
            "state": self.state,
            "reminder": self.stage,
            "released_at": _utc(self.released_at),
            "extended": self.extended,
        }


def _utc(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t is not None else None


def hold_rows(items: Iterable[Any], retimed: Mapping[tuple[str, str], bool], now: datetime) -> list[HoldRow]:
    """The holds of ``items`` (store rows with ``hold``: ``data.incidents.queries.ItemRow``),
    open ones first by end, then released ones; ``retimed``: (incident, item) of the holds
    whose end was moved."""
    out: list[HoldRow] = []
    for r in items:
        due = time_or_none(r.due)
        if not r.hold or due is None:
            continue
        trigger = (r.trigger_kind, r.trigger_at, r.trigger_ref) if r.trigger_kind and r.trigger_at else None
        closed = r.state in ("done", "skipped")
        released_at = time_or_none(r.state_at) if closed else None
        c = item_clock(r.incident, r.item, r.text, due, time_or_none(r.added_at), r.state, released_at, r.team,
                       r.basis, trigger, hold=True)  # fmt: skip
        assert c is not None
        out.append(
            HoldRow(
                incident=r.incident, item=r.item, text=r.text, basis=r.basis, ref=r.trigger_ref,
                trigger=r.trigger_kind, started=time_or_none(r.trigger_at) or time_or_none(r.added_at), ends=due,
                state=clock_state(c, now), stage=hold_stage(c, now),
                released_at=(released_at or due) if closed else None,
                released_by=r.state_by if closed else None,
                extended=retimed.get((r.incident, r.item), False), clock=c,
            )
        )  # fmt: skip
    out.sort(key=lambda h: (not h.open, h.ends, h.incident, h.item))
    return out


def ending_soon(holds: Iterable[HoldRow], now: datetime, within: timedelta = SOON) -> list[HoldRow]:
    """The open holds that end within ``within`` (or have ended and are not released)."""
    return [h for h in holds if h.open and h.ends - now <= within]
