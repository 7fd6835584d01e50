"""The projector's window on committed state, through plain SQL (no SQLAlchemy import, so
the pipeline worker starts fast)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from data.engine.models import Envelope, Problem
from data.engine.projector import (
    DECISION_COLUMNS,
    INCIDENT_COLUMNS,
    ITEM_COLUMNS,
    PM_ACTION_COLUMNS,
    RESPONSE_COLUMNS,
    SIGNAL_COLUMNS,
    Decision,
    Incident,
    Item,
    PmAction,
    Projector,
    Response,
    Signal,
)

_ID_CHUNK = 900


class SqlLoader:
    """The projector's window on committed state, through any DB-API style ``execute``
    (SQLAlchemy's ``exec_driver_sql`` in the store, plain sqlite3 in a pipeline worker)."""

    _INCIDENT = f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incidents WHERE id = ?"
    _OPEN_ROLES = (
        "SELECT role, person, start_seq, start_ts, start_actor FROM role_history "
        "WHERE incident = ? AND end_seq IS NULL"
    )
    _ITEM = f"SELECT {', '.join(ITEM_COLUMNS)} FROM checklist WHERE incident = ? AND item = ?"
    _PM_ACTION = (
        f"SELECT {', '.join(PM_ACTION_COLUMNS)} FROM postmortem_actions WHERE incident = ? AND action = ?"
    )
    _DECISION = f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions WHERE incident = ? AND decision = ?"
    _RESPONSE = f"SELECT {', '.join(RESPONSE_COLUMNS)} FROM responses WHERE incident = ? AND response = ?"
    _SIGNAL = f"SELECT {', '.join(SIGNAL_COLUMNS)} FROM signals WHERE signal = ?"
    _SIGNAL_BY_REF = (
        f"SELECT {', '.join(SIGNAL_COLUMNS)} FROM signals WHERE channel = ? AND ref = ? AND repeat_of IS NULL "
        "ORDER BY seq LIMIT 1"
    )
    _SIGNAL_PARTS = "SELECT part FROM signal_parts WHERE signal = ?"
    _EVENT_INCIDENT = "SELECT incident FROM events WHERE id = ? AND applied"
    _LINKS = "SELECT incident, other, kind FROM incident_links WHERE low = ? OR high = ?"

    def __init__(self, execute: Callable[[str, tuple[Any, ...]], Any]) -> None:
        self.execute = execute

    def incident(self, incident_id: str) -> Incident | None:
        row = next(iter(self.execute(self._INCIDENT, (incident_id,))), None)
        if row is None:
            return None
        values = dict(zip(INCIDENT_COLUMNS, row, strict=True))
        values["regions"] = orjson.loads(values["regions"])
        values["roles"] = orjson.loads(values["roles"])
        values["participants"] = orjson.loads(values["participants"])
        values["restricted"] = bool(values["restricted"])
        open_roles = {
            role: (person, seq, ts, actor)
            for role, person, seq, ts, actor in self.execute(self._OPEN_ROLES, (incident_id,))
        }
        return Incident(**values, open_roles=open_roles)

    def item(self, incident_id: str, item: str) -> Item | None:
        row = next(iter(self.execute(self._ITEM, (incident_id, item))), None)
        return None if row is None else Item(*row)

    def pm_action(self, incident_id: str, action: str) -> PmAction | None:
        row = next(iter(self.execute(self._PM_ACTION, (incident_id, action))), None)
        return None if row is None else PmAction(*row)

    def decision(self, incident_id: str, decision: str) -> Decision | None:
        row = next(iter(self.execute(self._DECISION, (incident_id, decision))), None)
        if row is None:
            return None
        values = dict(zip(DECISION_COLUMNS, row, strict=True))
        values["reversible"] = bool(values["reversible"])
        return Decision(**values)

    def response(self, incident_id: str, response: str) -> Response | None:
        row = next(iter(self.execute(self._RESPONSE, (incident_id, response))), None)
        if row is None:
            return None
        values = list(row)
        values[RESPONSE_COLUMNS.index("approved")] = bool(values[RESPONSE_COLUMNS.index("approved")])
        return Response(*values)

    def signal(self, signal: str) -> Signal | None:
        return _signal(next(iter(self.execute(self._SIGNAL, (signal,))), None))

    def signal_by_ref(self, channel: str, ref: str) -> Signal | None:
        return _signal(next(iter(self.execute(self._SIGNAL_BY_REF, (channel, ref))), None))

    def signal_parts(self, signal: str) -> set[int]:
        return {r[0] for r in self.execute(self._SIGNAL_PARTS, (signal,))}

    def event_incident(self, event_id: str) -> str | None:
        row = next(iter(self.execute(self._EVENT_INCIDENT, (event_id,))), None)
        return None if row is None else row[0]

    def links(self, incident_id: str) -> list[tuple[str, str, str]]:
        return [(a, b, k) for a, b, k in self.execute(self._LINKS, (incident_id, incident_id))]

    def seen_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), _ID_CHUNK):
            part = tuple(ids[i : i + _ID_CHUNK])
            marks = ",".join("?" * len(part))
            found.update(r[0] for r in self.execute(f"SELECT id FROM events WHERE id IN ({marks})", part))
        return found


