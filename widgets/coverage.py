"""The roster screen's panes: the follow-the-sun coverage strip (24 hours UTC, one row per
region and one for all regions together) and the week of shifts per rotation.

Both are given rotations and overrides (frozen view models) and compute with the pure
functions of ``data.roster.rotation``. Gaps and overlaps read without colour: each state has its
own character, a legend says which, and the gaps are also listed in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from data.privacy.text import clean
from data.roster.rotation import ALL, Cover, Override, Rotation, coverage, regions, segments, zone

FINE = 15  # minutes per character where the width allows: 24 hours in 96 columns
COARSE = 30  # else: 24 hours in 48 columns
LABEL = 14  # the width of the row labels
NOW_COLUMN = 16  # room for who is on call now, after each row

ON = "█"
OVERLAP = "▓"
PART = "▌"
OFF = "·"
GAP = "!"

ON_STYLE = "#3a9a5b"
OVERLAP_STYLE = "bold #4f9bd9"
PART_STYLE = "#3a9a5b"
OFF_STYLE = "dim"
GAP_STYLE = "bold white on #b01c2e"
NOW_STYLE = "bold #e3c44a"


def city(tz: str) -> str:
    """``America/New_York`` -> ``New York``."""
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def sun_order(rotations: Sequence[Rotation], at: datetime) -> list[str]:
    """The regions of the rotations in the order the sun reaches them (east to west: the
    UTC offset of their first rotation's zone at ``at``, largest first), then by name."""

    def offset(region: str) -> timedelta:
        tz = next(r.tz for r in rotations if r.region == region)
        return at.astimezone(zone(tz)).utcoffset() or timedelta(0)

    return sorted(regions(rotations), key=lambda region: (-offset(region), region))


def in_sun_order(rotations: Sequence[Rotation], at: datetime) -> list[Rotation]:
    order = {region: n for n, region in enumerate(sun_order(rotations, at))}
    return sorted(rotations, key=lambda r: (order[r.region], r.rotation))


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def hhmm(t: datetime, base: date) -> str:
    """``07:00``; ``24:00`` at the end of ``base``; ``+1`` marks another day."""
    if t.time() == time(0) and t.date() == base + timedelta(days=1):
        return "24:00"
    days = (t.date() - base).days
    return t.strftime("%H:%M") + (f"{days:+d}" if days else "")


def length(d: timedelta) -> str:
    mins = int(d.total_seconds()) // 60
    return f"{mins // 60}h{mins % 60:02d}m"


def fits(width: int) -> int:
    """Minutes per character for a strip ``width`` columns wide."""
    return FINE if width >= LABEL + 24 * 60 // FINE + NOW_COLUMN else COARSE


def _slots(covers: Sequence[Cover], begin: datetime, minutes: int) -> list[tuple[int, int]]:
    """(fewest, most) rotations on call within each slot of the day."""
    slot = timedelta(minutes=minutes)
    out = []
    i = 0
    for k in range(24 * 60 // minutes):
        a = begin + k * slot
        b = a + slot
        while i < len(covers) and covers[i].end <= a:
            i += 1
        counts = []
        j = i
        while j < len(covers) and covers[j].start < b:
            counts.append(covers[j].count)
            j += 1
        out.append((min(counts), max(counts)) if counts else (0, 0))
    return out


def _cell(fewest: int, most: int, whole: bool) -> tuple[str, str]:
    if whole and fewest == 0:
        return GAP, GAP_STYLE
    if most == 0:
        return OFF, OFF_STYLE
    if fewest == 0:
        return PART, PART_STYLE
    if most > 1:
        return OVERLAP, OVERLAP_STYLE
    return ON, ON_STYLE


def _when(t0: datetime, t1: datetime, now: datetime) -> str:
    if t0 <= now < t1:
        return "NOW"
    secs = int((t0 - now).total_seconds()) if t0 > now else int((now - t1).total_seconds())
    mins = secs // 60
    text = f"{mins // 60}h{mins % 60:02d}m" if mins >= 60 else f"{mins}m"
    return f"in {text}" if t0 > now else f"ended {text} ago"


def render_strip(
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    day: date,
    now: datetime,
    minutes: int = FINE,
) -> tuple[Text, Text]:
    """The coverage strip of one UTC day, one character per ``minutes``: an hour ruler, a
    now marker, one row per region (with who is on call now), a row for all regions
    together (where a gap is a real gap), and a legend; then, in words, the gaps and the
    handover overlaps."""
    begin = day_start(day)
    end = begin + timedelta(days=1)
    today = begin <= now < end
    slots = 24 * 60 // minutes
    every = 1 if minutes == FINE else 2  # hours from one label to the next: 4 columns
    grid = Text(no_wrap=True, overflow="crop")
    grid.append(f"{'UTC':<{LABEL}}", style="bold")
    grid.append("".join(f"{h:02d}  " for h in range(0, 24, every)), style="bold")
    grid.append("  on call now\n" if today else "\n", style="dim")
    if today:
        k = int((now - begin) / timedelta(minutes=minutes))
        note = f"▼ now {now:%H:%M} UTC"
        if k + len(note) <= slots:
            grid.append(" " * (LABEL + k))
            grid.append(note + "\n", style=NOW_STYLE)
        else:
            grid.append(" " * (LABEL + k - len(note) + 1))
            grid.append(f"now {now:%H:%M} UTC ▼\n", style=NOW_STYLE)
    else:
        grid.append(f"{'':<{LABEL}}{day:%a %d %b %Y}: not today\n", style="dim")
    tzs: dict[str, str] = {}
    for region in sun_order(rotations, begin):
        mine = [r for r in rotations if r.region == region]
        tzs[region] = mine[0].tz
        zones = {r.tz for r in mine}
        label = f"{clean(region, 6):<3} {clean(city(mine[0].tz), LABEL)}" + ("+" if len(zones) > 1 else "")
        grid.append(f"{label:<{LABEL}}"[:LABEL])
        covers = coverage(rotations, overrides, begin, end, region)
        for fewest, most in _slots(covers, begin, minutes):
            char, style = _cell(fewest, most, whole=False)
            grid.append(char, style=style)
        if today:
            held = next(c for c in covers if c.start <= now < c.end).holders
            who = ", ".join(clean(person, 16) for _, person in held)
            grid.append(f"  {who}" if who else "  nobody", style="bold" if who else "dim")
        grid.append("\n")
    whole = coverage(rotations, overrides, begin, end, ALL)
    grid.append(f"{'ALL regions':<{LABEL}}", style="bold")
    for fewest, most in _slots(whole, begin, minutes):
        char, style = _cell(fewest, most, whole=True)
        grid.append(char, style=style)
    if today and not next(c for c in whole if c.start <= now < c.end).holders:
        grid.append("  GAP NOW", style=GAP_STYLE)
    grid.append("\n")
    legend: list[tuple[str, str] | str] = [
        (f"{f'{minutes} min/char':<{LABEL}}", "dim"),
        (ON, ON_STYLE), " on call  ",
        (OVERLAP, OVERLAP_STYLE), " 2+ on call (overlap)  ",
        (PART, PART_STYLE), f" part of the {minutes} min  ",
        (OFF, OFF_STYLE), " nobody  ",
        (GAP, GAP_STYLE), " GAP: nobody in any region",
    ]  # fmt: skip
    grid.append_text(Text.assemble(*legend))
    notes = Text()
    gaps = [c for c in whole if not c.holders]
    if not gaps:
        notes.append("No gap this day: someone is on call in some region around the clock.", style="bold")
    for n, g in enumerate(gaps):
        local = " · ".join(
            f"{clean(city(tz), 16)} {g.start.astimezone(zone(tz)):%H:%M}-{g.end.astimezone(zone(tz)):%H:%M}"
            for tz in dict.fromkeys(tzs.values())
        )
        notes.append("\n" if n else "")
        notes.append(" GAP ", style=GAP_STYLE)
        notes.append(
            f" {hhmm(g.start, day)}-{hhmm(g.end, day)} UTC ({length(g.duration)}, {_when(g.start, g.end, now)}):",
            style="bold",
        )
        notes.append(f" nobody on call in any region. Local: {local}")
    overlaps: list[str] = []
    by_rotation = {r.rotation: r.region for r in rotations}
    for c in whole:
        if c.count > 1:
            names = "+".join(dict.fromkeys(clean(by_rotation.get(rot, rot), 8) for rot, _ in c.holders))
            overlaps.append(f"{hhmm(c.start, day)}-{hhmm(c.end, day)} {names}")
    if overlaps:
        notes.append("\nHandover overlaps (UTC): " + " · ".join(overlaps), style="dim")
    return grid, notes


class CoverageStrip(Vertical):
    """The follow-the-sun strip (cropped, never wrapped) and its notes (wrapped);
    :meth:`show` repaints only what changed."""

    DEFAULT_CSS = """
    CoverageStrip { height: auto; padding: 0 1; }
    CoverageStrip Static { height: auto; }
    CoverageStrip #strip-grid { text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: tuple[Text, Text] | None = None
        self._args: tuple[Sequence[Rotation], Sequence[Override], date, datetime] | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", id="strip-grid", markup=False)
        yield Static("", id="strip-notes", markup=False)

    def show(
        self, rotations: Sequence[Rotation], overrides: Sequence[Override], day: date, now: datetime
    ) -> None:
        self._args = (rotations, overrides, day, now)
        width = self.content_size.width or self.app.size.width
        shown = render_strip(rotations, overrides, day, now, fits(width))
        if shown != self._shown:
            self._shown = shown
            self.query_one("#strip-grid", Static).update(shown[0])
            self.query_one("#strip-notes", Static).update(shown[1])

    def on_resize(self) -> None:
        if self._args is not None:
            self.show(*self._args)

    @property
    def text(self) -> str:
        """What it shows, as plain text (for tests)."""
        return "\n".join(t.plain for t in self._shown) if self._shown else ""


def week_rows(
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    begin: datetime,
    now: datetime,
    days: int = 7,
) -> list[tuple[str, list[Text]]]:
    """(key, cells) of the week table: every stretch someone holds a rotation, in local
    time and UTC, overrides marked with ``*`` and what they replace."""
    out: list[tuple[str, list[Text]]] = []
    end = begin + timedelta(days=days)
    for rot in in_sun_order(rotations, begin):
        tz = zone(rot.tz)
        first = True
        # whole shifts: a stretch that began before the week or ends after it is not cut
        reach = timedelta(hours=rot.hours) + timedelta(days=1)
        for seg in segments(rot, overrides, begin - reach, end + reach):
            if seg.person is None or seg.end <= begin or seg.start >= end:
                continue
            a, b = seg.start.astimezone(tz), seg.end.astimezone(tz)
            current = seg.start <= now < seg.end
            name = Text(clean(rot.rotation, 12), style="bold") if first else Text("")
            region = Text(f"{clean(rot.region, 6)} {city(rot.tz)}", style="dim") if first else Text("")
            first = False
            names = a.tzname() if a.tzname() == b.tzname() else f"{a.tzname()}/{b.tzname()}"
            local = f"{a:%H:%M}-{hhmm(b, a.date())} {names}"
            utc = f"{seg.start:%a %H:%M}-{hhmm(seg.end, seg.start.date())}"
            person = Text(clean(seg.person, 16), style="bold" if current else "")
            note = Text("")
            if seg.override is not None:
                person.append(" *", style="bold #e8833a")
                instead = (
                    f"in place of {clean(seg.shift.person, 16)}"
                    if seg.shift
                    else "outside the rotation's shifts"
                )
                reason = f": {clean(seg.override.reason, 48)}" if seg.override.reason else ""
                note = Text(f"override, {instead}{reason}", style="#e8833a")
            if current:
                note = Text.assemble(("◀ NOW ", NOW_STYLE), note)
            cells = [name, region, Text(f"{a:%a %d %b}"), Text(local), Text(utc), person, note]
            out.append((f"{rot.rotation}\x00{seg.start.isoformat()}", cells))
    return out


class RosterWeek(Vertical):
    """The week of shifts, one row per stretch someone holds a rotation."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._rows: list[tuple[str, list[Text]]] | None = None

    DEFAULT_CSS = """
    RosterWeek { height: 1fr; }
    RosterWeek DataTable { height: 1fr; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield DataTable(id="week-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key in (("Rotation", "rotation"), ("Region", "region"), ("Local day", "day"),
                           ("Local time", "local"), ("UTC", "utc"), ("On call", "person"), ("Note", "note")):  # fmt: skip
            table.add_column(label, key=key)

    def show(
        self, rotations: Sequence[Rotation], overrides: Sequence[Override], begin: datetime, now: datetime
    ) -> None:
        rows = week_rows(rotations, overrides, begin, now)
        if rows == self._rows:
            return
        self._rows = rows
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
            current = next((n for n, (_, cells) in enumerate(rows) if "◀ NOW" in cells[-1].plain), None)
            if current is not None:
                table.move_cursor(row=current)
