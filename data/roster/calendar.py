"""Reading roster files and planning their import: the TOML roster format (people, rotations,
overrides) and iCalendar on-call schedules (as PagerDuty and Opsgenie export), each turned
into the roster events to append, checked against the roster the store already has.

Pure apart from ``read_state`` (which reads the store); no click, no printing. The commands
that use it: ``app.cli_roster``. The file formats: docs/roster.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data.engine.clock import utc_text
from data.roster.people import People, Person, fold

if TYPE_CHECKING:  # imported where used, so that `warroom --help` stays fast
    from zoneinfo import ZoneInfo

    from data.engine.models import Draft
    from data.engine.store import Store
    from data.roster.queries import PersonRow, RotationRow
    from data.roster.rotation import Override, Rotation

#: the most shifts one .ics import may expand to (a runaway rule is refused, not written)
MAX_SHIFTS = 5000


class RosterFileError(Exception):
    """A file that cannot be imported; ``str()`` is one line naming the file (and line)."""


# --- the roster as the store has it -------------------------------------------------------


@dataclass
class RosterState:
    rotations: list[Rotation]
    overrides: list[Override]
    people: dict[str, PersonRow]  # handle -> row
    rotation_rows: dict[str, RotationRow]  # rotation id -> row (as stored)
    emails: dict[str, str] = field(default_factory=dict)  # handle -> e-mail (the extension member)

    def rotation(self, rid: str) -> Rotation | None:
        return next((r for r in self.rotations if r.rotation == rid), None)

    def roster(self) -> People:
        """The people, to match names, handles and e-mails to (data/roster/people.py)."""
        return People(Person(h, p.name, self.emails.get(h)) for h, p in self.people.items())


async def read_state(store: Store) -> RosterState:
    from data.roster import queries
    from data.roster.rotation import regions

    rows = await queries.rotations(store)
    rotations = [r.typed() for r in rows]
    order = {region: n for n, region in enumerate(regions(rotations))}
    rotations.sort(key=lambda r: (order[r.region], r.rotation))
    overrides = [o.typed() for o in await queries.overrides(store)]
    people = {p.handle: p for p in await queries.people(store)}
    return RosterState(
        rotations, overrides, people, {r.rotation: r for r in rows}, await queries.person_emails(store)
    )


# --- times --------------------------------------------------------------------------------


def rfc3339(t: datetime | None) -> str | None:
    """UTC, to the second: ``2026-11-22T03:00:00Z``."""
    return utc_text(t) if t is not None else None


# --- planning an import -------------------------------------------------------------------


@dataclass
class Item:
    """One event to append, built through its model, and where it came from."""

    where: str
    event: Draft
    unchanged: bool = False


@dataclass
class Plan:
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: calendar events that match nobody in the roster: not written (see :func:`plan_ics`)
    unmatched: list[str] = field(default_factory=list)
    #: how calendar events were matched: (as the file names them, handle, how), once each
    matched: list[tuple[str, str, str]] = field(default_factory=list)
    #: the entries no model accepts, one line each (``where: data.member: reason``), in order
    refused: list[str] = field(default_factory=list)

    def add(self, where: str, etype: str, data: dict[str, Any]) -> None:
        """Plan the event of type ``etype`` its model builds of ``data`` (a person with
        the extension's ``email``), or say why it cannot."""
        from data.engine.models import (
            Draft,
            EventData,
            EventError,
            RosterOverride,
            RosterPersonEntry,
            RosterRotation,
        )

        models: dict[str, type[EventData]] = {
            "roster.person": RosterPersonEntry,
            "roster.rotation": RosterRotation,
            "roster.override": RosterOverride,
        }
        try:
            self.items.append(Item(where, Draft.of(models[etype], data)))
        except EventError as exc:
            self.refused.append(f"{where}: {exc}")


def _same_override(o: Override, data: dict[str, Any], overrides: list[Override]) -> bool:
    """Whether an override like ``data`` is already in force: an identical one exists and no
    later override of the rotation overlaps it."""
    from data.engine.models import parse_rfc3339

    start = parse_rfc3339(data["start"]).astimezone(UTC)
    end = parse_rfc3339(data["end"]).astimezone(UTC)
    if (o.rotation, o.person, o.start, o.end) != (data["rotation"], data["person"], start, end):
        return False
    return not any(
        x.rotation == o.rotation and x.seq > o.seq and x.start < end and x.end > start for x in overrides
    )


def mark_unchanged(items: list[Item], state: RosterState) -> None:
    """Mark the items the journal already has (as ``state`` reads it): importing them again changes nothing."""
    for item in items:
        d, t = item.event.as_input()["data"], item.event.type
        if t == "roster.person":
            row = state.people.get(d["handle"])
            item.unchanged = (
                row is not None
                and all(getattr(row, k) == d[k] for k in ("name", "team", "region", "tz"))
                and state.emails.get(d["handle"]) == d.get("email")
            )
        elif t == "roster.rotation":
            rot = state.rotation_rows.get(d["rotation"])
            if rot is not None:
                mine = {
                    **d,
                    "days": tuple(d["days"]),
                    "members": tuple(d["members"]),
                    "hours": float(d["hours"]),
                    "turn_days": d.get("turn_days") or 7,
                }
                keys = ("team", "region", "tz", "days", "start", "hours", "members", "anchor", "turn_days")
                item.unchanged = all(getattr(rot, k) == mine[k] for k in keys)
        elif t == "roster.override":
            item.unchanged = any(_same_override(o, d, state.overrides) for o in state.overrides)


# --- roster import: TOML ------------------------------------------------------------------

TOML_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "people": ("roster.person", ("handle", "name", "team", "region", "tz", "email")),
    "rotations": (
        "roster.rotation",
        ("rotation", "team", "region", "tz", "days", "start", "hours", "members", "anchor", "turn_days"),
    ),
    "overrides": ("roster.override", ("rotation", "person", "start", "end", "reason")),
}


