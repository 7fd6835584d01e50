"""Pydantic models of journal format 1 (``../shared/spec/journal.md``).

Every model is strict about JSON types: a string is a string, an integer is an integer
(``true`` is not ``1``, ``1.0`` is not ``1``). Validation errors name the member and the
reason in words for people, e.g. ``data.severity: must be at most 4``.

The envelope members are checked once for every line; ``data`` is checked by the model of the
line's ``type``. Unknown members are accepted and ignored (the raw line is what the store
keeps, so nothing is lost).

Each type is one event class of the tagged union :data:`Event` (on ``type``); a type this
version does not know is an :class:`UnknownEvent`. Writers build events through the data
models (:class:`Draft`); a refused write says why as :class:`Problem` values.

No ``from __future__ import annotations`` here: pydantic would compile and evaluate every
field's annotation string when the classes are made, a fifth of this module's import
(docs/performance.md, "Round two: the command line"); names used before their class exists
are quoted.
"""

import base64
import binascii
import hashlib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal, TypeVar, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

FORMAT_VERSION = 1
MAX_LINE_BYTES = 262_144

# --- vocabularies (closed for format 1) -------------------------------------------------

Category = Literal[
    "csea",
    "edr",
    "self_harm",
    "violent_extremism",
    "hate_harassment",
    "data_security",
    "regulator",
    "media",
    "other",
]
Source = Literal[
    "user_report",
    "proactive_detection",
    "hash_match",
    "law_enforcement",
    "regulator",
    "media",
    "partner",
    "crisis_protocol",
    "employee",
]
Status = Literal[
    "new",
    "triaged",
    "investigating",
    "mitigating",
    "contained",
    "monitoring",
    "resolved",
    "closed",
    "false_positive",
    "merged",
]
Role = Literal["commander", "deputy", "scribe", "comms", "legal", "le_response", "liaison"]
Team = Literal[
    "legal",
    "policy",
    "child_safety",
    "emergency_response",
    "comms",
    "product",
    "security_privacy",
    "le_response",
    "leadership",
]
Region = Literal["US", "UK", "AU", "EU", "global"]
ChecklistState = Literal["open", "done", "skipped", "blocked"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

CATEGORIES: tuple[str, ...] = get_args(Category)
SOURCES: tuple[str, ...] = get_args(Source)
STATUSES: tuple[str, ...] = get_args(Status)
ROLES: tuple[str, ...] = get_args(Role)
TEAMS: tuple[str, ...] = get_args(Team)
REGIONS: tuple[str, ...] = get_args(Region)
CHECKLIST_STATES: tuple[str, ...] = get_args(ChecklistState)
WEEKDAYS: tuple[str, ...] = get_args(Weekday)

#: the incident.action kind that is a stakeholder update (it resets the update cadence)
UPDATE_KIND = "stakeholder_update"

#: the incident.action kinds that start legal clocks (docs/sop.md, "Triggers"): an order or
#: notice received, a report filed, a preservation requested or extended, a request
#: verified, awareness of a breach, a materiality determination, content removed
TriggerKind = Literal[
    "order_received", "notice_received", "report_filed", "preservation_requested",
    "preservation_extended", "request_verified", "breach_aware", "materiality_determined",
    "content_removed",
]  # fmt: skip
TRIGGER_KINDS: tuple[str, ...] = get_args(TriggerKind)
#: which rule a trigger falls under (the ``regime`` extension member of incident.action)
Regime = Literal[
    "eu_tco", "eu_dsa_art9", "eu_dsa_art10", "eu_nis2", "gdpr", "uk_gdpr", "au_esafety", "au_ndb",
    "us_take_it_down", "us_ncmec", "us_2703f", "us_sec",
]  # fmt: skip
REGIMES: tuple[str, ...] = get_args(Regime)

#: Statuses after which an incident no longer belongs to the live queue.
TERMINAL_STATUSES = frozenset({"closed", "false_positive", "merged"})

# --- scalar checks ----------------------------------------------------------------------

RFC3339_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
_RFC3339 = re.compile(RFC3339_PATTERN)
#: printable: no control, format, separator or unassigned characters, except the space
PRINTABLE_PATTERN = r"^(?:[^\p{C}\p{Z}]| )+$"


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 time with an offset; raise ValueError with a readable reason."""
    if not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 time with an offset, e.g. 2026-11-22T03:00:00Z")
    text = value
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    # Python accepts at most 6 fractional digits; RFC 3339 allows more.
    dot = text.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        if end - dot - 1 > 6:
            text = text[: dot + 7] + text[end:]
    try:
        return datetime.fromisoformat(text.replace("t", "T"))
    except ValueError as exc:  # e.g. month 13
        raise ValueError(f"is not a valid time: {exc}") from None


#: A time must fall in these years once converted to UTC, and a date in these years
#: (docs/journal.md). RFC 3339 allows ``0001-01-01T00:00:00+23:59`` or
#: ``9999-12-31T23:59:59-23:59``, whose UTC instants Python (like most languages' datetime
#: types) cannot represent; and a time at the very edge of what it can represent overflows
#: as soon as a clock adds a duration to it. A thousand years of margin on each side keeps
#: every sum a reader makes (due times, rotations, reporting periods: all under 400 days)
#: representable, and no real event is outside it.
MIN_YEAR, MAX_YEAR = 1000, 8999
_TIME_RANGE = f"is outside the years {MIN_YEAR}-{MAX_YEAR} in UTC"


def utc_time(value: str | None) -> datetime | None:
    """An RFC 3339 time read back from the store, in UTC (None: absent or malformed)."""
    if not value:
        return None
    try:
        return parse_rfc3339(value).astimezone(UTC)
    except ValueError:
        return None


def _check_time(value: str) -> str:
    # the shape is checked by the pattern (in pydantic-core); this checks the calendar and
    # that the instant, in UTC, is in the range every reader can compute with
    try:
        parsed = _fromisoformat(value)  # fast path: most times Python parses as they are
    except ValueError:
        parsed = parse_rfc3339(value)
    try:
        year = parsed.astimezone(UTC).year
    except OverflowError:
        raise ValueError(_TIME_RANGE) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(_TIME_RANGE)
    return value


_fromisoformat = datetime.fromisoformat


@lru_cache(maxsize=512)
def _zone_known(name: str) -> bool:
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _check_zone(value: str) -> str:
    if not _zone_known(value):
        raise ValueError(f"unknown time zone {value!r} (expected an IANA zone such as Europe/London)")
    return value


def _check_date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        year = date.fromisoformat(value).year
    except ValueError as exc:
        raise ValueError(f"is not a valid date: {exc}") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"is outside the years {MIN_YEAR}-{MAX_YEAR}")
    return value


def _check_hhmm(value: str) -> str:
    m = re.fullmatch(r"(\d{2}):(\d{2})", value)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError("must be a local time HH:MM (00:00 to 23:59)")
    return value


Time = Annotated[str, Field(pattern=RFC3339_PATTERN), AfterValidator(_check_time)]
EventId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")]
IncidentId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9\-]+$")]
Actor = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE_PATTERN)]
Handle = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE_PATTERN)]
Ident = Annotated[str, Field(min_length=1, max_length=64)]
ItemId = Annotated[str, Field(min_length=1, max_length=32)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Text8000 = Annotated[str, Field(max_length=8000)]
NonEmpty8000 = Annotated[str, Field(min_length=1, max_length=8000)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Zone = Annotated[str, AfterValidator(_check_zone)]
DateStr = Annotated[str, AfterValidator(_check_date)]
HHMM = Annotated[str, AfterValidator(_check_hhmm)]


class _Strict(BaseModel):
    # extra members are accepted and ignored: the raw line keeps them.
    # validators are built on first use, not at import (the console paints before it validates)
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, defer_build=True)


_S = TypeVar("_S", bound=_Strict)


class EventData(_Strict):
    """The ``data`` of one type: ``TYPE`` names it. A writer builds an event from one
    (:class:`Draft`), never from a raw dict."""

    TYPE: ClassVar[str]


# --- data models, one per core type -----------------------------------------------------


class IncidentOpened(EventData):
    TYPE: ClassVar[str] = "incident.opened"
    title: Text200
    category: Category
    severity: Annotated[int, Field(ge=1, le=4)]
    source: Source
    regions: Annotated[list[Region], Field(min_length=1)]
    summary: Text8000 | None = None
    detected_at: Time | None = None
    restricted: bool | None = None


class IncidentUpdated(EventData):
    """Only the members given change (``model_fields_set``); ``summary`` may be null to
    clear it, the others may not be null."""

    TYPE: ClassVar[str] = "incident.updated"

    title: Text200 = None  # type: ignore[assignment]
    summary: Text8000 | None = None
    category: Category = None  # type: ignore[assignment]
    source: Source = None  # type: ignore[assignment]
    regions: Annotated[list[Region], Field(min_length=1)] = None  # type: ignore[assignment]
    restricted: bool = None  # type: ignore[assignment]


class IncidentSeveritySet(EventData):
    TYPE: ClassVar[str] = "incident.severity_set"
    severity: Annotated[int, Field(ge=1, le=4)]
    reason: Text8000 | None = None


class IncidentStatusSet(EventData):
    TYPE: ClassVar[str] = "incident.status_set"
    status: Status
    reason: Text8000 | None = None


class IncidentRoleSet(EventData):
    TYPE: ClassVar[str] = "incident.role_set"
    role: Role
    # required, but may be null to clear the role
    person: Handle | None


class IncidentNote(EventData):
    TYPE: ClassVar[str] = "incident.note"
    text: NonEmpty8000
    pinned: bool | None = None


class IncidentAction(EventData):
    TYPE: ClassVar[str] = "incident.action"
    kind: Annotated[str, Field(min_length=1, max_length=64)]
    text: NonEmpty8000
    ref: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class IncidentParticipant(EventData):
    """``incident.participant_added`` / ``incident.participant_removed`` (an extension,
    docs/journal.md): who may see a restricted incident's details besides its role holders."""

    person: Handle
    reason: Text8000 | None = None


class IncidentParticipantAdded(IncidentParticipant):
    TYPE: ClassVar[str] = "incident.participant_added"


class IncidentParticipantRemoved(IncidentParticipant):
    TYPE: ClassVar[str] = "incident.participant_removed"


#: how an incident is linked to another (``incident.linked``, an extension: docs/links.md):
#: what the incident it is written on is to ``other``; ``unlinked`` removes the link
LinkKind = Literal["related", "parent", "child", "duplicate_of", "unlinked"]
LINK_KINDS: tuple[str, ...] = get_args(LinkKind)


class IncidentLinked(EventData):
    """``incident.linked`` (an extension, docs/links.md): this incident is ``kind`` of
    ``other`` (``parent``: its parent; ``duplicate_of``: a duplicate of it); the latest link
    between two incidents wins, ``unlinked`` removes it."""

    TYPE: ClassVar[str] = "incident.linked"
    other: IncidentId
    kind: LinkKind
    note: Text8000 | None = None


class ChecklistAdded(EventData):
    TYPE: ClassVar[str] = "checklist.added"
    item: ItemId
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    team: Team
    due: Time | None = None
    basis: Annotated[str, Field(max_length=2000)] | None = None
    template: Annotated[str, Field(max_length=200)] | None = None


class ChecklistRetimed(EventData):
    """``checklist.retimed`` (an extension, docs/journal.md): an item's due time moved by
    its procedure (a severity change, a preservation extended); ``reason`` says why."""

    TYPE: ClassVar[str] = "checklist.retimed"
    item: ItemId
    due: Time
    reason: NonEmpty8000


class ChecklistSet(EventData):
    TYPE: ClassVar[str] = "checklist.set"
    item: ItemId
    state: ChecklistState
    note: Text8000 | None = None

    @model_validator(mode="after")
    def _note_when_needed(self) -> "ChecklistSet":
        if self.state in ("skipped", "blocked") and not (self.note and self.note.strip()):
            raise ValueError(f"a note is required when the state is {self.state!r}")
        return self


class RosterPerson(EventData):
    TYPE: ClassVar[str] = "roster.person"
    handle: Handle
    name: Annotated[str, Field(min_length=1, max_length=200)]
    team: Team
    region: Region
    tz: Zone


class RosterRotation(EventData):
    TYPE: ClassVar[str] = "roster.rotation"
    rotation: Ident
    team: Team
    region: Region
    tz: Zone
    days: Annotated[list[Weekday], Field(min_length=1, max_length=7)]
    start: HHMM
    hours: Annotated[float, Field(gt=0, le=168)] | Annotated[int, Field(gt=0, le=168)]
    members: Annotated[list[Handle], Field(min_length=1)]
    anchor: DateStr
    turn_days: Annotated[int, Field(ge=1, le=366)] | None = None


class RosterOverride(EventData):
    TYPE: ClassVar[str] = "roster.override"
    rotation: Ident
    person: Handle
    start: Time
    end: Time
    reason: Text8000 | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> "RosterOverride":
        if parse_rfc3339(self.end) <= parse_rfc3339(self.start):
            raise ValueError("end must be after start")
        return self


class HandoffSubmitted(EventData):
    TYPE: ClassVar[str] = "handoff.submitted"
    handoff: Ident
    from_: Annotated[Handle, Field(alias="from")]
    to: Handle
    region: Region | None = None
    notes: Annotated[str, Field(max_length=65_536)]


class HandoffAcknowledged(EventData):
    TYPE: ClassVar[str] = "handoff.acknowledged"
    handoff: Ident
    readback: Annotated[str, Field(min_length=1, max_length=65_536)]


# --- extension members of core types (docs/journal.md, docs/handoff.md) -----------------
# A format-1 reader ignores them. warroom's writer refuses them malformed; its reader
# takes what is well formed and ignores the rest, so a line a plain format-1 reader
# accepts is never quarantined for them.

Trend = Literal["stable", "watch", "unstable"]
TRENDS: tuple[str, ...] = get_args(Trend)


class HandoffEntry(_Strict):
    """One active incident as the outgoing commander hands it over."""

    incident: IncidentId
    trend: Trend
    severity: Annotated[int, Field(ge=1, le=4)] | None = None  # as it was at the handoff
    status: Status | None = None
    summary: Annotated[str, Field(max_length=500)] | None = None
    contingencies: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=2000)]], Field(max_length=20)] | None
    ) = None


