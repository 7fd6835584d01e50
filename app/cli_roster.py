"""``warroom roster``: who is on call, where coverage has gaps, and importing a roster (a
TOML file) or an on-call schedule (an iCalendar file as PagerDuty and Opsgenie export).

Every command syncs the store first and reads the rotations and overrides from it; imports
write through the validated append path (``data.commands``), all or nothing. Headless:
imports no Textual. The file formats and the reading of rotations: docs/roster.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from app.cli_base import EXIT_USAGE, Failure, _run, common, main, write_output
from data.roster.calendar import (
    Item,
    Plan,
    RosterFileError,
    RosterState,
    mark_unchanged,
    plan_ics,
    plan_toml,
    read_ics,
    read_state,
    read_toml,
    rfc3339,
)

if TYPE_CHECKING:
    from data.config import Settings
    from data.roster.rotation import Cover


# --- the roster as the store has it -------------------------------------------------------


async def _load(settings: Settings) -> RosterState:
    from data.engine.store import Store

    async with await Store.open(settings.db) as store:
        await store.sync(settings.open_journal())
        return await read_state(store)


# --- times --------------------------------------------------------------------------------


def _now() -> datetime:
    from data.engine import clock

    return clock.now().astimezone(UTC)


def parse_at(value: str, option: str) -> datetime:
    """An RFC 3339 time (UTC-aware), or a Failure naming the option."""
    from data.engine.models import parse_rfc3339

    try:
        return parse_rfc3339(value).astimezone(UTC)
    except ValueError as exc:
        raise Failure(f"{option} {value!r}: {exc}", EXIT_USAGE) from None


def parse_from(value: str | None, option: str = "--from") -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an RFC 3339 time; now (to the minute) if None."""
    if value is None:
        return _now().replace(second=0, microsecond=0)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        except ValueError as exc:
            raise Failure(f"{option} {value!r}: not a valid date: {exc}", EXIT_USAGE) from None
    if not re.match(r"\d{4}-\d{2}-\d{2}[Tt]", value):
        raise Failure(
            f"{option} {value!r}: expected a date YYYY-MM-DD (midnight UTC) or an RFC 3339 time "
            "such as 2026-11-22T03:00:00Z",
            EXIT_USAGE,
        )
    return parse_at(value, option)


def _day_time(t: datetime) -> str:
    return t.strftime("%a %d %b %H:%M")


def _span(a: datetime, b: datetime) -> str:
    """``Sun 22 Nov 07:00-09:00`` or ``Sat 21 Nov 22:00 - Sun 22 Nov 09:00`` (in their zone)."""
    if a.date() == b.date() or (b - a <= timedelta(days=1) and b.time() == time(0)):
        end = "24:00" if b.date() != a.date() else b.strftime("%H:%M")
        return f"{_day_time(a)}-{end}"
    return f"{_day_time(a)} - {_day_time(b)}"


def _length(d: timedelta) -> str:
    mins = int(d.total_seconds()) // 60
    hours, mins = divmod(mins, 60)
    return f"{hours}h{mins:02d}m"


def _in(t: datetime, at: datetime) -> str:
    from data.incidents.views import span_text

    secs = int((t - at).total_seconds())
    return f"in {span_text(secs)}" if secs >= 0 else f"{span_text(-secs)} ago"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


@main.group()
def roster() -> None:
    """The on-call roster: who is on call, coverage gaps, importing rotations and schedules.

    Rotations, overrides and people are roster.rotation, roster.override and roster.person
    events in the journal; docs/roster.md says how a rotation is read."""


# --- roster now ---------------------------------------------------------------------------