def _header_lines(text: str) -> dict[str, list[int]]:
    """The line of each ``[[people]]``, ``[[rotations]]`` and ``[[overrides]]`` header."""
    out: dict[str, list[int]] = {k: [] for k in TOML_KINDS}
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"\s*\[\[\s*(people|rotations|overrides)\s*\]\]", line)
        if m:
            out[m.group(1)].append(n)
    return out


@dataclass
class TomlEntry:
    kind: str
    index: int
    line: int | None
    data: dict[str, Any]
    local: dict[str, datetime]  # override times without an offset: read in the rotation's zone

    @property
    def where(self) -> str:
        ident = self.data.get("rotation") if self.kind != "people" else self.data.get("handle")
        name = f" ({ident})" if isinstance(ident, str) else ""
        return f"{self.kind}[{self.index}]{name}"


def read_toml(path: Path, text: str) -> list[TomlEntry]:
    """The entries of a TOML roster file, values converted to the events' JSON types."""
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg)
        if m:
            raise RosterFileError(
                f"{path}:{m.group(1)}: not valid TOML: {msg[: m.start()]} (column {m.group(2)})"
            ) from None
        raise RosterFileError(f"{path}: not valid TOML: {msg}") from None
    unknown = sorted(set(doc) - set(TOML_KINDS))
    if unknown:
        raise RosterFileError(
            f"{path}: unknown table or key {unknown[0]!r} (a roster file has [[people]], [[rotations]] and [[overrides]])"
        )
    lines = _header_lines(text)
    out = []
    for kind, (_, keys) in TOML_KINDS.items():
        entries = doc.get(kind, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise RosterFileError(f"{path}: {kind} must be an array of tables, written [[{kind}]]")
        at = lines[kind] if len(lines[kind]) == len(entries) else []
        for n, entry in enumerate(entries):
            line = at[n] if at else None
            prefix = f"{path}:{line}" if line else f"{path}"
            extra = [k for k in entry if k not in keys]
            if extra:
                raise RosterFileError(
                    f"{prefix}: {kind}[{n}]: unknown key {extra[0]!r} (expected {', '.join(keys)})"
                )
            data: dict[str, Any] = {}
            local: dict[str, datetime] = {}
            for key, value in entry.items():
                if isinstance(value, datetime):
                    if value.tzinfo is None:
                        if kind != "overrides":
                            raise RosterFileError(f"{prefix}: {kind}[{n}]: {key} needs a UTC offset")
                        local[key] = value
                        continue
                    data[key] = value.isoformat()
                elif isinstance(value, date):
                    data[key] = value.isoformat()
                elif isinstance(value, time):
                    if value.second or value.microsecond:
                        raise RosterFileError(
                            f"{prefix}: {kind}[{n}]: {key} must be a time HH:MM without seconds"
                        )
                    data[key] = value.strftime("%H:%M")
                else:
                    data[key] = value
            out.append(TomlEntry(kind, n, line, data, local))
    return out


def plan_toml(path: Path, entries: list[TomlEntry], state: RosterState) -> Plan:
    from zoneinfo import ZoneInfo

    plan = Plan()
    file_rotations = {e.data.get("rotation"): e.data for e in entries if e.kind == "rotations"}
    people = set(state.people) | {e.data.get("handle") for e in entries if e.kind == "people"}
    for e in entries:
        prefix = f"{path}:{e.line}" if e.line else f"{path}"
        etype = TOML_KINDS[e.kind][0]
        data = dict(e.data)
        if e.kind == "overrides":
            rid = data.get("rotation")
            stored = state.rotation_rows.get(rid) if isinstance(rid, str) else None
            known = (
                (file_rotations.get(rid) or ({"tz": stored.tz} if stored else None))
                if isinstance(rid, str)
                else None
            )
            if isinstance(rid, str) and known is None:
                raise RosterFileError(
                    f"{prefix}: {e.where}: rotation {rid!r} is neither in this file nor in the journal"
                )
            for key, naive in e.local.items():
                try:
                    tz = ZoneInfo(known["tz"]) if known else None
                except (ValueError, OSError, KeyError, TypeError):
                    tz = None  # the rotation's own line says what is wrong with its zone
                data[key] = naive.replace(tzinfo=tz).isoformat() if tz else naive.isoformat()
            data = {k: data[k] for k in TOML_KINDS["overrides"][1] if k in data}
        if e.kind == "rotations" and isinstance(data.get("members"), list):
            missing = [m for m in data["members"] if isinstance(m, str) and m not in people]
            if missing:
                plan.notes.append(
                    f"{prefix}: {e.where}: {', '.join(missing)} not in the roster's people (no roster.person yet)"
                )
        if e.kind == "overrides" and isinstance(data.get("person"), str) and data["person"] not in people:
            plan.notes.append(f"{prefix}: {e.where}: {data['person']} not in the roster's people")
        plan.add(f"{prefix}: {e.where}", etype, data)
    return plan


# --- roster import: iCalendar -------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """Whose shift a calendar event says it is, as the file says it: the ``SUMMARY`` and
    the ``ATTENDEE`` addresses and names (``CN``)."""

    summary: str
    emails: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How to name it to people: the summary, else the first address or name."""
        return self.summary or next(iter(self.emails + self.names), "")

    def match(self, people: People) -> tuple[str, str] | None:
        """(handle, how) of the roster person it names: by an attendee's e-mail, by the
        summary as a handle (``@bernard``), an e-mail in it, or a name (``@Bernard
        Desruisseaux``), by an attendee's name, or by the one roster name the summary
        contains (``On Call - Ben Carter - Primary``); None if nobody."""
        for email in self.emails:
            if (p := people.by_email(email)) is not None:
                return p.handle, "e-mail"
        if self.summary:
            if (p := people.by_handle(self.summary)) is not None:
                return p.handle, "handle"
            m = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", self.summary)
            if m and (p := people.by_email(m.group(0))) is not None:
                return p.handle, "e-mail"
            if (p := people.by_name(self.summary)) is not None:
                return p.handle, "name"
        for name in self.names:
            if (p := people.by_name(name)) is not None:
                return p.handle, "name"
        if self.summary:
            words = _words(self.summary)
            inside = [p for p in people.people if p.name and _words(p.name) in words]
            if len(inside) == 1:
                return inside[0].handle, "name"
        return None


def _words(text: str) -> str:
    """`` word word `` of ``text`` (folded: data.roster.people.fold), for whole-word containment."""
    return " " + " ".join(re.findall(r"\w+", fold(text))) + " "


@dataclass
class IcsShift:
    who: Who
    start: datetime  # UTC
    end: datetime  # UTC
    line: int | None
    uid: str


def _event_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if line.strip().upper() == "BEGIN:VEVENT"]


