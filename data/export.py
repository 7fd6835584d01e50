"""Exports of the projected state as JSON or CSV (values byte-exact as the journal holds
them; CSV cells that are lists or objects are flattened readably).

CSV is made to open cleanly in a spreadsheet (RFC 4180: CRLF line ends, fields quoted when
they hold a comma, a quote or a line break). Journal text is untrusted, so a text cell that
a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return) is prefixed with a single quote (OWASP's advice against CSV injection);
JSON keeps every value byte-exact. ``bom=True`` starts the text with a UTF-8 byte-order
mark, which Excel needs to read UTF-8 (the command line writes one to files, not to
standard output: docs/trends.md, "CSV in a spreadsheet").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import IO, Any

from .describe import describe
from .store import Store

KINDS = ("incidents", "timeline", "checklist", "quarantine")

INCIDENT_FIELDS = [
    "id", "title", "category", "severity", "status", "source", "regions", "roles",
    "restricted", "summary", "detected_at", "opened_at", "opened_by", "acknowledged_at",
    "contained_at", "resolved_at", "closed_at", "updated_at", "events",
]  # fmt: skip
TIMELINE_FIELDS = ["seq", "ts", "actor", "incident", "type", "text", "id", "data"]
CHECKLIST_FIELDS = [
    "incident", "item", "text", "team", "due", "state", "note", "state_by", "state_at",
    "basis", "template", "added_by", "added_at",
]  # fmt: skip
QUARANTINE_FIELDS = ["line", "reason", "raw", "size", "offset"]


def raw_text(raw: bytes) -> str:
    """A quarantined line as text: UTF-8 where it is, other bytes escaped as \\xNN."""
    return raw.decode("utf-8", errors="backslashreplace")


async def rows(
    store: Store, kind: str, incident: str | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of one export."""
    if kind == "incidents":
        data = await store.incidents(incident)
        return INCIDENT_FIELDS, [{k: r[k] for k in INCIDENT_FIELDS} for r in data]
    if kind == "timeline":
        entries = await store.timeline(incident)
        return TIMELINE_FIELDS, [
            {k: describe(r["type"], r["data"]) if k == "text" else r[k] for k in TIMELINE_FIELDS}
            for r in entries
        ]
    if kind == "checklist":
        data = await store.checklist(incident)
        return CHECKLIST_FIELDS, [{k: r[k] for k in CHECKLIST_FIELDS} for r in data]
    if kind == "quarantine":
        data = await store.quarantine()
        return QUARANTINE_FIELDS, [
            {
                "line": r["line"],
                "reason": r["reason"],
                "raw": raw_text(r["raw"]),
                "size": r["size"],
                "offset": r["offset"],
            }
            for r in data
        ]
    raise ValueError(f"unknown export {kind!r}; choose one of {', '.join(KINDS)}")


def write_json(out: IO[str], items: Iterable[dict[str, Any]]) -> None:
    out.write("[")
    first = True
    for item in items:
        out.write("\n  " if first else ",\n  ")
        out.write(json.dumps(item, ensure_ascii=False))
        first = False
    out.write("\n]\n" if not first else "]\n")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        if all(isinstance(v, str | None) for v in value.values()):
            return ";".join(f"{k}={v}" for k, v in value.items())
        return json.dumps(value, ensure_ascii=False)
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


def write_csv(out: IO[str], fields: list[str], items: Iterable[dict[str, Any]]) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(f) for f in fields])
    for item in items:
        writer.writerow([safe_cell(_cell(item.get(f))) for f in fields])


def render(fields: list[str], items: list[dict[str, Any]], fmt: str, *, bom: bool = False) -> str:
    buf = io.StringIO()
    if fmt == "json":
        write_json(buf, items)
    else:
        if bom:
            buf.write(BOM)
        write_csv(buf, fields, items)
    return buf.getvalue()