def on_call_now(state: RosterState, at: datetime) -> list[dict[str, Any]]:
    """One object per rotation: who is on call at ``at`` and what changes next."""
    from data.roster.rotation import on_call, segments, zone

    out = []
    for rot in state.rotations:
        oc = on_call(rot, state.overrides, at)
        seg = segments(rot, state.overrides, at, at + timedelta(seconds=1))[0]
        shift_start: datetime | None = None
        shift_end: datetime | None = None
        if oc.override is not None:
            shift_start, shift_end = oc.override.start, oc.override.end
        elif seg.shift is not None:
            shift_start, shift_end = seg.shift.start, seg.shift.end
        person = state.people.get(oc.person) if oc.person else None
        local_tz = person.tz if person else rot.tz
        out.append(
            {
                "rotation": rot.rotation,
                "team": rot.team,
                "region": rot.region,
                "tz": rot.tz,
                "at": rfc3339(at),
                "person": oc.person,
                "name": person.name if person else None,
                "local_tz": local_tz,
                "local_time": at.astimezone(zone(local_tz)).isoformat(timespec="seconds"),
                "override": oc.override is not None,
                "override_reason": oc.override.reason if oc.override else None,
                "shift_start": rfc3339(shift_start),
                "shift_end": rfc3339(shift_end),
                "since": rfc3339(oc.since),
                "until": rfc3339(oc.until),
                "next_person": oc.next_person,
                "next_at": rfc3339(oc.next_at),
            }
        )
    return out


@roster.command()
@click.option("--at", "at", metavar="TIME", help="An RFC 3339 time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per rotation.")
@common
def now(settings: Settings, at: str | None, as_json: bool) -> None:
    """Who is on call, per rotation, now or --at a time.

    With --json, each object has: rotation, team, region, tz, person (null in a gap),
    name, local_tz and local_time (the person's own zone, else the rotation's), override
    (true when an override puts them there) and override_reason, shift_start and shift_end
    (what puts them on call: the rotation's shift or the override; null in a gap), since
    and until (how long the same person holds it, across shifts; null beyond 15 days),
    next_person (null: a gap follows) and next_at; times in UTC."""
    from data.privacy.text import clean, json_safe_dumps
    from data.roster.rotation import zone

    when = parse_at(at, "--at") if at is not None else _now()
    state = _run(_load(settings))
    rows = on_call_now(state, when)
    if as_json:
        write_output(json_safe_dumps(rows) + "\n", None)
        return
    if not rows:
        click.echo("no rotations in the journal yet; add some with: warroom roster import roster.toml")
        return
    click.echo(f"On call at {when:%a %d %b %Y %H:%M} UTC")
    table = [["ROTATION", "REGION", "ON CALL", "LOCAL TIME", "UNTIL (UTC)", "THEN"]]
    marks = []
    for r in rows:
        local = datetime.fromisoformat(r["local_time"]).astimezone(zone(r["local_tz"]))
        if r["person"] is None:
            who = "nobody (gap)"
        else:
            who = clean(r["person"], 24) + (" *" if r["override"] else "")
            if r["override"]:
                reason = (
                    f": {clean(r['override_reason'], 60, controls='escape')}" if r["override_reason"] else ""
                )
                marks.append(
                    f"* {clean(r['person'], 24)} is on {clean(r['rotation'], 24)} by an override{reason}"
                )
        until = "beyond 15 days"
        if r["until"]:
            end = datetime.fromisoformat(r["until"])
            until = f"{_day_time(end)} ({_in(end, when)})"
        then = "" if not r["until"] else (clean(r["next_person"], 24) if r["next_person"] else "nobody (gap)")
        table.append(
            [
                clean(r["rotation"], 24),
                r["region"],
                who,
                f"{local:%a %H:%M} {local.tzname()}",
                until,
                then,
            ]
        )
    click.echo(_table(table))
    for m in marks:
        click.echo(m)


# --- roster gaps --------------------------------------------------------------------------


def _gap_json(c: Cover) -> dict[str, Any]:
    return {
        "start": rfc3339(c.start),
        "end": rfc3339(c.end),
        "minutes": int(c.duration.total_seconds()) // 60,
    }