def _as_time(prop: Any, value: Any, tz: ZoneInfo, name: str, where: str) -> datetime:
    """A DATE or DATE-TIME value as an aware datetime: floating times and dates are read in
    ``tz`` (the rotation's zone)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            tzid = getattr(prop, "params", {}).get("TZID")
            if tzid:
                raise RosterFileError(f"{where}: {name}: unknown time zone TZID={tzid}")
            return value.replace(tzinfo=tz)
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=tz)
    raise RosterFileError(f"{where}: {name}: not a date or a date-time: {str(value)[:60]!r}")


def _decoded(ev: Any, name: str, tz: ZoneInfo, where: str) -> datetime | None:
    if name not in ev:
        return None
    prop = ev[name]
    if isinstance(prop, list):
        prop = prop[0]
    try:
        value = ev.decoded(name)
    except Exception as exc:
        raise RosterFileError(f"{where}: {name}: {exc}") from None
    return _as_time(prop, value, tz, name, where)


def _values(ev: Any, name: str) -> Iterator[tuple[Any, Any]]:
    """(property, value) of every date in EXDATE/RDATE (each may appear several times)."""
    props = ev.get(name)
    if props is None:
        return
    for prop in props if isinstance(props, list) else [props]:
        for v in getattr(prop, "dts", []):
            yield prop, v.dt


def _who(ev: Any) -> Who | None:
    atts = ev.get("ATTENDEE")
    emails, names = [], []
    for att in atts if isinstance(atts, list) else ([atts] if atts is not None else []):
        value = re.sub(r"^mailto:", "", str(att).strip(), flags=re.IGNORECASE).strip()
        if value:
            emails.append(value)
        cn = str(getattr(att, "params", {}).get("CN", "")).strip()
        if cn:
            names.append(cn)
    who = Who(str(ev.get("SUMMARY", "")).strip(), tuple(emails), tuple(names))
    return who if who.label else None


def _rules(ev: Any, start: datetime, where: str) -> Any:
    """The event's recurrence set (dateutil), or None when it does not recur."""
    from dateutil.rrule import rruleset, rrulestr
    from icalendar.prop import vRecur

    rules = ev.get("RRULE")
    rdates = list(_values(ev, "RDATE"))
    if rules is None and not rdates:
        return None
    rset = rruleset()
    rset.rdate(start)
    for rule in rules if isinstance(rules, list) else ([rules] if rules is not None else []):
        rec = vRecur(rule)
        if "UNTIL" in rec:
            until = rec["UNTIL"][0]
            if isinstance(until, datetime):
                until = until if until.tzinfo else until.replace(tzinfo=start.tzinfo)
            elif isinstance(until, date):
                until = datetime.combine(until, time(23, 59, 59), tzinfo=start.tzinfo)
            rec["UNTIL"] = [until.astimezone(UTC)]
        try:
            rset.rrule(rrulestr(rec.to_ical().decode(), dtstart=start))  # type: ignore[no-untyped-call]  # (icalendar)
        except (ValueError, TypeError) as exc:
            raise RosterFileError(f"{where}: RRULE: {exc}") from None
    for prop, value in rdates:
        if isinstance(value, tuple):
            raise RosterFileError(f"{where}: RDATE: periods are not supported")
        rset.rdate(_as_time(prop, value, start.tzinfo, "RDATE", where))  # type: ignore[arg-type]
    return rset


