"""Exports of the projected state as JSON or CSV (values as the journal holds them, user
identifiers masked; CSV cells that are lists or objects are flattened readably).

CSV is made to open cleanly in a spreadsheet (RFC 4180: CRLF line ends, fields quoted when
they hold a comma, a quote or a line break). Journal text is untrusted, so a text cell that
a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return) is prefixed with a single quote (OWASP's advice against CSV injection);
JSON keeps every other value exact. Control characters never reach a terminal that shows
an export (docs/security.md, "Exports and control characters"): JSON writes every C0 and C1
control and bidi control as a ``\\uXXXX`` escape (it parses back to the same text); CSV
writes them as visible escapes (``\\x1b``, ``\\u202e``: ``data.privacy.text.visible_escape``),
keeping line breaks and tabs inside a cell, unless ``raw=True`` (``--raw-text``). User
identifiers in text are masked
(docs/privacy.md) unless the export is an audited ``--unmasked`` one. ``bom=True`` starts the text with a UTF-8 byte-order
mark, which Excel needs to read UTF-8 (the command line writes one to files, not to
standard output: docs/trends.md, "CSV in a spreadsheet").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import IO, Any

from data.engine.store import Store
from data.incidents import queries
from data.incidents.describe import describe
from data.privacy.mask import mask_value
from data.privacy.text import escaping, json_safe_dumps, masking, visible_escape

KINDS = ("incidents", "timeline", "checklist", "quarantine", "decisions")

INCIDENT_FIELDS = [
    "id", "title", "category", "severity", "status", "source", "regions", "roles",
    "participants", "restricted", "withheld", "summary", "detected_at", "opened_at", "opened_by", "acknowledged_at",
    "contained_at", "resolved_at", "closed_at", "updated_at", "events", "links",
]  # fmt: skip
TIMELINE_FIELDS = ["seq", "ts", "actor", "incident", "type", "text", "id", "data"]
CHECKLIST_FIELDS = [
    "incident", "item", "text", "team", "due", "state", "note", "state_by", "state_at",
    "basis", "template", "added_by", "added_at",
]  # fmt: skip
QUARANTINE_FIELDS = ["line", "reason", "raw", "size", "offset"]
#: a decision's approvers as ``person:role`` (docs/decisions.md)
DECISION_FIELDS = [
    "incident", "decision", "ts", "actor", "text", "options", "rationale", "approvers", "basis",
    "reversible", "supersedes", "superseded_by", "event",
]  # fmt: skip


def raw_text(raw: bytes) -> str:
    """A quarantined line as text: UTF-8 where it is, other bytes escaped as \\xNN."""
    return raw.decode("utf-8", errors="backslashreplace")


#: what an export withholds of a restricted incident from an actor who is neither a role
#: holder nor a participant (null in JSON, an empty cell in CSV): need-to-know, as on the
#: screens (docs/observer.md, "Need-to-know")
WITHHELD_FIELDS = {
    "incidents": ("title", "summary"),
    "timeline": ("text", "data"),
    "checklist": ("text", "note", "basis"),
    "quarantine": ("raw",),
    "decisions": ("text", "options", "rationale", "basis"),
}


async def hidden_incidents(store: Store, actor: str | None) -> set[str]:
    """The incidents whose details ``actor`` may not see (none when ``actor`` is None:
    an internal, unrestricted read)."""
    if actor is None:
        return set()
    from data.incidents.views import may_see

    return {r.id for r in await store.incidents() if not may_see(r, actor)}


def _quarantined_incident(raw: bytes) -> str | None:
    """The ``incident`` a quarantined line names, if it is a JSON object that names one."""
    import orjson

    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    value = obj.get("incident") if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


def _plain(value: Any) -> Any:
    """A field of a store row as the exports write it: its tuples as lists."""
    return list(value) if isinstance(value, tuple) else value


async def rows(
    store: Store, kind: str, incident: str | None = None, actor: str | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of one export. With ``actor``, the details of restricted
    incidents ``actor`` may not see are withheld (:data:`WITHHELD_FIELDS`)."""
    hidden = await hidden_incidents(store, actor)
    if kind == "incidents":
        from data.incidents.links import by_incident, links

        data = await store.incidents(incident)
        linked = by_incident(await links(store))  # ids and kinds only (docs/links.md)
        out = []
        for r in data:
            row = {
                k: r.id in hidden if k == "withheld" else _plain(getattr(r, k))
                for k in INCIDENT_FIELDS
                if k != "links"
            }
            row["links"] = [f"{x.kind} {x.other}" for x in linked.get(r.id, ())]
            out.append(_withhold(row, kind) if r.id in hidden else row)
        return INCIDENT_FIELDS, out
    if kind == "timeline":
        entries = await queries.timeline(store, incident)
        return TIMELINE_FIELDS, [
            _withhold(
                {k: describe(r.type, r.data) if k == "text" else getattr(r, k) for k in TIMELINE_FIELDS},
                kind,
                r.incident in hidden,
            )
            for r in entries
        ]
    if kind == "checklist":
        items = await queries.checklist(store, incident)
        return CHECKLIST_FIELDS, [
            _withhold({k: getattr(r, k) for k in CHECKLIST_FIELDS}, kind, r.incident in hidden) for r in items
        ]
    if kind == "decisions":
        from data.decisions.queries import decisions

        return DECISION_FIELDS, [
            _withhold(
                {
                    k: [f"{a.person}:{a.role}" for a in r.approvers]
                    if k == "approvers"
                    else _plain(getattr(r, k))
                    for k in DECISION_FIELDS
                },
                kind,
                r.incident in hidden,
            )
            for r in await decisions(store, incident)
        ]
    if kind == "quarantine":
        quarantined = await store.quarantine()
        return QUARANTINE_FIELDS, [
            _withhold(
                {
                    "line": q.line,
                    "reason": q.reason,
                    "raw": raw_text(q.raw),
                    "size": q.size,
                    "offset": q.offset,
                },
                kind,
                bool(hidden) and _quarantined_incident(q.raw) in hidden,
            )
            for q in quarantined
        ]
    raise ValueError(f"unknown export {kind!r}; choose one of {', '.join(KINDS)}")