class HandoffSubmittedExtension(_Strict):
    shift_start: Time | None = None  # the start of the shift the report covers
    incidents: Annotated[list[HandoffEntry], Field(max_length=2000)] | None = None


class HandoffSubmission(HandoffSubmitted, HandoffSubmittedExtension):
    """A ``handoff.submitted`` as warroom's console writes it: the core members and the
    extension members (built with ``model_validate``: ``from`` is a keyword)."""


Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class RosterPersonExtension(_Strict):
    email: Email | None = None  # their work address, to match calendar events (docs/roster.md)


class RosterPersonEntry(RosterPersonExtension, RosterPerson):
    """A ``roster.person`` as warroom's roster import writes it: the core members and the
    extension's ``email``."""


class IncidentActionExtension(_Strict):
    """``incident.action``'s extension members: a trigger's (docs/sop.md): when it really
    happened, when that is earlier than the entry, and which rule applies; a stakeholder
    update's (docs/updates.md)."""

    at: Time | None = None
    regime: Regime | None = None
    # a stakeholder update's (docs/updates.md): who it was for, the channels it was sent to
    # (delivered or not), the SHA-256 of its text
    audience: Literal["executives", "legal", "policy", "comms", "partners"] | None = None
    channels: (
        Annotated[list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]], Field(max_length=32)]
        | None
    ) = None
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class StakeholderUpdate(IncidentAction, IncidentActionExtension):
    """An ``incident.action`` of kind ``stakeholder_update`` as warroom writes a sent update
    (docs/updates.md): the core members and ``audience``, ``channels`` and ``sha256``."""