def read_ics(path: Path, raw: bytes, tz: ZoneInfo, begin: datetime, end: datetime) -> list[IcsShift]:
    """The on-call shifts of an iCalendar file that overlap [begin, end): every VEVENT is a
    shift, recurrences expanded (RRULE, RDATE), EXDATE honoured, instances overridden by a
    RECURRENCE-ID event replaced by it, cancelled events left out."""
    from icalendar import Calendar

    text = raw.decode("utf-8", "replace")
    try:
        cal = Calendar.from_ical(raw)
    except Exception as exc:
        raise RosterFileError(f"{path}: not a valid iCalendar file: {' '.join(str(exc).split())}") from None
    if getattr(cal, "name", "") != "VCALENDAR":
        raise RosterFileError(f"{path}: not an iCalendar file (no BEGIN:VCALENDAR)")
    lines = _event_lines(text)
    events = list(cal.walk("VEVENT"))
    located = [(ev, lines[n] if len(lines) == len(events) else None) for n, ev in enumerate(events)]

    def where(line: int | None) -> str:
        return f"{path}:{line}" if line else f"{path}"

    # RECURRENCE-ID events replace one instance of their series
    replaced: dict[str, set[datetime]] = {}
    cancelled_series: set[str] = set()
    for ev, line in located:
        uid = str(ev.get("UID", ""))
        if "RECURRENCE-ID" in ev:
            prop = ev["RECURRENCE-ID"]
            if str(getattr(prop, "params", {}).get("RANGE", "")).upper() == "THISANDFUTURE":
                raise RosterFileError(
                    f"{where(line)}: RECURRENCE-ID with RANGE=THISANDFUTURE is not supported"
                )
            rid = _decoded(ev, "RECURRENCE-ID", tz, where(line))
            assert rid is not None
            replaced.setdefault(uid, set()).add(rid.astimezone(UTC))
        elif str(ev.get("STATUS", "")).upper() == "CANCELLED":
            cancelled_series.add(uid)

    out: list[IcsShift] = []
    for ev, line in located:
        uid = str(ev.get("UID", ""))
        here = where(line)
        if str(ev.get("STATUS", "")).upper() == "CANCELLED" or uid in cancelled_series:
            continue
        start = _decoded(ev, "DTSTART", tz, here)
        if start is None:
            raise RosterFileError(f"{here}: an event without DTSTART")
        finish = _decoded(ev, "DTEND", tz, here)
        if finish is not None:
            length = finish.astimezone(UTC) - start.astimezone(UTC)  # elapsed, as RFC 5545 says
        elif "DURATION" in ev:
            length = ev.decoded("DURATION")
            if not isinstance(length, timedelta):
                raise RosterFileError(f"{here}: DURATION: not a duration")
        elif not isinstance(ev.decoded("DTSTART"), datetime):
            length = timedelta(days=1)
        else:
            raise RosterFileError(
                f"{here}: an event without DTEND or DURATION (an on-call shift needs an end)"
            )
        if length <= timedelta(0):
            raise RosterFileError(f"{here}: the event ends before it starts")
        who = _who(ev)
        if who is None:
            raise RosterFileError(f"{here}: an event with neither ATTENDEE nor SUMMARY: whose shift is it?")
        is_exception = "RECURRENCE-ID" in ev
        rset = None if is_exception else _rules(ev, start, here)
        if rset is None:
            starts: list[datetime] = [start]
        else:
            excluded_days = {v for _, v in _values(ev, "EXDATE") if not isinstance(v, datetime)}
            for prop, value in _values(ev, "EXDATE"):
                if isinstance(value, datetime):
                    rset.exdate(_as_time(prop, value, tz, "EXDATE", here))
            starts = []
            for s in rset.xafter(begin - length, inc=False):
                if s >= end:
                    break
                if s.date() in excluded_days:
                    continue
                starts.append(s)
                if len(starts) > MAX_SHIFTS:
                    raise RosterFileError(
                        f"{here}: more than {MAX_SHIFTS} shifts in the window; is the rule right?"
                    )
        gone = replaced.get(uid, set()) if not is_exception else set()
        for s in starts:
            s_utc = s.astimezone(UTC)
            if s_utc in gone:
                continue
            e_utc = s_utc + length
            if s_utc < end and e_utc > begin:
                out.append(IcsShift(who, s_utc, e_utc, line, uid))
        if len(out) > MAX_SHIFTS:
            raise RosterFileError(f"{path}: more than {MAX_SHIFTS} shifts in the window")
    out.sort(key=lambda s: (s.start, s.end))
    return out