def _signal(row: Any) -> Signal | None:
    if row is None:
        return None
    values = list(row)
    values[_TRUNCATED] = bool(values[_TRUNCATED])
    return Signal(*values)


_TRUNCATED = SIGNAL_COLUMNS.index("body_truncated")


def check_events(
    execute: Callable[[str, tuple[Any, ...]], Any],
    events: Sequence[Envelope],
    given: Sequence[dict[str, Any]],
) -> tuple[list[Problem], set[int]]:
    """What a reader would quarantine among ``events`` appended now (the projector's
    check), and which of them are in the journal already, the same (by index: a retry,
    skipped rather than refused); an id already there for another event, or twice in the
    batch, is refused. ``execute`` runs plain SQL on the store (the Store's connection or
    sqlite3's: data/engine/ingest.py, data/engine/direct.py)."""
    loader = SqlLoader(execute)
    problems = Projector(loader, authoritative=False).check(events)
    seen = loader.seen_ids([e.id for e in events])
    stored = _stored_lines(execute, seen) if seen else {}
    same: set[int] = set()
    dup_in_batch: set[str] = set()
    for n, e in enumerate(events):
        if e.id in dup_in_batch:
            message = f"id {e.id} appears twice in this batch"
            problems.append(Problem(index=n, event=e.id, field=("id",), message=message))
        elif e.id in seen:
            if _same_event(given[n], stored.get(e.id)):
                same.add(n)
            else:
                message = f"id {e.id} is already in the journal, for another event"
                problems.append(Problem(index=n, event=e.id, field=("id",), message=message))
        dup_in_batch.add(e.id)
    return sorted(problems, key=lambda p: (p.index, p.message)), same


def _stored_lines(execute: Callable[[str, tuple[Any, ...]], Any], ids: set[str]) -> dict[str, bytes]:
    """The lines in the journal of these applied or unknown events, by id."""
    out: dict[str, bytes] = {}
    part = list(ids)
    for i in range(0, len(part), _ID_CHUNK):
        chunk = part[i : i + _ID_CHUNK]
        sql = f"SELECT id, raw FROM events WHERE id IN ({','.join('?' * len(chunk))})"
        for eid, raw in execute(sql, tuple(chunk)):
            out.setdefault(eid, bytes(raw))
    return out


#: members that may differ between two writes of the same event: when it was written
#: (``ts`` is filled in at each try when the caller gave none) and the writer's own
_NOT_COMPARED = ("ts", "prev", "batch")


def _same_event(event: dict[str, Any], raw: bytes | None) -> bool:
    """Whether the journal's line ``raw`` holds ``event`` (every member but ``ts``)."""
    if raw is None:
        return False
    try:
        stored = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(stored, dict):
        return False
    mine = {k: v for k, v in event.items() if k not in _NOT_COMPARED}
    return {k: v for k, v in stored.items() if k not in _NOT_COMPARED} == mine
