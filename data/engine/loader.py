"""The projector's window on committed state, through plain SQL (no SQLAlchemy import, so
the pipeline worker starts fast)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

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