class TriggerAction(IncidentAction, IncidentActionExtension):
    """An ``incident.action`` as the console writes a trigger: the core members and ``at``
    and ``regime``."""


class ItemTrigger(_Strict):
    """What started a checklist item's clock: the trigger's kind, when, and its ``ref``."""

    kind: TriggerKind
    at: Time
    ref: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class ChecklistAddedExtension(_Strict):
    """A procedure item's extension members (docs/sop.md): the template step it comes
    from, what started its clock, and whether it is a preservation hold (its due time is
    when the hold ends)."""

    step: ItemId | None = None
    trigger: ItemTrigger | None = None
    hold: bool | None = None
    calendar: Annotated[str, Field(min_length=1, max_length=16)] | None = None


class ChecklistStep(ChecklistAdded, ChecklistAddedExtension):
    """A ``checklist.added`` as the procedures write it: the core members and the extension."""


EXTENSIONS: dict[str, type[_Strict]] = {
    "handoff.submitted": HandoffSubmittedExtension,
    "roster.person": RosterPersonExtension,
    "incident.action": IncidentActionExtension,
    "checklist.added": ChecklistAddedExtension,
}


def read_extension(model: type[_S], data: Any) -> _S:
    """The reader's view of extension members: each member well formed is kept, the rest
    ignored (never quarantined)."""
    if not isinstance(data, dict):
        return model()
    kept: dict[str, Any] = {}
    for name in model.model_fields:
        if name in data:
            try:
                model.model_validate({name: data[name]})
            except ValidationError:
                continue
            kept[name] = data[name]
    return model.model_validate(kept)


def check_extension(event_type: str, data: Any, ts: str | None = None) -> None:
    """The writer's check of a type's extension members (``ts``: the entry's time, which a
    trigger's ``at`` may not be after). Raises EventError."""
    model = EXTENSIONS.get(event_type)
    if model is None or not isinstance(data, dict):
        return
    try:
        got = model.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(message=p.message, field=("data", *p.field), text="data." + p.text)
            for p in error_problems(exc)
        ]
        more = len(problems) - 3
        parts = [p.text for p in problems[:3]] + ([f"and {more} more"] if more > 0 else [])
        raise EventError("; ".join(parts), problems) from None
    at = getattr(got, "at", None)
    if isinstance(got, IncidentActionExtension) and at is not None and isinstance(ts, str):
        try:
            later = parse_rfc3339(at) > parse_rfc3339(ts)
        except ValueError:
            later = False
        if later:
            problem = Problem.at(
                ("data", "at"), "is after the entry's own time: `at` says when it really happened, earlier"
            )
            raise EventError(problem.text, [problem])


def read_handoff_extension(data: Any) -> HandoffSubmittedExtension:
    """The reader's view of a ``handoff.submitted``'s extension members: what is well
    formed (entry by entry), the rest ignored."""
    if not isinstance(data, dict):
        return HandoffSubmittedExtension()
    shift_start = data.get("shift_start")
    entries: list[HandoffEntry] = []
    raw = data.get("incidents")
    for item in raw if isinstance(raw, list) else ():
        try:
            entries.append(HandoffEntry.model_validate(item))
        except ValidationError:
            continue
    try:
        return HandoffSubmittedExtension.model_validate({"shift_start": shift_start, "incidents": entries})
    except ValidationError:
        return HandoffSubmittedExtension(incidents=entries)


def read_person_email(data: Any) -> str | None:
    """The reader's view of a ``roster.person``'s ``email``: the address if well formed,
    else None (ignored, never quarantined)."""
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        return None
    try:
        return RosterPersonExtension.model_validate({"email": data["email"]}).email
    except ValidationError:
        return None


# --- post-mortems (an extension of format 1: docs/postmortem.md) ------------------------

PostmortemSection = Literal[
    "summary",
    "impact",
    "root_cause",
    "contributing_factors",
    "five_whys",
    "went_well",
    "got_lucky",
    "lessons",
]
PostmortemStatus = Literal["draft", "in_review", "reviewed", "closed"]
PostmortemActionKind = Literal["mitigate", "prevent", "process"]
PostmortemActionState = Literal["open", "done", "dropped"]
PM_SECTIONS: tuple[str, ...] = get_args(PostmortemSection)
PM_STATUSES: tuple[str, ...] = get_args(PostmortemStatus)
PM_ACTION_KINDS: tuple[str, ...] = get_args(PostmortemActionKind)
PM_ACTION_STATES: tuple[str, ...] = get_args(PostmortemActionState)
PM_SECTION_MAX = 20_000


class PostmortemSectionSet(EventData):
    """The whole text of one section (empty clears it); the latest wins."""

    TYPE: ClassVar[str] = "postmortem.section_set"

    section: PostmortemSection
    text: Annotated[str, Field(max_length=PM_SECTION_MAX)]


class PostmortemStatusSet(EventData):
    TYPE: ClassVar[str] = "postmortem.status_set"
    status: PostmortemStatus
    reason: Text8000 | None = None


class PostmortemActionAdded(EventData):
    TYPE: ClassVar[str] = "postmortem.action_added"
    action: ItemId  # unique within the incident
    kind: PostmortemActionKind
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    owner: Handle
    due: Time | None = None


class PostmortemActionSet(EventData):
    TYPE: ClassVar[str] = "postmortem.action_set"
    action: ItemId
    state: PostmortemActionState
    note: Text8000 | None = None

    @model_validator(mode="after")
    def _note_when_dropped(self) -> "PostmortemActionSet":
        if self.state == "dropped" and not (self.note and self.note.strip()):
            raise ValueError("a note is required when the state is 'dropped'")
        return self


class PostmortemPinSet(EventData):
    TYPE: ClassVar[str] = "postmortem.pin_set"
    event: EventId  # the id of an event on the incident's timeline
    pinned: bool


class PostmortemMeeting(EventData):
    TYPE: ClassVar[str] = "postmortem.meeting"
    at: Time
    attendees: Annotated[list[Handle], Field(max_length=100)] | None = None
    note: Text8000 | None = None


