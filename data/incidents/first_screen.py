"""The console's first screen, cached beside the store (docs/performance.md, "Round two: the
console"; docs/security.md). Pure data: no Textual, no SQLAlchemy.

A console that stops (and once a minute while it runs) writes the queue it last showed, as
its actor saw it, to ``<store>.first-screen.json`` (created 0600). The next console of the
same actor, store and journal paints it at once, marked "cached", before it opens the store,
and replaces it with the store's picture and then the first sync. Only what that actor saw
is written: the active incidents of a snapshot built for them; a restricted incident they
may not see keeps only what the queue shows of it (its id, severity, category, status,
commander and clocks; no title, no item labels); titles and labels are written masked, as
the screen shows them (data/privacy/mask.py); a link's note is left out.

A cache that is missing, unreadable, not this user's own (owner, mode), written for another
actor, store or journal, or for a journal that has shrunk since (rewritten) is not shown:
:func:`read` says why and the console logs it.
"""

from __future__ import annotations

import json
import os
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from data.incidents.views import IncidentRow, Snapshot, SyncState
from data.privacy.text import clean

VERSION = 1
SUFFIX = ".first-screen.json"
#: titles and labels are written cut as the queue cuts them
TITLE_CHARS = 200


def cache_path(db: Path) -> Path:
    """Where the first screen of the console on store ``db`` is kept: beside it."""
    return db.with_name(db.name + SUFFIX)


@dataclass(frozen=True)
class Key:
    """What a cache is for: a console of ``actor`` on store ``db`` following ``journal``
    (its location), whose file is ``journal_id`` (device:inode; "" for a database journal)."""

    actor: str
    db: str
    journal: str
    journal_id: str

    @classmethod
    def of(cls, actor: str, db: Path, journal: str, journal_id: str) -> Key:
        return cls(actor, str(Path(db).resolve()), journal, journal_id)


@dataclass(frozen=True)
class Cached:
    """A first screen read back: the snapshot to paint (marked by ``sync.cached_at``)."""

    snapshot: Snapshot
    written_at: float


# --- writing ---------------------------------------------------------------------------