def _withhold(row: dict[str, Any], kind: str, hide: bool = True) -> dict[str, Any]:
    if hide:
        for name in WITHHELD_FIELDS[kind]:
            row[name] = None
    return row


def write_json(out: IO[str], items: Iterable[dict[str, Any]]) -> None:
    out.write("[")
    first = True
    for item in items:
        out.write("\n  " if first else ",\n  ")
        out.write(json_safe_dumps(item))
        first = False
    out.write("\n]\n" if not first else "]\n")


def _cell(value: Any, raw: bool = False) -> Any:
    """A value as a CSV cell: text with its control characters visibly escaped (kept when
    ``raw``); an object that is not flat as JSON, whose escapes say the same."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and not all(isinstance(v, str | None) for v in value.values()):
        return json.dumps(value, ensure_ascii=False) if raw else json_safe_dumps(value)
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = ";".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, str) and not raw:
        return visible_escape(value, lines=True)
    return value


#: what makes a spreadsheet read a cell as a formula (or hide where it starts)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs: text starting like a formula gets a leading
    single quote (numbers are left as they are: ``-3`` as an int is a number, not text)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: IO[str], fields: list[str], items: Iterable[dict[str, Any]], *, raw: bool = False) -> None:
    """CSV with its control characters visibly escaped (kept as they are when ``raw``)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(f) for f in fields])
    for item in items:
        writer.writerow([safe_cell(_cell(item.get(f), raw)) for f in fields])


def render(
    fields: list[str],
    items: list[dict[str, Any]],
    fmt: str,
    *,
    bom: bool = False,
    masked: bool | None = None,
    raw: bool | None = None,
) -> str:
    """The export as text. User identifiers in every string value are masked
    (docs/privacy.md) unless ``masked`` is False or the call is inside
    ``data.privacy.text.unmasked()`` (an audited ``--unmasked`` export). Control characters are
    escaped (JSON ``\\u001b``, CSV ``\\x1b``); CSV keeps them as they are when ``raw`` is
    True or inside ``data.privacy.text.raw_controls()`` (``--raw-text``). JSON is exact either way."""
    if masked if masked is not None else masking():
        items = [mask_value(item) for item in items]
    buf = io.StringIO()
    if fmt == "json":
        write_json(buf, items)
    else:
        if bom:
            buf.write(BOM)
        write_csv(buf, fields, items, raw=raw if raw is not None else not escaping())
    return buf.getvalue()