# --- decisions (an extension of format 1: docs/decisions.md) ---------------------------

#: a decision's id, unique within its incident (the console writes D-1, D-2, ...)
DecisionId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
#: who approves a decision: one of the incident roles, or a team
ApproverRole = Literal[
    "commander", "deputy", "scribe", "comms", "legal", "le_response", "liaison", "policy",
    "child_safety", "emergency_response", "product", "security_privacy", "leadership",
]  # fmt: skip
APPROVER_ROLES: tuple[str, ...] = get_args(ApproverRole)


class DecisionApprover(_Strict):
    """One person who approved a decision, in the role (or for the team) they approved it."""

    person: Handle
    role: ApproverRole


class DecisionRecorded(EventData):
    """``decision.recorded``: a decision, the options considered, why, who approved it.
    Never edited: a later decision ``supersedes`` it (docs/decisions.md)."""

    TYPE: ClassVar[str] = "decision.recorded"
    decision: DecisionId
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    options: Annotated[list[Annotated[str, Field(min_length=1, max_length=2000)]], Field(max_length=20)]
    rationale: NonEmpty8000
    approvers: Annotated[list[DecisionApprover], Field(min_length=1, max_length=10)]
    basis: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    reversible: bool
    supersedes: DecisionId | None = None

    @model_validator(mode="after")
    def _not_blank(self) -> "DecisionRecorded":
        for name in ("text", "rationale"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name}: cannot be blank")
        return self


# --- pages (an extension of format 1: docs/escalation.md) -------------------------------


class PageSent(EventData):
    """``page.sent``: an escalation step paged someone about an unacknowledged incident.
    Written before the message is sent, under the id ``page:<incident>:<step>:<repeat>``,
    so that one notifier only sends it (data/comms/escalation.py)."""

    TYPE: ClassVar[str] = "page.sent"
    step: Annotated[int, Field(ge=1, le=9)]
    repeat: Annotated[int, Field(ge=0, le=9999)]
    policy: Annotated[str, Field(min_length=1, max_length=16)]
    notify: Annotated[str, Field(min_length=1, max_length=80)]
    person: Handle | None = None  # None: nobody on call then (the channel alone is paged)
    channel: Annotated[str, Field(min_length=1, max_length=32)]


class PageDelivered(EventData):
    """``page.delivered``: what sending a page did (``ok``; ``error`` for people, no URL)."""

    TYPE: ClassVar[str] = "page.delivered"
    page: EventId
    ok: bool
    error: Annotated[str, Field(min_length=1, max_length=300)] | None = None


# --- written responses and the disclosure ledger (an extension, docs/disclosures.md) ----

#: who a response goes to or a disclosure was made to
AgencyType = Literal["law_enforcement", "regulator", "government", "court", "other"]
AGENCY_TYPES: tuple[str, ...] = get_args(AgencyType)
#: the categories of user data a disclosure gives (docs/disclosures.md)
DisclosureCategory = Literal["subscriber", "ip_logs", "content", "location", "other"]
DISCLOSURE_CATEGORIES: tuple[str, ...] = get_args(DisclosureCategory)
ReviewVerdict = Literal["approved", "changes_requested"]
REVIEW_VERDICTS: tuple[str, ...] = get_args(ReviewVerdict)
#: a response's id, unique within its incident
ResponseId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")]
#: ISO 3166-1 alpha-2
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Line200 = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE_PATTERN)]
Channel = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE_PATTERN)]
RESPONSE_TEXT_MAX = 20_000


class ResponseDrafted(EventData):
    """A draft (or a new draft) of a written response; its writer is the drafter."""

    TYPE: ClassVar[str] = "response.drafted"
    response: ResponseId
    template: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    agency: Line200
    agency_type: AgencyType
    country: Country
    channel: Channel
    text: Annotated[str, Field(min_length=1, max_length=RESPONSE_TEXT_MAX)]


class ResponseReviewed(EventData):
    """A review of a response's latest draft by a second person holding the legal role."""

    TYPE: ClassVar[str] = "response.reviewed"
    response: ResponseId
    reviewer: Handle
    verdict: ReviewVerdict
    note: Text8000 | None = None


class ResponseSent(EventData):
    """The approved latest draft was sent: its text's sha256 and the channel."""

    TYPE: ClassVar[str] = "response.sent"
    response: ResponseId
    sha256: Sha256
    channel: Channel
    at: Time | None = None


class DisclosureRecorded(EventData):
    """One disclosure of user data: a ledger entry (docs/disclosures.md)."""

    TYPE: ClassVar[str] = "disclosure.recorded"
    categories: Annotated[list[DisclosureCategory], Field(min_length=1, max_length=5)]
    account: Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE_PATTERN)]
    agency: Line200
    agency_type: AgencyType
    country: Country
    basis: Annotated[str, Field(min_length=1, max_length=2000, pattern=PRINTABLE_PATTERN)]
    approved_by: Annotated[list[Handle], Field(min_length=1, max_length=20)]
    response: ResponseId | None = None

    @model_validator(mode="after")
    def _distinct(self) -> "DisclosureRecorded":
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("categories: each category at most once")
        if len(set(self.approved_by)) != len(self.approved_by):
            raise ValueError("approved_by: each person at most once")
        return self


# --- audit events (an extension, docs/privacy.md): not incident-scoped ----------------

#: the kinds of user identifiers the console masks (data/privacy/mask.py)
IdentifierKind = Literal["email", "handle", "phone", "ip", "account"]
RevealField = Literal["title", "summary"]


class AuditReveal(EventData):
    """``audit.reveal``: someone revealed the masked identifiers of one entry (a timeline
    event, or the incident's title and summary) for one view. Never the values."""

    TYPE: ClassVar[str] = "audit.reveal"

    incident: IncidentId
    entry: EventId | None = None  # the id of the timeline event revealed
    fields: Annotated[list[RevealField], Field(min_length=1, max_length=2)] | None = None
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    kinds: Annotated[list[IdentifierKind], Field(min_length=1, max_length=5)]

    @model_validator(mode="after")
    def _one_target(self) -> "AuditReveal":
        if (self.entry is None) == (self.fields is None):
            raise ValueError("give either entry (an event id) or fields (title, summary), not both")
        if not self.reason.strip():
            raise ValueError("reason: give a reason")
        if len(set(self.kinds)) != len(self.kinds):
            raise ValueError("kinds: each kind at most once")
        return self


class AuditUnmaskedExport(EventData):
    """``audit.unmasked_export``: an export, handoff or post-mortem was written with the
    identifiers of users unmasked (``--unmasked``). What was exported, never the values."""

    TYPE: ClassVar[str] = "audit.unmasked_export"

    kind: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]
    format: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[a-z]+$")]
    incident: IncidentId | None = None
    region: Annotated[str, Field(min_length=1, max_length=16)] | None = None


# --- signals: intake and triage (an extension of format 1: docs/intake.md) -------------
# Global types (no incident): a signal is not an incident until triage promotes it.