@roster.command()
@click.option(
    "--from", "start", metavar="DATE", help="YYYY-MM-DD (midnight UTC) or an RFC 3339 time (default: now)."
)
@click.option(
    "--days", type=click.IntRange(1, 366), default=14, show_default=True, help="How many days to look at."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@common
def gaps(settings: Settings, start: str | None, days: int, as_json: bool) -> None:
    """Uncovered windows: when nobody is on call in any region (follow-the-sun), and when
    nobody is on call in each region.

    With --json: {"from", "to", "follow_the_sun": {"rotations", "gaps"}, "regions": [{"region",
    "rotations", "gaps"}]}, each gap {"start", "end", "minutes"} in UTC."""
    from data.privacy.text import clean, json_safe_dumps
    from data.roster.rotation import ALL, gaps_by_region, zone
    from data.roster.rotation import gaps as find_gaps

    begin = parse_from(start)
    end = begin + timedelta(days=days)
    state = _run(_load(settings))
    rots, ovs = state.rotations, state.overrides
    whole = find_gaps(rots, ovs, begin, end, ALL) if rots else []
    by_region = gaps_by_region(rots, ovs, begin, end)
    if as_json:
        doc = {
            "from": rfc3339(begin),
            "to": rfc3339(end),
            "follow_the_sun": {
                "rotations": [r.rotation for r in rots],
                "gaps": [_gap_json(g) for g in whole],
            },
            "regions": [
                {
                    "region": region,
                    "rotations": [r.rotation for r in rots if r.region == region],
                    "gaps": [_gap_json(g) for g in found],
                }
                for region, found in by_region.items()
            ],
        }
        write_output(json_safe_dumps(doc) + "\n", None)
        return
    click.echo(f"Coverage from {begin:%a %d %b %Y %H:%M} to {end:%a %d %b %Y %H:%M} UTC ({days} days)")
    if not rots:
        click.echo("no rotations in the journal yet; add some with: warroom roster import roster.toml")
        return

    def summary(found: list[Cover]) -> str:
        if not found:
            return "covered throughout"
        total = sum((g.duration for g in found), timedelta())
        return f"{len(found)} gap{'s' if len(found) != 1 else ''}, {_length(total)} in all"

    click.echo("")
    click.echo(f"Follow-the-sun (nobody on call in any region): {summary(whole)}")
    for g in whole:
        click.echo(f"  {_span(g.start, g.end) + ' UTC':<40} {_length(g.duration):>7}")
    for region, found in by_region.items():
        mine = [r for r in rots if r.region == region]
        tz = mine[0].tz
        names = ", ".join(clean(r.rotation, 24) for r in mine)
        click.echo("")
        click.echo(f"{region} ({names}; local time {tz}): {summary(found)}")
        for g in found:
            local = f"{_span(g.start.astimezone(zone(tz)), g.end.astimezone(zone(tz)))} local"
            click.echo(f"  {_span(g.start, g.end) + ' UTC':<40} {_length(g.duration):>7}  ({local})")


# --- roster import: shared ----------------------------------------------------------------


def _refuse(lines: list[str]) -> Failure:
    """The first problem, and how many more, in one line."""
    more = len(lines) - 1
    tail = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
    return Failure(f"{lines[0]}{tail}; nothing was written")


def _validate(items: list[Item], actor: str) -> list[dict[str, Any]]:
    from data.commands import AppendRefused, build_events

    try:
        return build_events([(i.where, i.event) for i in items], actor)
    except AppendRefused as exc:
        raise _refuse(exc.lines) from None


async def _append(
    settings: Settings, plan_for: Callable[[RosterState], Plan], dry_run: bool, skip_unmatched: bool = False
) -> tuple[Plan, list[str]]:
    """Sync, plan against the journal as it stands, validate, and append what is new.
    Calendar events that match nobody in the roster are listed and refuse the import,
    unless ``skip_unmatched`` (then the others are written)."""
    from data.commands import AppendRefused, append_to
    from data.engine.store import Store

    if not dry_run:
        from app.cli_base import refuse_observer

        refuse_observer(settings, "roster import")
    journal = settings.open_journal()
    async with await Store.open(settings.db) as store:
        await store.sync(journal)
        state = await read_state(store)
        plan = plan_for(state)
        if plan.refused:  # entries no model accepts
            raise _refuse(plan.refused)
        _validate(plan.items, settings.actor)  # every item, so a bad one is reported even if unchanged
        mark_unchanged(plan.items, state)
        new = [i for i in plan.items if not i.unchanged]
        if plan.unmatched and not dry_run and not skip_unmatched:
            _list_unmatched(plan, err=True)
            n = len(plan.unmatched)
            hint = "" if state.people else " (the journal has no roster.person yet: import the people first)"
            raise Failure(
                f"{n} calendar event{'s' if n != 1 else ''} match{'es' if n == 1 else ''} nobody in the roster"
                f"{hint}; nothing was written. Add them to the roster (with their e-mail), or import the others "
                "with --skip-unmatched"
            )
        if dry_run or not new:
            return plan, []
        events = _validate(new, settings.actor)
        try:
            result = await append_to(journal, store, events, [i.where for i in new])
        except AppendRefused as exc:
            raise Failure(f"{exc.lines[0]}; nothing was written") from None
        if result.store_error is not None:
            click.echo(
                f"warroom: warning: the journal has the events, but this console's store could not be "
                f"updated: {' '.join(result.store_error.split())} ('warroom sync' catches it up)",
                err=True,
            )
        return plan, result.ids


def _who(text: str) -> str:
    """A responder's handle, name or work e-mail as the roster and its files give them:
    shown unmasked (they are not user identifiers, and an import must be checkable)."""
    from data.privacy.text import clean

    return clean(text, 400, reveal=True)


def _list_unmatched(plan: Plan, err: bool = False) -> None:
    if not plan.unmatched:
        return
    click.echo("not in the roster (not imported):", err=err)
    for line in plan.unmatched:
        click.echo(f"  {_who(line)}", err=err)


def _report(plan: Plan, path: Path, dry_run: bool, what: str) -> None:
    from data.privacy.text import clean

    new = [i for i in plan.items if not i.unchanged]
    for note in plan.notes if new else ():
        click.echo(f"warroom: note: {_who(note)}", err=True)
    same = len(plan.items) - len(new)
    verb = "would import" if dry_run else "imported"
    for label, handle, how in plan.matched:
        click.echo(f"matched  {_who(label)} → {_who(handle)} (by {how})")
    _list_unmatched(plan)
    tail = ""
    if dry_run and plan.unmatched:
        n = len(plan.unmatched)
        tail = (f"; as it stands the import is refused: {n} event{'s' if n != 1 else ''} match"
                f"{'es' if n == 1 else ''} nobody in the roster (--skip-unmatched imports the others)")  # fmt: skip
    if not plan.items:
        click.echo(f"nothing to import from {clean(str(path))}: {what}")
        if dry_run:
            click.echo(f"(dry run: nothing was written{tail})")
        return
    if not new:
        click.echo(
            f"nothing new in {clean(str(path))}: the journal already has all {len(plan.items)} of its entries"
        )
        if dry_run and tail:
            click.echo(f"(dry run: nothing was written{tail})")
        return
    counts: dict[str, int] = {}
    for i in new:
        kind = i.event.type.split(".", 1)[1]
        counts[kind] = counts.get(kind, 0) + 1
    parts = [f"{n} {k if n == 1 else k + 's' if k != 'person' else 'people'}" for k, n in counts.items()]
    skipped = f" ({same} already in the journal, skipped)" if same else ""
    click.echo(f"{verb} from {clean(str(path))}: {', '.join(parts)}{skipped}")
    for i in new:
        click.echo(f"  {_describe(i.event.as_input())}")
    if dry_run:
        click.echo(f"(dry run: nothing was written{tail})")


def _describe(event: dict[str, Any]) -> str:
    """One planned event, terminal-safe: the responders' handles, names and e-mails as
    they are (:func:`_who`), the rest masked like any text (data.privacy.text.clean)."""
    from data.privacy.text import clean

    d, t = event["data"], event["type"]
    if t == "roster.person":
        email = f", {_who(d['email'])}" if d.get("email") else ""
        return (f"person    {_who(d['handle'])}  {_who(d['name'])}  "
                f"({clean(d['team'], 40)}, {clean(d['region'], 20)}, {clean(d['tz'], 60)}{email})")  # fmt: skip
    if t == "roster.rotation":
        turn = d.get("turn_days") or 7
        return clean(
            f"rotation  {d['rotation']}  {d['region']} {d['team']}  {' '.join(d['days'])}  {d['start']} "
            f"{d['tz']} for {d['hours']}h  members ", 200
        ) + ", ".join(_who(m) for m in d["members"]) + clean(
            f"  turns of {turn} day{'s' if turn != 1 else ''} from {d['anchor']}", 100
        )  # fmt: skip
    from data.engine.models import parse_rfc3339

    start = parse_rfc3339(d["start"]).astimezone(UTC)
    end = parse_rfc3339(d["end"]).astimezone(UTC)
    reason = f"  ({clean(d['reason'], 200)})" if d.get("reason") else ""
    return f"override  {clean(d['rotation'], 64)}  {_who(d['person'])}  {_span(start, end)} UTC{reason}"


# --- roster import: the command -----------------------------------------------------------


def _kind(path: Path, raw: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix in (".ics", ".ical", ".icalendar"):
        return "ics"
    if raw.lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    raise Failure(f"{path}: expected a .toml roster file or an .ics calendar", EXIT_USAGE)


@roster.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rotation", "rotation", metavar="ID", help="For an .ics file: the rotation its shifts cover.")
@click.option(
    "--from", "start", metavar="DATE", help="For an .ics file: YYYY-MM-DD or an RFC 3339 time (default: now)."
)
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=None,
    help="For an .ics file: days to import [default: 28].",
)
@click.option(
    "--skip-unmatched",
    is_flag=True,
    help="For an .ics file: import the events that match a roster person, skip (and list) the others.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be imported; write nothing.")
@common
def import_(
    settings: Settings,
    file: Path,
    rotation: str | None,
    start: str | None,
    days: int | None,
    skip_unmatched: bool,
    dry_run: bool,
) -> None:
    """Import a roster (FILE.toml: people, rotations, overrides) or an on-call schedule
    (FILE.ics, as PagerDuty, Opsgenie and Google Calendar export: each event is a shift of
    --rotation, written as a roster.override of the roster person it names).

    Everything is checked first; a bad file writes nothing and says where it is wrong.
    Calendar events that name nobody in the roster are listed and refuse the import
    (unless --skip-unmatched). Entries the journal already has are skipped. The formats:
    docs/roster.md."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise Failure(f"cannot read {file}: {exc.strerror}") from None
    kind = _kind(file, raw)
    try:
        if kind == "toml":
            for name, value in (("--rotation", rotation), ("--from", start), ("--days", days),
                                ("--skip-unmatched", skip_unmatched or None)):  # fmt: skip
                if value is not None:
                    raise Failure(
                        f"{name} goes with an .ics file; a TOML roster names its own rotations", EXIT_USAGE
                    )
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise RosterFileError(f"{file}: not UTF-8 text (byte {exc.start})") from None
            entries = read_toml(file, text)
            plan, _ = _run(_append(settings, lambda state: plan_toml(file, entries, state), dry_run))
            _report(plan, file, dry_run, "it has no [[people]], [[rotations]] or [[overrides]]")
            return
        if rotation is None:
            raise Failure(
                f"{file} is a calendar: say which rotation its shifts cover with --rotation ID "
                "(see 'warroom roster now' for the rotations)",
                EXIT_USAGE,
            )
        begin = parse_from(start)
        end = begin + timedelta(days=days or 28)
        window = f"no shifts between {rfc3339(begin)} and {rfc3339(end)}"

        def plan_for(state: RosterState) -> Plan:
            from data.roster.rotation import zone

            rot = state.rotation(rotation)
            if rot is None:
                known = ", ".join(r.rotation for r in state.rotations) or "none yet"
                raise Failure(
                    f"--rotation {rotation!r}: no such rotation in the journal (rotations: {known})",
                    EXIT_USAGE,
                )
            shifts = read_ics(file, raw, zone(rot.tz), begin, end)
            return plan_ics(file, shifts, rotation, state)

        plan, _ = _run(_append(settings, plan_for, dry_run, skip_unmatched))
        _report(plan, file, dry_run, window)
    except RosterFileError as exc:
        raise Failure(str(exc)) from None