def _time(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _clock(c: Any, visible: bool) -> dict[str, Any] | None:
    if c is None:
        return None
    label = clean(c.label, TITLE_CHARS) if visible or not c.detail else ""
    return {
        "incident": c.incident, "kind": c.kind, "name": c.name, "label": label,
        "start": _time(c.start), "due": _time(c.due), "closed_at": _time(c.closed_at),
        "team": c.team, "basis": clean(c.basis, TITLE_CHARS) if c.basis and visible else None,
        "trigger": list(c.trigger) if c.trigger is not None and visible else None,
    }  # fmt: skip


def _link(k: Any) -> dict[str, Any]:
    return {"incident": k.incident, "other": k.other, "kind": k.kind, "actor": k.actor, "ts": k.ts,
            "seq": k.seq, "written_on": k.written_on}  # fmt: skip


def row_record(r: IncidentRow, actor: str) -> dict[str, Any]:
    """One queue row as ``actor`` sees it (see the module's text)."""
    visible = r.visible_to(actor)
    return {
        "id": r.id,
        "severity": r.severity,
        "title": clean(r.title, TITLE_CHARS) if visible else "",
        "category": r.category,
        "status": r.status,
        "commander": r.commander,
        "opened_at": _time(r.opened_at),
        "restricted": r.restricted,
        "regions": list(r.regions),
        "last_seq": r.last_seq,
        # who holds a role and who takes part decide who sees it: an outsider's copy keeps
        # the commander only (what the queue shows), so it stays closed to them
        "roles": [list(x) for x in r.roles]
        if visible
        else ([["commander", r.commander]] if r.commander else []),
        "participants": list(r.participants) if visible else [],
        "unlisted": list(r.unlisted) if visible else [],
        "clocks": [_clock(c, visible) for c in r.clocks],
        "next_clock": _clock(r.next_clock, visible),
        "floor": _clock(r.floor, visible),
        "paged": [r.paged[0], _time(r.paged[1])] if r.paged is not None else None,
        "signals_seq": r.signals_seq,
        "links": [_link(k) for k in r.links],
    }


def payload(snapshot: Snapshot, key: Key, journal_size: int, written_at: float) -> dict[str, Any]:
    """What is written: the active incidents of ``snapshot`` as ``key.actor`` saw them, and
    what the status line said of the journal (line, quarantined lines, chain breaks)."""
    s = snapshot.sync
    return {
        "version": VERSION,
        "key": {"actor": key.actor, "db": key.db, "journal": key.journal, "journal_id": key.journal_id},
        "journal_size": journal_size,
        "written_at": written_at,
        "sync": {
            "line": s.line,
            "quarantined": s.quarantined,
            "chain_breaks": s.chain_breaks,
            "first_break": s.first_break,
        },
        "rows": [row_record(r, key.actor) for r in snapshot.incidents if r.active],
    }


def write(path: Path, snapshot: Snapshot, key: Key, journal_size: int, written_at: float) -> None:
    """Write the cache, readable by its owner only (0600), in place of the last one (a
    new file renamed over it: a reader never sees half of one). Raises OSError."""
    data = json.dumps(payload(snapshot, key, journal_size, written_at), separators=(",", ":"))
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise


# --- reading ---------------------------------------------------------------------------


class NotShown(Exception):
    """Why a cache is not shown (logged, never shown to the user)."""


def _t(v: Any) -> datetime | None:
    return datetime.fromisoformat(v) if v is not None else None


def _clock_of(d: dict[str, Any] | None) -> Any:
    from data.procedures.clocks import Clock

    if d is None:
        return None
    due, start = _t(d["due"]), _t(d["start"])
    if due is None or start is None:
        raise ValueError("a clock without its times")
    trigger = d["trigger"]
    return Clock(str(d["incident"]), str(d["kind"]), str(d["name"]), str(d["label"]), start, due,
                 _t(d["closed_at"]), d["team"], d["basis"],
                 (str(trigger[0]), str(trigger[1]), trigger[2]) if trigger else None)  # fmt: skip


def _row_of(d: dict[str, Any]) -> IncidentRow:
    from data.incidents.links import LinkRow

    paged = d["paged"]
    return IncidentRow(
        id=str(d["id"]),
        severity=int(d["severity"]),
        title=str(d["title"]),
        category=str(d["category"]),
        status=str(d["status"]),
        commander=d["commander"],
        opened_at=_t(d["opened_at"]),
        restricted=bool(d["restricted"]),
        regions=tuple(str(x) for x in d["regions"]),
        last_seq=int(d["last_seq"]),
        roles=tuple((str(a), str(b)) for a, b in d["roles"]),
        clocks=tuple(_clock_of(c) for c in d["clocks"]),
        next_clock=_clock_of(d["next_clock"]),
        participants=tuple(str(x) for x in d["participants"]),
        unlisted=tuple(str(x) for x in d["unlisted"]),
        floor=_clock_of(d["floor"]),
        paged=(paged[0], _t(paged[1])) if paged is not None else None,  # type: ignore[arg-type]
        signals_seq=int(d["signals_seq"]),
        links=tuple(
            LinkRow(
                str(k["incident"]),
                str(k["other"]),
                str(k["kind"]),
                None,
                str(k["actor"]),
                str(k["ts"]),
                int(k["seq"]),
                str(k["written_on"]),
            )
            for k in d["links"]
        ),
    )


def read(path: Path, key: Key, journal_size: int | None) -> Cached:
    """The cached first screen for ``key``, marked cached (``SyncState.cached_at``).
    ``journal_size``: the journal file's size now (None: not a file). Raises
    :class:`NotShown` saying why it is not to be shown."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError as exc:
        raise NotShown("no cached first screen") from exc
    except OSError as exc:
        raise NotShown(f"cannot open {path}: {exc}") from exc
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_uid != os.getuid() or st.st_mode & 0o077:
            raise NotShown(f"{path} is not this user's own (owner {st.st_uid}, mode {st.st_mode & 0o777:o})")
        raw = f.read()
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise NotShown("another version of the cache")
        if data["key"] != {
            "actor": key.actor,
            "db": key.db,
            "journal": key.journal,
            "journal_id": key.journal_id,
        }:
            raise NotShown("written for another actor, store or journal")
        if journal_size is not None and journal_size < int(data["journal_size"]):
            raise NotShown("the journal is shorter than when it was written (rewritten)")
        sync = data["sync"]
        written_at = float(data["written_at"])
        state = SyncState(
            journal=key.journal,
            line=int(sync["line"]),
            quarantined=int(sync["quarantined"]),
            chain_breaks=int(sync["chain_breaks"]),
            first_break=sync["first_break"],
            cached_at=written_at,
        )
        rows = tuple(_row_of(d) for d in data["rows"])
    except NotShown:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise NotShown(f"unreadable: {type(exc).__name__}: {exc}") from exc
    return Cached(Snapshot(rows, state), written_at)