#: where a signal came from (docs/intake.md lists what each means)
SignalChannel = Literal[
    "le_portal", "le_email", "ncmec", "gifct", "partner", "regulator", "press", "detection",
    "user_report", "employee", "email", "webhook", "other",
]  # fmt: skip
SIGNAL_CHANNELS: tuple[str, ...] = get_args(SignalChannel)
#: what triage did with a signal (``reopened``: back to the untriaged list)
SignalOutcome = Literal["promoted", "attached", "duplicate", "dismissed", "snoozed", "reopened"]
SIGNAL_OUTCOMES: tuple[str, ...] = get_args(SignalOutcome)
#: a signal's id (the writer makes ``SIG-`` and 8 characters of Crockford base32)
SignalId = Annotated[str, Field(pattern=r"^SIG-[0-9A-Z]{4,26}$")]
#: the largest payload a signal keeps (bytes); larger ones are refused whole
SIGNAL_RAW_MAX = 4 * 1024 * 1024
#: base64 characters of the payload carried by the signal.received line itself ...
SIGNAL_RAW_INLINE = 65_536
#: ... and by each signal.payload line, for a payload too large to be inline
SIGNAL_PART_CHARS = 180_000
SIGNAL_PARTS_MAX = -(-((SIGNAL_RAW_MAX + 2) // 3 * 4) // SIGNAL_PART_CHARS)
SIGNAL_BODY_MAX = 8000
Base64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$")]


def _b64_size(text: str) -> int:
    """The number of bytes ``text`` (base64, padded) decodes to."""
    if len(text) % 4:
        raise ValueError("is not padded base64 (its length is not a multiple of 4)")
    return len(text) // 4 * 3 - (len(text) - len(text.rstrip("=")))


class SignalAttachment(_Strict):
    """An attachment of an e-mail signal: listed, never stored."""

    name: Annotated[str, Field(max_length=300)]
    type: Annotated[str, Field(min_length=1, max_length=128)]
    size: Annotated[int, Field(ge=0)]


class SignalReceived(EventData):
    """``signal.received``: something reached the team (docs/intake.md). The payload is kept
    byte-exact: base64 in ``raw`` when it fits, else in ``raw_parts`` ``signal.payload``
    lines written right after this one; ``raw_size`` and ``raw_sha256`` are the whole's.
    A signal with the channel and ``ref`` of an earlier one is a repeat of it (the reader
    decides, so every console agrees)."""

    TYPE: ClassVar[str] = "signal.received"
    signal: SignalId
    channel: SignalChannel
    ref: Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE_PATTERN)] | None = None
    received_at: Time
    title: Annotated[str, Field(min_length=1, max_length=300)]
    body: Annotated[str, Field(max_length=SIGNAL_BODY_MAX)] = ""
    body_truncated: bool = False  # ``body`` is the start of a longer text (the payload has all)
    reporter: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    accounts: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)] = []
    urls: Annotated[list[Annotated[str, Field(min_length=1, max_length=2000)]], Field(max_length=20)] = []
    attachments: Annotated[list[SignalAttachment], Field(max_length=100)] = []
    raw_type: Annotated[str, Field(max_length=128, pattern=r"^[a-z]+/[A-Za-z0-9.+\-]+$")]
    raw_size: Annotated[int, Field(ge=0, le=SIGNAL_RAW_MAX)]
    raw_sha256: Sha256Hex
    raw: Annotated[Base64, Field(max_length=SIGNAL_RAW_INLINE)] = ""
    raw_parts: Annotated[int, Field(ge=0, le=SIGNAL_PARTS_MAX)] = 0

    @model_validator(mode="after")
    def _payload(self) -> "SignalReceived":
        if not self.title.strip():
            raise ValueError("title: cannot be blank")
        if self.raw_parts and self.raw:
            raise ValueError("raw: give the payload inline or in parts, not both")
        if not self.raw_parts:
            if _b64_size(self.raw) != self.raw_size:
                raise ValueError("raw: the payload's size is not raw_size")
            try:
                payload = base64.b64decode(self.raw, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"raw: is not base64 ({exc})") from None
            if hashlib.sha256(payload).hexdigest() != self.raw_sha256:
                raise ValueError("raw: the payload's sha256 is not raw_sha256")
        return self


class SignalPayload(EventData):
    """``signal.payload``: part ``part`` (from 1) of a large signal's payload (base64)."""

    TYPE: ClassVar[str] = "signal.payload"
    signal: SignalId
    part: Annotated[int, Field(ge=1, le=SIGNAL_PARTS_MAX)]
    data: Annotated[Base64, Field(min_length=4, max_length=SIGNAL_PART_CHARS)]

    @model_validator(mode="after")
    def _padded(self) -> "SignalPayload":
        _b64_size(self.data)
        return self


class SignalTriaged(EventData):
    """``signal.triaged``: what triage did with a signal; the latest one stands."""

    TYPE: ClassVar[str] = "signal.triaged"
    signal: SignalId
    outcome: SignalOutcome
    incident: IncidentId | None = None  # promoted (the incident opened) or attached to
    duplicate_of: SignalId | None = None
    reason: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    until: Time | None = None  # snoozed until

    @model_validator(mode="after")
    def _complete(self) -> "SignalTriaged":
        o = self.outcome
        if (self.incident is not None) != (o in ("promoted", "attached")):
            raise ValueError("incident: give it for promoted or attached, and only then")
        if (self.duplicate_of is not None) != (o == "duplicate"):
            raise ValueError("duplicate_of: give it for duplicate, and only then")
        if self.duplicate_of == self.signal:
            raise ValueError("duplicate_of: a signal cannot duplicate itself")
        if (self.until is not None) != (o == "snoozed"):
            raise ValueError("until: give it for snoozed, and only then")
        if o == "dismissed" and not (self.reason and self.reason.strip()):
            raise ValueError("reason: give the reason for dismissing it")
        return self


SCOPED_PREFIXES = ("incident.", "checklist.", "postmortem.", "decision.", "page.", "response.", "disclosure.")


def is_scoped(event_type: str) -> bool:
    """Types that must name an incident."""
    return event_type.startswith(SCOPED_PREFIXES)


# --- the envelope and whole events ------------------------------------------------------


class _Envelope(_Strict):
    """Members every line carries (each event class adds ``type``, ``incident``, ``data``)."""

    v: Annotated[int, Field(ge=FORMAT_VERSION, le=FORMAT_VERSION)]
    id: EventId
    ts: Time
    actor: Actor
    prev: Sha256Hex | None

    #: False for a type this version does not know (:class:`UnknownEvent`)
    known: ClassVar[bool] = True


class UnknownEvent(_Envelope):
    """An event of a type this version does not know: ``data`` is any object. Applied to
    nothing, stored as it is (docs/journal.md: readers ignore unknown types)."""

    type: Annotated[str, Field(min_length=1, max_length=64)]
    incident: IncidentId | None = None
    data: dict[str, Any]

    known: ClassVar[bool] = False


# One class per type of format 1 (and warroom's extensions, docs/journal.md): ``type`` is
# the tag of the union, ``data`` the type's model. An incident's types require ``incident``.


class IncidentOpenedEvent(_Envelope):
    type: Literal["incident.opened"]
    incident: IncidentId
    data: IncidentOpened


class IncidentUpdatedEvent(_Envelope):
    type: Literal["incident.updated"]
    incident: IncidentId
    data: IncidentUpdated


class IncidentSeveritySetEvent(_Envelope):
    type: Literal["incident.severity_set"]
    incident: IncidentId
    data: IncidentSeveritySet


class IncidentStatusSetEvent(_Envelope):
    type: Literal["incident.status_set"]
    incident: IncidentId
    data: IncidentStatusSet


