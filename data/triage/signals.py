"""Signals as triage reads them (docs/intake.md, "Triage"): typed rows of the store's
``signals`` table, the queries that read them, and which of them wait for triage.

A signal waits when it is ``untriaged`` (never triaged, or reopened), or ``snoozed`` and
its ``until`` has passed: it comes back by itself, with no event written. A repeat (the
channel and reference of an earlier signal) never waits: it is counted on the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from data.engine.lazy import lazy
from data.engine.models import utc_time

if TYPE_CHECKING:
    from sqlalchemy import select

    from data.engine import schema as S
else:
    S = lazy("data.engine.schema")  # (SQLAlchemy: imported when first used)
    _sa = lazy("sqlalchemy")

    def select(*args: Any, **kw: Any) -> Any:
        return _sa.select(*args, **kw)


#: the statuses a waiting signal may have (a snoozed one once its time has come)
OPEN_STATUSES = ("untriaged", "snoozed")
#: the columns a row is read from (the payload stays in the store: data/intake/signals.py)
_COLUMNS = (
    "signal", "channel", "ref", "received_at", "title", "body", "body_truncated", "reporter", "accounts",
    "urls", "attachments", "raw_type", "raw_size", "raw_sha256", "repeats", "last_received_at", "status",
    "incident", "duplicate_of", "reason", "until", "triaged_by", "triaged_at", "triaged_seq", "seq",
)  # fmt: skip


def _strings(text: str) -> tuple[str, ...]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return ()
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _attachments(text: str) -> tuple[tuple[str, str, int], ...]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return ()
    if not isinstance(value, list):
        return ()
    return tuple(
        (str(a.get("name", "")), str(a.get("type", "")), int(a.get("size", 0)))
        for a in value
        if isinstance(a, dict) and isinstance(a.get("size", 0), int)
    )


@dataclass(frozen=True)
class SignalRow:
    """One signal (not a repeat) as triage shows it. Texts are untrusted: shown through
    ``data.privacy.text.clean`` (masked, controls replaced), never as markup."""

    signal: str
    channel: str
    ref: str | None
    received_at: datetime | None
    title: str
    body: str
    body_truncated: bool
    reporter: str | None
    accounts: tuple[str, ...]
    urls: tuple[str, ...]
    attachments: tuple[tuple[str, str, int], ...]  # (name, type, size): listed, never stored
    raw_type: str
    raw_size: int
    raw_sha256: str
    repeats: int
    last_received_at: datetime | None
    status: str  # untriaged, or the latest outcome (promoted, attached, duplicate, dismissed, snoozed)
    incident: str | None
    duplicate_of: str | None
    reason: str | None
    until: datetime | None
    triaged_by: str | None
    triaged_at: datetime | None
    triaged_seq: int | None
    seq: int

    @classmethod
    def of(cls, r: Sequence[Any]) -> SignalRow:
        v = dict(zip(_COLUMNS, r, strict=True))
        return cls(
            signal=v["signal"], channel=v["channel"], ref=v["ref"], received_at=utc_time(v["received_at"]),
            title=v["title"], body=v["body"], body_truncated=bool(v["body_truncated"]), reporter=v["reporter"],
            accounts=_strings(v["accounts"]), urls=_strings(v["urls"]), attachments=_attachments(v["attachments"]),
            raw_type=v["raw_type"], raw_size=v["raw_size"], raw_sha256=v["raw_sha256"], repeats=v["repeats"],
            last_received_at=utc_time(v["last_received_at"]), status=v["status"], incident=v["incident"],
            duplicate_of=v["duplicate_of"], reason=v["reason"], until=utc_time(v["until"]),
            triaged_by=v["triaged_by"], triaged_at=utc_time(v["triaged_at"]), triaged_seq=v["triaged_seq"],
            seq=v["seq"],
        )  # fmt: skip

    def waits(self, now: datetime) -> bool:
        """Whether it waits for triage at ``now`` (a snooze over: it is back)."""
        if self.status == "untriaged":
            return True
        return self.status == "snoozed" and (self.until is None or self.until <= now)

    @property
    def sort_key(self) -> tuple[datetime, int]:
        """Newest first (by when it was received, then by journal line), as a descending key."""
        return (self.received_at or datetime.min.replace(tzinfo=UTC), self.seq)


def waiting(rows: Sequence[SignalRow], now: datetime) -> list[SignalRow]:
    """The signals that wait for triage at ``now``, newest first."""
    return sorted((r for r in rows if r.waits(now)), key=lambda r: r.sort_key, reverse=True)


def _select() -> Any:
    c = S.signals.c
    return select(*(getattr(c, name) for name in _COLUMNS)).where(c.repeat_of.is_(None))


async def open_signals(store: Any) -> tuple[SignalRow, ...]:
    """The signals that wait or will (untriaged, or snoozed): what the snapshot carries, so
    that a snooze ends on the screen's clock with no query (:func:`waiting`)."""
    c = S.signals.c
    stmt = _select().where(c.status.in_(OPEN_STATUSES))
    return tuple(SignalRow.of(r) for r in await store.read_tuples(stmt))


async def all_signals(store: Any, limit: int = 1000) -> list[SignalRow]:
    """Every signal but the repeats, triaged or not, the most recently received first (the
    last ``limit``)."""
    c = S.signals.c
    stmt = _select().order_by(c.received_at.desc(), c.seq.desc()).limit(limit)
    return [SignalRow.of(r) for r in await store.read_tuples(stmt)]


async def signal(store: Any, signal_id: str) -> SignalRow | None:
    rows = await store.read_tuples(_select().where(S.signals.c.signal == signal_id))
    return SignalRow.of(rows[0]) if rows else None


async def incident_signals(store: Any, incident: str) -> list[SignalRow]:
    """The signals promoted into or attached to ``incident``, in the order triaged."""
    c = S.signals.c
    stmt = _select().where(c.incident == incident, c.status.in_(("promoted", "attached")))
    return sorted((SignalRow.of(r) for r in await store.read_tuples(stmt)), key=lambda r: r.triaged_seq or 0)


async def incident_signal_seqs(store: Any) -> dict[str, int]:
    """Incident -> the line of the latest triage that promoted or attached a signal into it
    (its timeline changes with it; the incident's own ``last_seq`` does not)."""
    from sqlalchemy import func

    c = S.signals.c
    stmt = (
        select(c.incident, func.max(c.triaged_seq))
        .where(c.incident.is_not(None), c.status.in_(("promoted", "attached")))
        .group_by(c.incident)
    )
    return {inc: int(seq or 0) for inc, seq in await store.read_tuples(stmt)}


async def triaged_between(store: Any, since: datetime, until: datetime) -> list[str]:
    """The latest outcome of each signal whose latest triage is from ``since`` to ``until``
    (the handoff's "triaged this shift")."""
    c = S.signals.c
    rows = await store.read_tuples(select(c.status, c.triaged_at).where(c.triaged_at.is_not(None)))
    out = []
    for status, at in rows:
        t = utc_time(at)
        if t is not None and since <= t <= until and status not in ("untriaged", "repeat"):
            out.append(status)
    return out