def plan_ics(path: Path, shifts: list[IcsShift], rotation: str, state: RosterState) -> Plan:
    """The overrides of the shifts whose event names a roster person (:meth:`Who.match`);
    the others are listed in ``plan.unmatched``, one line per event, and not planned."""
    plan = Plan()
    people = state.roster()
    missed: dict[tuple[int | None, str, Who], list[IcsShift]] = {}
    seen: set[Who] = set()
    for s in shifts:
        where = f"{path}:{s.line}" if s.line else f"{path}"
        found = s.who.match(people)
        if found is None:
            missed.setdefault((s.line, s.uid, s.who), []).append(s)
            continue
        handle, how = found
        if s.who not in seen:
            seen.add(s.who)
            plan.matched.append((s.who.label, handle, how))
        data = {
            "rotation": rotation,
            "person": handle,
            "start": rfc3339(s.start),
            "end": rfc3339(s.end),
            "reason": f"imported from {path.name}",
        }
        label = f"{where}: event {s.uid or '(no UID)'} at {rfc3339(s.start)}"
        plan.add(label, "roster.override", data)
    for (line, uid, who), missing in missed.items():
        where = f"{path}:{line}" if line else f"{path}"
        also = [a for a in (*who.emails, *who.names) if a != who.label]
        more = f" ({', '.join(also)})" if also else ""
        count = f"{len(missing)} shift{'s' if len(missing) != 1 else ''} from {rfc3339(missing[0].start)}"
        plan.unmatched.append(f"{where}: event {uid or '(no UID)'}: {who.label}{more}: {count}")
    return plan