class IncidentRoleSetEvent(_Envelope):
    type: Literal["incident.role_set"]
    incident: IncidentId
    data: IncidentRoleSet


class IncidentNoteEvent(_Envelope):
    type: Literal["incident.note"]
    incident: IncidentId
    data: IncidentNote


class IncidentActionEvent(_Envelope):
    type: Literal["incident.action"]
    incident: IncidentId
    data: IncidentAction


class IncidentParticipantAddedEvent(_Envelope):
    type: Literal["incident.participant_added"]
    incident: IncidentId
    data: IncidentParticipantAdded


class IncidentParticipantRemovedEvent(_Envelope):
    type: Literal["incident.participant_removed"]
    incident: IncidentId
    data: IncidentParticipantRemoved


class IncidentLinkedEvent(_Envelope):
    type: Literal["incident.linked"]
    incident: IncidentId
    data: IncidentLinked


class ChecklistAddedEvent(_Envelope):
    type: Literal["checklist.added"]
    incident: IncidentId
    data: ChecklistAdded


class ChecklistRetimedEvent(_Envelope):
    type: Literal["checklist.retimed"]
    incident: IncidentId
    data: ChecklistRetimed


class ChecklistSetEvent(_Envelope):
    type: Literal["checklist.set"]
    incident: IncidentId
    data: ChecklistSet


class PostmortemSectionSetEvent(_Envelope):
    type: Literal["postmortem.section_set"]
    incident: IncidentId
    data: PostmortemSectionSet


class PostmortemStatusSetEvent(_Envelope):
    type: Literal["postmortem.status_set"]
    incident: IncidentId
    data: PostmortemStatusSet


class PostmortemActionAddedEvent(_Envelope):
    type: Literal["postmortem.action_added"]
    incident: IncidentId
    data: PostmortemActionAdded


class PostmortemActionSetEvent(_Envelope):
    type: Literal["postmortem.action_set"]
    incident: IncidentId
    data: PostmortemActionSet


class PostmortemPinSetEvent(_Envelope):
    type: Literal["postmortem.pin_set"]
    incident: IncidentId
    data: PostmortemPinSet


class PostmortemMeetingEvent(_Envelope):
    type: Literal["postmortem.meeting"]
    incident: IncidentId
    data: PostmortemMeeting


class DecisionRecordedEvent(_Envelope):
    type: Literal["decision.recorded"]
    incident: IncidentId
    data: DecisionRecorded


class PageSentEvent(_Envelope):
    type: Literal["page.sent"]
    incident: IncidentId
    data: PageSent


class PageDeliveredEvent(_Envelope):
    type: Literal["page.delivered"]
    incident: IncidentId
    data: PageDelivered


class ResponseDraftedEvent(_Envelope):
    type: Literal["response.drafted"]
    incident: IncidentId
    data: ResponseDrafted


class ResponseReviewedEvent(_Envelope):
    type: Literal["response.reviewed"]
    incident: IncidentId
    data: ResponseReviewed


class ResponseSentEvent(_Envelope):
    type: Literal["response.sent"]
    incident: IncidentId
    data: ResponseSent


class DisclosureRecordedEvent(_Envelope):
    type: Literal["disclosure.recorded"]
    incident: IncidentId
    data: DisclosureRecorded


class RosterPersonEvent(_Envelope):
    type: Literal["roster.person"]
    incident: IncidentId | None = None
    data: RosterPerson


class RosterRotationEvent(_Envelope):
    type: Literal["roster.rotation"]
    incident: IncidentId | None = None
    data: RosterRotation


class RosterOverrideEvent(_Envelope):
    type: Literal["roster.override"]
    incident: IncidentId | None = None
    data: RosterOverride


class HandoffSubmittedEvent(_Envelope):
    type: Literal["handoff.submitted"]
    incident: IncidentId | None = None
    data: HandoffSubmitted


class HandoffAcknowledgedEvent(_Envelope):
    type: Literal["handoff.acknowledged"]
    incident: IncidentId | None = None
    data: HandoffAcknowledged


class AuditRevealEvent(_Envelope):
    type: Literal["audit.reveal"]
    incident: IncidentId | None = None
    data: AuditReveal


class AuditUnmaskedExportEvent(_Envelope):
    type: Literal["audit.unmasked_export"]
    incident: IncidentId | None = None
    data: AuditUnmaskedExport


class SignalReceivedEvent(_Envelope):
    type: Literal["signal.received"]
    incident: IncidentId | None = None
    data: SignalReceived


class SignalPayloadEvent(_Envelope):
    type: Literal["signal.payload"]
    incident: IncidentId | None = None
    data: SignalPayload


class SignalTriagedEvent(_Envelope):
    type: Literal["signal.triaged"]
    incident: IncidentId | None = None
    data: SignalTriaged


#: a post-mortem's events (docs/postmortem.md)
PostmortemEvent = (
    PostmortemSectionSetEvent | PostmortemStatusSetEvent | PostmortemActionAddedEvent
    | PostmortemActionSetEvent | PostmortemPinSetEvent | PostmortemMeetingEvent
)  # fmt: skip
#: a written response's events and the ledger's (docs/disclosures.md)
ResponseEvent = ResponseDraftedEvent | ResponseReviewedEvent | ResponseSentEvent
#: the events of one incident (``type`` starts with one of :data:`SCOPED_PREFIXES`)
IncidentEvent = (
    IncidentOpenedEvent | IncidentUpdatedEvent | IncidentSeveritySetEvent | IncidentStatusSetEvent
    | IncidentRoleSetEvent | IncidentNoteEvent | IncidentActionEvent | IncidentParticipantAddedEvent
    | IncidentParticipantRemovedEvent | IncidentLinkedEvent | ChecklistAddedEvent | ChecklistSetEvent
    | ChecklistRetimedEvent | PostmortemEvent | DecisionRecordedEvent | PageSentEvent | PageDeliveredEvent | ResponseEvent
    | DisclosureRecordedEvent
)  # fmt: skip
#: a signal's events (docs/intake.md)
SignalEvent = SignalReceivedEvent | SignalPayloadEvent | SignalTriagedEvent
#: the events of no incident (the roster, handoffs, audits, signals)
GlobalEvent = (
    RosterPersonEvent | RosterRotationEvent | RosterOverrideEvent | HandoffSubmittedEvent
    | HandoffAcknowledgedEvent | AuditRevealEvent | AuditUnmaskedExportEvent | SignalEvent
)  # fmt: skip
#: An event of a type this version knows: one tagged union on ``type`` (pydantic picks the
#: class by the tag; mypy checks that a ``match`` over it handles every class).
Event = Annotated[IncidentEvent | GlobalEvent, Field(discriminator="type")]
#: Any valid event: a known one, or one of a type this version does not know.
Envelope = Event | UnknownEvent

#: type -> its event class, and type -> its data model (both read off the union)
EVENT_MODELS: dict[str, type[_Envelope]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls for cls in get_args(IncidentEvent | GlobalEvent)
}
DATA_MODELS: dict[str, type[_Strict]] = {
    t: cast("type[_Strict]", cls.model_fields["data"].annotation) for t, cls in EVENT_MODELS.items()
}
CORE_TYPES = frozenset(DATA_MODELS)
for _t, _m in DATA_MODELS.items():  # a data model names its type (:class:`Draft`)
    if getattr(_m, "TYPE", None) != _t:
        raise TypeError(f"{_m.__name__}.TYPE must be {_t!r}")


