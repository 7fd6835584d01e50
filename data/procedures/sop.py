"""Standard operating procedures: one checklist template per incident category.

Templates are TOML data files. The shipped ones live in ``data/procedures/shipped/<category>.toml``; teams
extend or replace them with their own files in ``<user config dir>/sop/*.toml`` (else the
folder named by ``WARROOM_SOP_DIR``). The format, the condition semantics and the override
rules are in ``docs/sop.md``.

Every file is validated strictly (unknown keys, wrong types, unknown teams, bad durations
and duplicate ids are errors). A file with any error contributes nothing: its errors, each
naming the file, the line and the reason, are returned next to the templates that did load.

:func:`checklist_events` turns a template into the ``checklist.added`` events of one
incident, with due times computed from the incident's T0 (``detected_at``, else the opening
event's ``ts``: see :func:`incident_t0`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from platformdirs import user_config_dir
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    model_validator,
)

from data.engine.models import (
    CATEGORIES,
    MAX_YEAR,
    MIN_YEAR,
    PRINTABLE_PATTERN,
    REGIMES,
    TEAMS,
    ChecklistStep,
    Draft,
    ItemTrigger,
    Regime,
    Team,
    TriggerKind,
    parse_rfc3339,
)
from data.procedures.calendars import Due, parse_cutoff

#: the template whose items apply to every incident, whatever its category (``any.toml``):
#: the obligations that follow an instrument (an order, a notice, a request), not a category
ANY = "any"
#: the triggers as people name them (data.engine.models.TRIGGER_KINDS)
TRIGGER_LABELS: dict[str, str] = {
    "order_received": "Order received (a removal or information order)",
    "notice_received": "Notice received (a removal notice or request)",
    "report_filed": "Report filed (give its reference)",
    "preservation_requested": "Preservation requested (starts a hold)",
    "preservation_extended": "Preservation extended (moves a hold's end)",
    "request_verified": "Request verified (out of band)",
    "breach_aware": "Breach: the moment of awareness",
    "materiality_determined": "Incident determined material (SEC)",
    "content_removed": "Content removed",
}
#: the regimes as people name them (data.engine.models.REGIMES)
REGIME_LABELS: dict[str, str] = {
    "eu_tco": "EU terrorist content (TCO) order",
    "eu_dsa_art9": "EU DSA Art. 9 order to act",
    "eu_dsa_art10": "EU DSA Art. 10 information order",
    "eu_nis2": "EU NIS2 incident reporting",
    "gdpr": "GDPR personal-data breach",
    "uk_gdpr": "UK GDPR personal-data breach",
    "au_esafety": "Australia eSafety removal notice",
    "au_ndb": "Australia notifiable data breach",
    "us_take_it_down": "US TAKE IT DOWN request",
    "us_ncmec": "US NCMEC CyberTipline report",
    "us_2703f": "US 18 U.S.C. 2703(f) preservation",
    "us_sec": "US SEC disclosure",
}
#: the switches of ``[obligations]`` a condition may name (``when = { config = [...] }``)
OBLIGATION_FLAGS: tuple[str, ...] = ("sec_registrant", "nis2")
#: the templates that ship with warroom, one ``<category>.toml`` per category
SHIPPED_DIR = Path(__file__).parent / "shipped"
#: names the folder of the user's own template files (else the platformdirs config folder)
ENV_DIR = "WARROOM_SOP_DIR"

#: regions a condition may name (an incident's ``global`` matches every one of them)
CONDITION_REGIONS: tuple[str, ...] = ("US", "UK", "AU", "EU")
#: the longest item text (``checklist.added`` allows 2000 characters)
MAX_TEXT = 2000
#: the longest basis: room is kept for the "as soon as reasonably possible" note
MAX_BASIS = 1800
MAX_FILE_BYTES = 1_048_576
MAX_VERSION = 999_999
#: how many validation errors of one file are reported (the file is refused either way)
MAX_ERRORS_PER_FILE = 10

ASRP = "as soon as reasonably possible"
ASRP_NOTE = f"{ASRP} (the due time is an internal target)"

ITEM_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"

# --- errors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SopError:
    """Why one template file was refused (it contributes nothing)."""

    path: Path
    line: int | None
    reason: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}: {self.reason}"
        return f"{self.path}: {self.reason}"


class _Refused(Exception):
    def __init__(self, errors: list[SopError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


# --- durations --------------------------------------------------------------------------


def parse_duration(value: object) -> Due:
    """``"30m"``, ``"24h"``, ``"90d"``, ``"1y"``, ``"4bd"`` (data/procedures/calendars.py).
    Raises ValueError with a readable reason."""
    return Due.parse(value)


# --- what the rest of warroom uses ------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """When an item applies. Each part given must match (AND); within a part, any listed
    value matches (OR). ``regions`` matches when the incident's regions include any listed
    region, and an incident with region ``global`` matches every regional condition;
    ``config`` when every switch listed is on in ``[obligations]``."""

    severity: frozenset[int] | None = None
    regions: frozenset[str] | None = None
    config: frozenset[str] | None = None

    def applies(self, severity: int, regions: Iterable[str], flags: frozenset[str] = frozenset()) -> bool:
        if self.severity is not None and severity not in self.severity:
            return False
        if self.regions is not None:
            have = {regions} if isinstance(regions, str) else set(regions)
            if "global" not in have and not (have & self.regions):
                return False
        return self.config is None or self.config <= flags

    def describe(self) -> str:
        parts = []
        if self.severity is not None:
            parts.append("severity " + ", ".join(str(s) for s in sorted(self.severity)))
        if self.regions is not None:
            parts.append("regions " + " or ".join(r for r in CONDITION_REGIONS if r in self.regions))
        if self.config is not None:
            parts.append("config " + " and ".join(sorted(self.config)))
        return "; ".join(parts)

    def as_dict(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        if self.severity is not None:
            out["severity"] = sorted(self.severity)
        if self.regions is not None:
            out["regions"] = [r for r in CONDITION_REGIONS if r in self.regions]
        if self.config is not None:
            out["config"] = sorted(self.config)
        return out


@dataclass(frozen=True)
class SopItem:
    """One step of a procedure. Its clock starts at T0, or at its ``trigger`` (an
    ``incident.action`` of that kind, of one of ``regimes`` if given: each trigger is its
    own item); ``due`` is counted from there (for an ``asrp`` item it is the internal
    target) on ``calendar``; ``due_by_severity`` gives other targets at given severities.
    A ``hold`` is a preservation whose end is its due time; ``extend``: by how much one
    extension (``preservation_extended``) moves it."""

    id: str
    text: str
    team: str
    due: Due | None = None
    asrp: bool = False
    basis: str | None = None
    when: Condition | None = None
    due_by_severity: tuple[tuple[int, Due], ...] = ()
    trigger: str | None = None
    regimes: frozenset[str] | None = None
    calendar: str | None = None
    cutoff: time | None = None
    hold: bool = False
    extend: Due | None = None

    def applies(self, severity: int, regions: Iterable[str], flags: frozenset[str] = frozenset()) -> bool:
        return self.when is None or self.when.applies(severity, regions, flags)

    def started_by(self, kind: str, regime: str | None) -> bool:
        """Whether a trigger of ``kind`` (under ``regime``) starts this item."""
        if self.trigger != kind:
            return False
        return self.regimes is None or regime in self.regimes

    def due_for(self, severity: int) -> Due | None:
        for sev, due in self.due_by_severity:
            if sev == severity:
                return due
        return self.due

    @property
    def severity_timed(self) -> bool:
        """Whether its due time depends on the severity (re-timed when it changes)."""
        return bool(self.due_by_severity)

    def deadline(self, start: datetime, severity: int) -> datetime | None:
        """Its due time for a clock started at ``start``, at this severity (None: it has
        none, or it falls outside the years a journal time may hold: an incident dated at
        the edge of the range gets the item without a due time rather than no item)."""
        due = self.due_for(severity)
        return journal_time(due, start, self.calendar, self.cutoff) if due is not None else None

    def extended(self, end: datetime) -> datetime | None:
        """A hold's end moved by its ``extend`` (None: it has none, or the new end falls
        outside the years a journal time may hold)."""
        return journal_time(self.extend, end, self.calendar) if self.extend is not None else None

    def start_text(self) -> str:
        if self.trigger is None:
            return "T0"
        regimes = f" ({', '.join(r for r in REGIMES if r in self.regimes)})" if self.regimes else ""
        return f"{self.trigger}{regimes}"

    def _due(self, due: Due) -> str:
        where = f" {self.calendar}" if self.calendar and not due.elapsed else ""
        at = f" by {self.cutoff:%H:%M}" if self.cutoff is not None else ""
        return f"{due.text()}{where}{at}"

    def due_text(self) -> str:
        """``"T0+1h"``, ``"order_received (eu_tco)+1h"``, ``"ASRP (target 24h; severity 1: 2h)"``,
        ``"hold: report_filed (us_ncmec)+1y"``, or ``"—"``."""
        start = self.start_text()
        extra = "; ".join(f"severity {s}: {self._due(d)}" for s, d in self.due_by_severity)
        if self.asrp:
            target = f"target {self._due(self.due)}" if self.due is not None else ""
            inner = "; ".join(p for p in (f"from {start}" if self.trigger else "", target, extra) if p)
            return f"ASRP ({inner})" if inner else "ASRP"
        base = f"{start}+{self._due(self.due)}" if self.due is not None else "—"
        if self.hold:
            base = f"hold: {base}" + (f" (+{self.extend.text()} once)" if self.extend is not None else "")
        if extra:
            extra = "; ".join(f"severity {s}: {start}+{self._due(d)}" for s, d in self.due_by_severity)
            return f"{base} ({extra})"
        return base

    def event_basis(self) -> str | None:
        """The ``basis`` written on the event: an ``asrp`` item says it is one, so the
        journal keeps that its due time is a target and not a legal deadline."""
        if not self.asrp:
            return self.basis
        if self.basis is None:
            return ASRP_NOTE[0].upper() + ASRP_NOTE[1:]
        if ASRP in self.basis.lower():
            return self.basis
        return f"{self.basis}; {ASRP_NOTE}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "team": self.team,
            "due": self.due.text() if self.due is not None else None,
            "asrp": self.asrp,
            "due_by_severity": {str(s): d.text() for s, d in self.due_by_severity},
            "when": self.when.as_dict() if self.when is not None else None,
            "basis": self.basis,
            "trigger": self.trigger,
            "regime": [r for r in REGIMES if r in self.regimes] if self.regimes else None,
            "calendar": self.calendar,
            "cutoff": f"{self.cutoff:%H:%M}" if self.cutoff is not None else None,
            "hold": self.hold,
            "extend": self.extend.text() if self.extend is not None else None,
        }


@dataclass(frozen=True)
class Template:
    """The procedure in force for one category. ``version`` is what ``checklist.added``
    records: ``edr@1`` (shipped), ``edr@1+local@2`` (extended by a user file of version 2),
    ``edr:local@2`` (replaced by one)."""

    category: str
    version: str
    title: str
    t0: str
    items: tuple[SopItem, ...]
    sources: tuple[Path, ...]
    shipped: bool = True  # whether sources[0] is the shipped file

    def item(self, item_id: str) -> SopItem | None:
        return next((i for i in self.items if i.id == item_id), None)


@dataclass
class Templates:
    """What :func:`load_templates` found: the templates in force, by category (in the
    vocabulary's order), and the files it refused."""

    templates: dict[str, Template] = field(default_factory=dict)
    errors: list[SopError] = field(default_factory=list)

    def get(self, category: str) -> Template | None:
        return self.templates.get(category)

    def for_incident(self, category: str) -> list[Template]:
        """The templates an incident of ``category`` follows: its category's, then ``any``."""
        return [t for t in (self.templates.get(category), self.templates.get(ANY)) if t is not None]


# --- the file format --------------------------------------------------------------------


def _check_category(value: str) -> str:
    if value not in CATEGORIES and value != ANY:
        raise ValueError(f"unknown category {value!r} (expected one of: {', '.join((*CATEGORIES, ANY))})")
    return value


def _check_regions(value: list[str]) -> list[str]:
    for r in value:
        if r == "global":
            raise ValueError(
                '"global" is not a condition: an incident with region global matches every '
                "regional condition; list US, UK, AU or EU"
            )
        if r not in CONDITION_REGIONS:
            raise ValueError(f"unknown region {r!r} (expected US, UK, AU or EU)")
    if len(set(value)) != len(value):
        raise ValueError("lists a region twice")
    return value


def _check_severities(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise ValueError("lists a severity twice")
    return value


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


_Line = Annotated[str, Field(pattern=PRINTABLE_PATTERN), AfterValidator(_check_text)]
Duration = Annotated[Due, PlainValidator(parse_duration)]
Cutoff = Annotated[time, PlainValidator(parse_cutoff)]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)


class _When(_Model):
    severity: (
        Annotated[
            list[Annotated[int, Field(ge=1, le=4)]], Field(min_length=1), AfterValidator(_check_severities)
        ]
        | None
    ) = None
    regions: Annotated[list[str], Field(min_length=1), AfterValidator(_check_regions)] | None = None
    config: Annotated[list[Literal["sec_registrant", "nis2"]], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> _When:
        if self.severity is None and self.regions is None and self.config is None:
            raise ValueError(
                "give severity, regions, config or several (or leave `when` out: the item always applies)"
            )
        return self


class _Item(_Model):
    id: Annotated[str, Field(pattern=ITEM_ID_PATTERN)]
    text: Annotated[_Line, Field(min_length=1, max_length=MAX_TEXT)]
    team: Team
    due: Duration | None = None
    due_by_severity: dict[Literal["1", "2", "3", "4"], Duration] | None = None
    asrp: bool = False
    basis: Annotated[_Line, Field(min_length=1, max_length=MAX_BASIS)] | None = None
    when: _When | None = None
    trigger: TriggerKind | None = None
    regime: Annotated[list[Regime], Field(min_length=1)] | None = None
    calendar: Literal["US", "UK", "AU", "AU-NSW", "EU"] | None = None
    cutoff: Cutoff | None = None
    hold: bool = False
    extend: Duration | None = None

    @model_validator(mode="after")
    def _consistent(self) -> _Item:
        if self.asrp and self.due is None:
            raise ValueError(
                'an "as soon as reasonably possible" item (asrp = true) needs `due`, its internal target'
            )
        dues = [d for d in (self.due, *(self.due_by_severity or {}).values()) if d is not None]
        if any(d.business_days for d in dues) and self.calendar is None:
            raise ValueError(
                'a due time in business days ("4bd") needs `calendar` (US, UK, AU, AU-NSW or EU)'
            )
        if self.cutoff is not None and not any(d.business_days for d in dues):
            raise ValueError(
                "`cutoff` is the local time a business-day deadline falls at: give `due` in business days"
            )
        if self.regime is not None and self.trigger is None:
            raise ValueError("`regime` narrows a `trigger`: give the trigger too")
        if self.hold and (self.due is None or self.asrp):
            raise ValueError("a preservation hold (hold = true) needs `due`, when it ends, and is not asrp")
        if self.extend is not None and not self.hold:
            raise ValueError("`extend` is for a preservation hold (hold = true)")
        return self

    def to_item(self) -> SopItem:
        cond = None
        if self.when is not None:
            cond = Condition(
                frozenset(self.when.severity) if self.when.severity is not None else None,
                frozenset(self.when.regions) if self.when.regions is not None else None,
                frozenset(self.when.config) if self.when.config is not None else None,
            )
        by_sev = tuple(sorted((int(k), v) for k, v in (self.due_by_severity or {}).items()))
        return SopItem(
            self.id, self.text, self.team, self.due, self.asrp, self.basis, cond, by_sev, self.trigger,
            frozenset(self.regime) if self.regime is not None else None, self.calendar, self.cutoff,
            self.hold, self.extend,
        )  # fmt: skip


class _Removal(_Model):
    id: Annotated[str, Field(pattern=ITEM_ID_PATTERN)]
    remove: Literal[True]


class _File(_Model):
    category: Annotated[str, AfterValidator(_check_category)]
    version: Annotated[int, Field(ge=1, le=MAX_VERSION)]
    title: Annotated[_Line, Field(min_length=1, max_length=200)] | None = None
    t0: Annotated[_Line, Field(min_length=1, max_length=300)] | None = None
    mode: Literal["extend", "replace"] | None = None
    items: list[dict[str, Any]] | None = None


_KEYS = {
    "file": tuple(_File.model_fields),
    "item": (*_Item.model_fields, "remove"),
    "when": tuple(_When.model_fields),
}

# --- reading one file -------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    line: int | None
    item: SopItem | None  # None: a removal of ``item_id``
    item_id: str


@dataclass(frozen=True)
class _Parsed:
    path: Path
    category: str
    version: int
    title: str | None
    t0: str | None
    mode: str  # "shipped", "extend" or "replace"
    entries: tuple[_Entry, ...]
    category_line: int | None


_ITEMS_HEADER = re.compile(r"^\s*\[\[\s*items\s*\]\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[")
_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


class _Lines:
    """Finds the line of a key or of the N-th ``[[items]]`` in a file's text (best effort:
    what a person would look at to fix the error)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [n + 1 for n, ln in enumerate(self.lines) if _ITEMS_HEADER.match(ln)]
        first_table = next((n for n, ln in enumerate(self.lines) if _TABLE_HEADER.match(ln)), len(self.lines))
        self.top_end = first_table + 1  # top-level keys come before the first table header

    def _find(self, key: str, start: int, end: int) -> int | None:
        strict = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
        loose = re.compile(rf'(?:^|[\s{{,.\[])"?{re.escape(key)}"?\s*(?:=|\])')
        for pattern in (strict, loose):
            for n in range(max(start, 1), min(end, len(self.lines) + 1)):
                if pattern.search(self.lines[n - 1]):
                    return n
        return None

    def top(self, key: str | None) -> int | None:
        if key is None:
            return None
        return self._find(key, 1, self.top_end)

    def item(self, index: int, keys: Sequence[str] = ()) -> int | None:
        if index < len(self.headers):
            start = self.headers[index]
            end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines) + 1
            for key in reversed(keys):  # the deepest key that can be found
                found = self._find(key, start + 1, end)
                if found is not None:
                    return found
            return start
        return self._find("items", 1, len(self.lines) + 1)


def _describe(err: Any, context: str) -> str:
    """One reason from one pydantic error; ``context`` says which table it is in."""
    etype = err["type"]
    msg: str = err["msg"]
    if etype == "missing":
        return "required key is missing"
    if etype == "extra_forbidden":
        return f"unknown key (expected: {', '.join(_KEYS[context])})"
    if etype == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        last = err["loc"][-1] if err["loc"] else None
        if context == "item" and last == "team":
            return f"{err['input']!r} is not a team (expected one of: {', '.join(TEAMS)})"
        if context == "item" and last == "remove":
            return "may only be true (leave the item out to keep it)"
        return f"{err['input']!r} is not allowed (expected {expected})"
    if etype in ("string_pattern_mismatch", "string_too_short") and err.get("input") == "":
        return "must not be empty"
    if etype == "greater_than_equal":
        return f"must be at least {err['ctx']['ge']}"
    if etype == "less_than_equal":
        return f"must be at most {err['ctx']['le']}"
    if etype == "string_too_long":
        return f"must be at most {err['ctx']['max_length']} characters"
    if etype == "string_pattern_mismatch":
        if err["loc"] and err["loc"][-1] == "id":
            return "must be 1-32 of a-z 0-9 _ - (starting with a letter or digit)"
        return "must be one line of printable text"
    simple = {
        "string_type": "must be a string",
        "int_type": "must be an integer",
        "bool_type": "must be true or false",
        "list_type": "must be an array",
        "dict_type": "must be a table",
        "model_type": "must be a table",
    }
    if etype in simple:
        return simple[etype]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg


def _where(loc: Sequence[Any]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1]}[{p}]"] if parts else [f"[{p}]"]
        elif p != "[key]":
            parts.append(str(p))
    return ".".join(parts)


def _item_label(raw: Any, index: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
        return f"item {raw['id']!r}"
    return f"item {index + 1}"


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _Refused([SopError(path, None, f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise _Refused([SopError(path, None, f"the file is over {MAX_FILE_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise _Refused([SopError(path, bad_line, "not valid UTF-8")]) from None
    text = text.removeprefix("\ufeff")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        line: int | None = getattr(exc, "lineno", None)
        m = _TOML_WHERE.search(msg)
        if m:
            line = line or int(m.group(1))
            msg = msg[: m.start()] + f" (column {m.group(2)})"
        elif _TOML_END.search(msg):
            line = line or max(1, len(text.splitlines()))
            msg = _TOML_END.sub(" (at the end of the file)", msg)
        reason = f"TOML syntax error: {msg[:1].lower()}{msg[1:]}"
        raise _Refused([SopError(path, line, reason)]) from None


def _parse(path: Path, shipped: bool) -> _Parsed:
    """Read and validate one file; raise _Refused with every error found (up to a limit)."""
    text, doc = _read(path)
    lines = _Lines(text)
    errors: list[SopError] = []

    def add(line: int | None, reason: str) -> None:
        errors.append(SopError(path, line, reason))

    try:
        head = _File.model_validate(doc)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = err["loc"]
            if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
                add(lines.item(loc[1]), f"{_item_label(None, loc[1])}: {_describe(err, 'item')}")
            else:
                key = str(loc[0]) if loc else None
                add(lines.top(key) or 1, f"{_where(loc) or 'file'}: {_describe(err, 'file')}")
        raise _Refused(errors[:MAX_ERRORS_PER_FILE]) from None

    mode = "shipped" if shipped else (head.mode or "extend")
    if shipped:
        if head.mode is not None:
            add(lines.top("mode"), "mode: only a user file may say how it overrides the shipped template")
        if head.category != path.stem:
            add(
                lines.top("category"), f"category: {head.category!r} does not match the file name {path.name}"
            )
    for key in ("title", "t0"):
        if getattr(head, key) is None and mode in ("shipped", "replace"):
            what = "a shipped template" if shipped else 'a user file with mode = "replace"'
            add(1, f"{key}: required key is missing ({what} needs it)")
    raw_items = head.items or []
    if shipped and not raw_items:
        add(lines.top("items") or 1, "items: a shipped template needs at least one [[items]]")

    entries: list[_Entry] = []
    first_line: dict[str, int | None] = {}
    for n, raw in enumerate(raw_items):
        label = _item_label(raw, n)
        removal = "remove" in raw
        try:
            parsed: _Item | _Removal = (_Removal if removal else _Item).model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                keys = [str(p) for p in err["loc"] if isinstance(p, str) and p != "[key]"]
                context = "when" if keys[:1] == ["when"] and len(keys) > 1 else "item"
                where = _where(err["loc"])
                reason = _describe(err, context)
                add(lines.item(n, keys), f"{label}: {where + ': ' if where else ''}{reason}")
            continue
        line = lines.item(n)
        if removal:
            if mode != "extend":
                add(
                    lines.item(n, ["remove"]),
                    f"{label}: remove: only a user file that extends may remove items",
                )
                continue
            entries.append(_Entry(line, None, parsed.id))
        else:
            assert isinstance(parsed, _Item)
            entries.append(_Entry(line, parsed.to_item(), parsed.id))
        item_id = entries[-1].item_id
        if item_id in first_line:
            at = first_line[item_id]
            add(line, f"{label}: duplicate id{f' (first at line {at})' if at else ''}")
        else:
            first_line[item_id] = line
    if errors:
        raise _Refused(errors[:MAX_ERRORS_PER_FILE])
    return _Parsed(
        path,
        head.category,
        head.version,
        head.title,
        head.t0,
        mode,
        tuple(entries),
        lines.top("category"),
    )


# --- loading ----------------------------------------------------------------------------


def default_user_dir() -> Path:
    """``WARROOM_SOP_DIR`` if set, else ``<platformdirs user config dir>/warroom/sop``."""
    given = os.environ.get(ENV_DIR)
    if given:
        return Path(given).expanduser()
    return Path(user_config_dir("warroom", appauthor=False)) / "sop"


def _shipped(folder: Path, found: Templates) -> None:
    for category in (*CATEGORIES, ANY):
        path = folder / f"{category}.toml"
        if not path.exists():
            found.errors.append(SopError(path, None, f"there is no shipped template for {category!r}"))
            continue
        try:
            p = _parse(path, shipped=True)
        except _Refused as exc:
            found.errors.extend(exc.errors)
            continue
        items = tuple(e.item for e in p.entries if e.item is not None)
        assert p.title is not None and p.t0 is not None
        found.templates[category] = Template(
            category, f"{category}@{p.version}", p.title, p.t0, items, (path,), shipped=True
        )


def _user_files(folder: Path, found: Templates) -> Iterator[Path]:
    if not folder.exists():
        return
    if not folder.is_dir():
        found.errors.append(SopError(folder, None, "the user template folder is not a folder"))
        return
    try:
        paths = sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
    except OSError as exc:
        found.errors.append(SopError(folder, None, f"cannot list the folder: {exc.strerror or exc}"))
        return
    yield from paths


def _apply(p: _Parsed, found: Templates, shipped: dict[str, Template]) -> None:
    """Extend or replace the shipped template of ``p.category``; all or nothing."""
    category = p.category
    if p.mode == "replace":
        own = tuple(e.item for e in p.entries if e.item is not None)
        assert p.title is not None and p.t0 is not None
        found.templates[category] = Template(
            category, f"{category}:local@{p.version}", p.title, p.t0, own, (p.path,), shipped=False
        )
        return
    base = shipped.get(category)
    if base is None:
        raise _Refused(
            [
                SopError(
                    p.path,
                    p.category_line,
                    f"category: there is no shipped {category!r} template to extend (it did not load); "
                    'use mode = "replace" for a template of your own',
                )
            ]
        )
    items = list(base.items)
    errors: list[SopError] = []
    for e in p.entries:
        at = next((n for n, i in enumerate(items) if i.id == e.item_id), None)
        if e.item is None:
            if at is None:
                errors.append(
                    SopError(p.path, e.line, f"item {e.item_id!r}: remove: there is no such item to remove")
                )
            else:
                del items[at]
        elif at is None:
            items.append(e.item)
        else:
            items[at] = e.item
    if errors:
        raise _Refused(errors)
    found.templates[category] = Template(
        category,
        f"{base.version}+local@{p.version}",
        p.title or base.title,
        p.t0 or base.t0,
        tuple(items),
        (*base.sources, p.path),
        shipped=True,
    )


def load_templates(user_dir: Path | None = None, *, shipped_dir: Path | None = None) -> Templates:
    """The templates in force: the shipped ones, then the user's files (``user_dir``, else
    :func:`default_user_dir`) applied in file-name order. A file with an error contributes
    nothing; its errors are in ``.errors``. Never raises for a bad file."""
    found = Templates()
    _shipped(shipped_dir or SHIPPED_DIR, found)
    shipped = dict(found.templates)
    claimed: dict[str, Path] = {}
    for path in _user_files(user_dir if user_dir is not None else default_user_dir(), found):
        try:
            p = _parse(path, shipped=False)
            if p.category in claimed:
                raise _Refused(
                    [
                        SopError(
                            path,
                            p.category_line,
                            f"category: {p.category!r} is already customised by {claimed[p.category].name} "
                            "(one user file per category)",
                        )
                    ]
                )
            _apply(p, found, shipped)
            claimed[p.category] = path
        except _Refused as exc:
            found.errors.extend(exc.errors)
    found.templates = {c: found.templates[c] for c in (*CATEGORIES, ANY) if c in found.templates}
    common = found.templates.get(ANY)
    for template in found.templates.values():
        if common is None or template is common:
            continue
        for item in template.items:
            if common.item(item.id) is not None:
                found.errors.append(SopError(template.sources[-1], None,
                    f"item {item.id!r}: the same id is an item of every incident (any.toml): rename one"))  # fmt: skip
    return found


# --- from a template to checklist events ------------------------------------------------


def incident_t0(detected_at: str | None, ts: str) -> datetime:
    """An incident's T0: its ``detected_at`` if given, else its opening event's ``ts``."""
    return parse_rfc3339(detected_at or ts)


def format_time(t: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; milliseconds only when there are any."""
    u = t.astimezone(UTC)
    ms = u.microsecond // 1000
    return u.strftime("%Y-%m-%dT%H:%M:%S") + (f".{ms:03d}" if ms else "") + "Z"


def journal_time(
    due: Due, start: datetime, calendar: str | None, cutoff: time | None = None
) -> datetime | None:
    """``due`` after ``start`` on ``calendar`` (UTC), or None when it falls outside the years
    a journal time may hold (an incident dated at the edge of the range)."""
    try:
        at = due.after(start, calendar, cutoff)
    except (OverflowError, ValueError):
        return None
    return at if MIN_YEAR <= at.year <= MAX_YEAR else None


def _step(
    template: Template,
    item: SopItem,
    incident: str,
    item_id: str,
    text: str,
    due: datetime | None,
    trigger: ItemTrigger | None = None,
) -> Draft:
    basis = item.event_basis()
    members: dict[str, Any] = {}
    if basis is not None:
        members["basis"] = basis  # left out, not written null
    if trigger is not None:
        members |= {"step": item.id, "trigger": trigger}
    if item.hold:
        members["hold"] = True
    if item.calendar is not None and item.due is not None and not item.due.elapsed:
        members["calendar"] = item.calendar
    data = ChecklistStep(
        item=item_id,
        text=text,
        team=cast(Team, item.team),  # a template's items are checked when it is loaded
        due=format_time(due) if due is not None else None,
        template=template.version,
        **members,
    )
    return Draft(data, incident=incident)


def checklist_events(
    template: Template,
    incident: str,
    severity: int,
    regions: Iterable[str],
    t0: datetime,
    existing: Iterable[str],
    flags: frozenset[str] = frozenset(),
) -> list[Draft]:
    """The ``checklist.added`` events (:class:`Draft`, ready for
    ``data.commands.build_events``) for every item of ``template`` started at T0 that
    applies at this severity, these regions and these ``[obligations]`` switches and whose
    id is not in ``existing``, in template order. Due times are ``t0`` plus the item's due
    for this severity, on its calendar, in UTC. Items already on the checklist are never
    touched: call it again after a change of category, severity or regions and it returns
    only what newly applies. Items started by a trigger come from :func:`trigger_events`."""
    if t0.tzinfo is None or t0.utcoffset() is None:
        raise ValueError("t0 must carry a time zone")
    seen = set(existing)
    regions = (regions,) if isinstance(regions, str) else tuple(regions)
    events: list[Draft] = []
    for item in template.items:
        if item.trigger is not None or item.id in seen or not item.applies(severity, regions, flags):
            continue
        seen.add(item.id)
        events.append(_step(template, item, incident, item.id, item.text, item.deadline(t0, severity)))
    return events


@dataclass(frozen=True)
class Trigger:
    """An ``incident.action`` that starts clocks: its kind, when it really happened
    (``at``, else the entry's time), its ``ref`` and ``regime``."""

    kind: str
    at: datetime
    ref: str | None = None
    regime: str | None = None

    def as_item_trigger(self) -> ItemTrigger:
        return ItemTrigger(kind=cast(TriggerKind, self.kind), at=format_time(self.at), ref=self.ref)


def instance_id(step: str, taken: set[str]) -> str:
    """The id of one more item of ``step``: the step's own id the first time, then
    ``step-2``, ``step-3`` (cut to fit 32 characters)."""
    if step not in taken:
        return step
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = step[: 32 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def trigger_events(
    templates: Sequence[Template],
    incident: str,
    severity: int,
    regions: Iterable[str],
    trigger: Trigger,
    taken: set[str],
    started: set[tuple[str, str]],
    flags: frozenset[str] = frozenset(),
) -> list[Draft]:
    """The items ``trigger`` starts: one per template item it starts (that applies at this
    severity, these regions and switches), each its own clock from ``trigger.at``. An item
    of the same step and ``ref`` already started (``started``: (step, ref) pairs) is not
    started again: the same order recorded twice. ``taken``: the incident's item ids (it is
    updated with the new ones)."""
    regions = (regions,) if isinstance(regions, str) else tuple(regions)
    out: list[Draft] = []
    for template in templates:
        for item in template.items:
            if not item.started_by(trigger.kind, trigger.regime) or not item.applies(
                severity, regions, flags
            ):
                continue
            if trigger.ref is not None and (item.id, trigger.ref) in started:
                continue
            item_id = instance_id(item.id, taken)
            taken.add(item_id)
            if trigger.ref is not None:
                started.add((item.id, trigger.ref))
            text = item.text if trigger.ref is None else f"{item.text} (ref {trigger.ref})"[:MAX_TEXT]
            due = item.deadline(trigger.at, severity)
            out.append(_step(template, item, incident, item_id, text, due, trigger.as_item_trigger()))
    return out