_DataModel = type[EventData]  # (inside Draft, ``type`` is its property)


@dataclass(frozen=True, slots=True)
class Draft:
    """An event to append, built through its type's model, e.g.
    ``Draft(IncidentNote(text="..."), incident="INC-1")``: the type is the model's
    ``TYPE``; warroom fills in ``v``, ``prev`` and, when not given, ``id``, ``ts`` and
    ``actor`` (:func:`data.commands.build_events`, which validates it like any input)."""

    data: EventData
    incident: str | None = None
    id: str | None = None
    ts: str | None = None
    actor: str | None = None

    @property
    def type(self) -> str:
        return self.data.TYPE

    @classmethod
    def of(cls, model: _DataModel, data: Mapping[str, Any], *, incident: str | None = None) -> "Draft":
        """A draft of values given as a mapping (a file's, members named as written, e.g.
        ``from``), built by ``model``. Raises EventError naming each member at fault as the
        writer does (``data.hours: ...``): a file's bad value reads as ``warroom append``'s."""
        try:
            built = model.model_validate(data)
        except ValidationError as exc:
            problems = data_problems(exc)
            more = len(problems) - 3
            parts = [p.text for p in problems[:3]] + ([f"and {more} more"] if more > 0 else [])
            raise EventError("; ".join(parts), problems) from None
        return cls(built, incident=incident)

    def as_input(self) -> dict[str, Any]:
        """The event as the write path's input: the members given, ``data`` as JSON
        (only the members set, so a model's defaults are not written)."""
        out: dict[str, Any] = {"type": self.data.TYPE}
        if self.incident is not None:
            out["incident"] = self.incident
        out["data"] = self.data.model_dump(mode="json", by_alias=True, exclude_unset=True)
        for name in ("id", "ts", "actor"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


_KNOWN: TypeAdapter[Event] = TypeAdapter(Event, config=ConfigDict(defer_build=True))
#: known events validated one class at a time before the union's validator is built: a
#: short command (``warroom append`` of a note, and the sync after it) builds the validators
#: of the types it meets only, not every type's (docs/performance.md); a long read then
#: uses the union (one call into pydantic-core a line). The same results either way.
_FEW = 64


def _validate_few(obj: dict[str, Any]) -> Event:
    global _validate_known, _few_left
    _few_left -= 1
    if _few_left <= 0:
        _validate_known = _KNOWN.validate_python
    return cast("Event", EVENT_MODELS[obj["type"]].model_validate(obj))


_few_left = _FEW
_validate_known: Callable[[dict[str, Any]], Event] = _validate_few
_MEMBERS = ("v", "id", "ts", "actor", "type", "data", "prev")


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One reason a write is refused, as data: which event (``index`` in the batch, its
    ``event`` id), which member (``field``, a path such as ``("data", "text")``; empty for
    the event as a whole), and what is wrong in words for people (``message``). A form
    shows ``message`` at the field that holds ``field``; a line of text says ``line``."""

    message: str
    field: tuple[str, ...] = ()
    index: int | None = None
    event: str | None = None
    #: how people know the event ("event 2", "line 3" of a file, a form's title)
    where: str = ""
    #: the words without ``where`` as a line says them (e.g. ``data.text: cannot be empty``);
    #: empty: the message alone (it names what it is about)
    text: str = ""

    @classmethod
    def at(cls, field: tuple[str, ...], message: str) -> "Problem":
        """A problem of one member, said as ``member: message``."""
        return cls(message=message, field=field, text=f"{'.'.join(field) or 'event'}: {message}")

    @property
    def line(self) -> str:
        """The problem in one line for people, e.g. ``event 2: data.text: cannot be empty``."""
        text = self.text or self.message
        return f"{self.where}: {text}" if self.where else text


class EventError(ValueError):
    """An event that does not conform to format 1; ``str()`` is one readable line, and
    ``problems`` says the same member by member (every error, not only the first few)."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems) or (Problem(message=message),)


def format_error(exc: ValidationError) -> str:
    """One line naming the member and the reason for the first few errors."""
    parts = [p.text for p in error_problems(exc)]
    more = len(parts) - 3
    return "; ".join(parts[:3] + ([f"and {more} more"] if more > 0 else []))


def error_problems(exc: ValidationError) -> list[Problem]:
    """Each error of a validation, member by member."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        # a discriminated union puts the tag first: drop it
        if loc and loc[0] in EVENT_MODELS:
            loc = loc[1:]
        field = tuple(p.replace("from_", "from") for p in loc)
        out.append(Problem.at(field, _human(err, field[-1] if field else "event")))
    return out


def data_problems(exc: ValidationError) -> list[Problem]:
    """The errors of building a type's data model (e.g. ``IncidentNote(text="")``) as
    problems of the event's ``data``, in the words of :func:`format_error`."""
    return [Problem.at(("data", *p.field), p.message) for p in error_problems(exc)]


def _invalid(exc: ValidationError) -> EventError:
    return EventError(format_error(exc), error_problems(exc))


def _human(err: Any, member: str) -> str:
    """One pydantic error in words for people (the member is named by the caller): what
    the value must be, with the limit and what was given, or an example."""
    kind, ctx, given = err["type"], err.get("ctx") or {}, err.get("input")
    size = len(given) if isinstance(given, str | list | dict) else None
    if kind == "missing":
        return "required member is missing"
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(member, "is not in the expected form")
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "cannot be empty" if n <= 1 else f"must be at least {n} characters (it has {size})"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters (it has {size})"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return (
            "cannot be empty: give at least one"
            if n <= 1
            else f"must have at least {n} entries (it has {size})"
        )
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} entries (it has {size})"
    if kind in ("literal_error", "enum"):
        return f"must be one of: {_choices(ctx.get('expected', ''))}"
    if kind in _LIMITS:
        word, key = _LIMITS[kind]
        return f"must be {word} {ctx.get(key)}"
    if kind in _TYPES:
        return f"must be {_TYPES[kind]}"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    return re.sub(r"^(Input|String|List|Value) should ", "must ", msg)


def _choices(expected: str) -> str:
    """pydantic's ``'a', 'b' or 'c'`` as ``a, b, c``."""
    return ", ".join(p.strip().strip("'") for p in re.split(r",| or ", expected) if p.strip())


_LIMITS = {"less_than_equal": ("at most", "le"), "less_than": ("less than", "lt"),
           "greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt")}  # fmt: skip
_TYPES = {"int_type": "a whole number", "int_parsing": "a whole number", "string_type": "text",
          "bool_type": "true or false", "list_type": "a list", "dict_type": "an object",
          "model_type": "an object", "float_type": "a number",
          "extra_forbidden": "left out (not a member of this type)"}  # fmt: skip
_TIME_HINT = "must be an RFC 3339 time with an offset, e.g. 2026-11-22T03:00:00Z"
_PATTERN_HINTS = {
    "id": "must be 1-64 of A-Z a-z 0-9 . _ : -",
    "incident": "must be 1-32 of A-Z 0-9 - (e.g. INC-261122-7K3Q)",
    "prev": "must be 64 lowercase hex digits or null",
    "ts": _TIME_HINT,
    "due": _TIME_HINT,
    "detected_at": _TIME_HINT,
    "at": _TIME_HINT,
    "start": _TIME_HINT,
    "end": _TIME_HINT,
    "actor": "must be 1-64 printable characters",
    "person": "must be 1-64 printable characters",
    "handle": "must be 1-64 printable characters",
    "owner": "must be 1-64 printable characters",
    "event": "must be 1-64 of A-Z a-z 0-9 . _ : -",
    "decision": "must be 1-32 of A-Z a-z 0-9 _ - (e.g. D-1)",
    "supersedes": "must be 1-32 of A-Z a-z 0-9 _ - (e.g. D-1)",
}


def _diagnose(obj: Any) -> Envelope:
    """Slow path for a decoded value the fast path refused: say exactly why, or accept
    it as an event of an unknown type."""
    if not isinstance(obj, dict):
        raise EventError("not a JSON object")
    for name in _MEMBERS:
        if name not in obj:
            raise EventError(
                f"{name}: required member is missing", [Problem.at((name,), "required member is missing")]
            )
    v = obj["v"]
    if type(v) is int and v != FORMAT_VERSION:
        message = f"unsupported format version {v} (this reader knows 1)"
        raise EventError(f"v: {message}", [Problem.at(("v",), message)])
    etype = obj["type"]
    try:
        if isinstance(etype, str) and etype in EVENT_MODELS:
            return EVENT_MODELS[etype].model_validate(obj)  # type: ignore[return-value]
        env = UnknownEvent.model_validate(obj)
    except ValidationError as exc:
        raise _invalid(exc) from None
    if is_scoped(env.type) and env.incident is None:
        message = f"required member is missing for a {env.type} event"
        raise EventError(f"incident: {message}", [Problem.at(("incident",), message)])
    return env


def validate_event(obj: Any) -> Envelope:
    """Validate a decoded JSON value (e.g. from ``json.loads``) as a format-1 event.

    Raises EventError naming the member and the reason. A type this version does not know
    comes back as an :class:`UnknownEvent` (``known`` False).
    """
    if isinstance(obj, dict) and obj.get("type") in EVENT_MODELS:
        try:
            return _validate_known(obj)
        except ValidationError:
            pass
    return _diagnose(obj)


#: How deep a line's JSON may nest (objects and arrays). RFC 8259 lets a parser limit it; this
#: one is far above any real event and below every parser a reader of the journal uses
#: (pydantic-core, orjson, SQLite's JSON functions, Python's json), so whatever warroom
#: accepts, each of them reads.
MAX_DEPTH = 64
#: Integers a line may hold: the 64-bit range (signed or unsigned) that orjson, SQLite and
#: most JSON libraries read exactly.
MIN_INT, MAX_INT = -(2**63), 2**64 - 1
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"0" * 19  # the shortest integer beyond 64 bits has 19 digits


class JsonError(ValueError):
    """A line (or an input) that is not JSON warroom accepts; ``str()`` says why, and
    ``reason`` is what a reader records when it quarantines such a line."""

    def __init__(self, message: str, *, syntax: bool = True) -> None:
        super().__init__(message)
        self.reason = f"not valid JSON: {message}" if syntax else message


def parse_json(raw: bytes | str) -> Any:
    """Parse JSON as every reader of the journal will: the one parser that decides validity.

    orjson parses (so ``NaN``, ``Infinity``, ``1e999``, lone surrogates and invalid UTF-8 are
    refused); on top of it, nesting deeper than :data:`MAX_DEPTH` and integers outside the
    64-bit range (which orjson would silently read as floats) are refused. Raises JsonError.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH:
        depth = _depth(data)
        if depth > MAX_DEPTH:
            raise JsonError(f"nested {depth} levels deep, deeper than the limit of {MAX_DEPTH}", syntax=False)
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = str(exc)
        if reason.startswith("number is infinity"):
            raise JsonError("a number is beyond the range of a 64-bit float", syntax=False) from None
        raise JsonError(reason) from None
    if _LONG_RUN in data.translate(_DIGITS):
        big = _big_integer(data)
        if big is not None:
            shown = big if len(big) <= 24 else big[:24] + "…"
            raise JsonError(f"the integer {shown} is beyond the 64-bit range", syntax=False)
    return obj


def value_problem(value: Any, depth: int = 1) -> str | None:
    """Why a Python value (an event a program built) could not be written as JSON that
    :func:`parse_json` reads back exactly, or None: a float that is not finite (orjson would
    write ``null``), an integer beyond the 64-bit range, nesting deeper than :data:`MAX_DEPTH`,
    or a type JSON has no form for."""
    if value is None or isinstance(value, (str, bool)):
        return None
    if isinstance(value, int):
        return None if MIN_INT <= value <= MAX_INT else f"the integer {value} is beyond the 64-bit range"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"the number {value} is not a finite number"
    if isinstance(value, (dict, list, tuple)):
        if depth > MAX_DEPTH:
            return f"nested deeper than the limit of {MAX_DEPTH} levels"
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            problem = value_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return f"a {type(value).__name__} has no JSON form"


def _depth(data: bytes) -> int:
    """The deepest nesting of objects and arrays, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for b in data:
        if in_string:
            if escaped:
                escaped = False
            elif b == 0x5C:  # backslash
                escaped = True
            elif b == 0x22:
                in_string = False
        elif b == 0x22:
            in_string = True
        elif b in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif b in (0x5D, 0x7D):
            depth -= 1
    return deepest


_NUMBER = re.compile(rb'"(?:[^"\\]|\\.)*"|(-?[0-9]+)(?![0-9.eE])')


def _big_integer(data: bytes) -> str | None:
    """The first integer literal (outside strings) beyond the 64-bit range, if any."""
    for m in _NUMBER.finditer(data):
        digits = m.group(1)
        if digits is not None and len(digits.lstrip(b"-")) >= 19 and not MIN_INT <= int(digits) <= MAX_INT:
            return digits.decode()
    return None


#: what :func:`inspect_line` says of a line's ``prev`` when it has none to give
NOT_OBJECT: Any = object()  # the line is not a JSON object: no prev to check
MISSING: Any = object()  # a JSON object without a prev member


def inspect_line(raw: bytes) -> tuple[Envelope | None, str | None, Any]:
    """Validate one journal line (without its newline): the reader's hot path.

    Returns ``(event, None, prev)`` for a valid line (an unknown type's event has
    ``known`` False), or ``(None, reason, prev)`` for a bad one, where ``prev`` is the
    line's ``prev`` member for the chain check: its value, :data:`MISSING`, or
    :data:`NOT_OBJECT`. :func:`parse_json` (the one parser) decodes it and pydantic-core
    validates a known event in one call; anything else takes the slow path, which says
    exactly what is wrong.
    """
    try:
        obj = parse_json(raw)
    except JsonError as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return None, f"not valid UTF-8 (byte {bad.start + 1} of the line)", NOT_OBJECT
        return None, exc.reason, NOT_OBJECT
    if type(obj) is dict and isinstance(obj.get("type"), str) and obj["type"] in EVENT_MODELS:
        try:
            event = _validate_known(obj)
            return event, None, event.prev
        except ValidationError:
            pass
    elif not isinstance(obj, dict):
        return None, "not a JSON object", NOT_OBJECT
    prev = obj.get("prev", MISSING)
    try:
        return _diagnose(obj), None, prev
    except EventError as exc:
        return None, str(exc), prev
