"""The trends screen: weeks of the war room at a glance, every picture with its numbers.

Incidents opened per week by category, the severity mix, clocks met and missed by kind,
time to acknowledge and to resolve (median and 90th percentile) by severity and category,
and the on-call load per person. ``p`` cycles the period (last 4, 8, 12 weeks, all), ``r``
the region; Escape goes back. Every number is defined in data/trends/report.py and docs/trends.md.

It follows the app's snapshots, but computes off the refresh path: the store is read in a
worker (group ``trends``) only when the journal moved, at most once every
``REFRESH_EVERY`` seconds, and the numbers are computed in a thread; changing a filter
recomputes from what was read, without a query.
"""

from __future__ import annotations

import asyncio
import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Static

from data.engine import clock
from data.engine.models import CATEGORIES
from data.incidents.views import Snapshot, SyncState, span_text
from data.privacy.text import clean
from data.procedures.clocks import Policy
from data.trends.report import (
    SEVERITIES,
    Lifecycle,
    Stat,
    TrendInput,
    Trends,
    compute,
    last_weeks,
    period_start,
)
from screens.live import LiveScreen, live
from screens.registry import bindings
from widgets.console import console_or_none
from widgets.status import StatusBar

PERIODS: tuple[int | None, ...] = (4, 8, 12, None)  # weeks; None: all
REGIONS: tuple[str | None, ...] = (None, "US", "UK", "AU", "EU", "global")
REFRESH_EVERY = 30.0  # seconds: the least time between two reads of the store
MAX_WEEKS = 12  # week columns shown (the totals cover the whole period)
COMPACT_WIDTH = 140  # narrower: the side column narrows, the charts shrink to leave every number
NARROW_WIDTH = 100  # narrower: every box full width, one under the other
SEVERITY_NAMES = {1: "critical", 2: "major", 3: "moderate", 4: "low"}
KIND_NAMES = {"ack": "acknowledge", "update": "update", "item": "checklist"}
SPARK = "▁▂▃▄▅▆▇█"
EIGHTHS = " ▏▎▍▌▋▊▉"
ACCENT = "#4ea1d3"
ACCENT_DIM = "#2f6385"
#: the severity colours of the console's theme (severity is also written, never colour alone)
SEVERITY_COLOURS = {1: "#e5484d", 2: "#e8833a", 3: "#e3c44a", 4: "#6e9ecf"}


def bar(value: float, top: float, width: int) -> str:
    """A horizontal bar of ``width`` cells at most, in eighths of a cell (a non-zero value
    shows at least a sliver)."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    full, part = divmod(min(eighths, width * 8), 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def spark(values: tuple[int, ...] | list[int]) -> str:
    """One character per value, ``·`` for zero, scaled to the largest."""
    top = max(values, default=0)
    if top <= 0:
        return "·" * len(values)
    return "".join("·" if v <= 0 else SPARK[min(7, max(0, round(v / top * 7)))] for v in values)


def dur(seconds: float | None) -> str:
    return "–" if seconds is None else span_text(int(seconds))


def cat_name(category: str) -> str:
    return category.replace("_", " ")


def render_opened(t: Trends, width: int | None = None) -> Text:
    """Within ``width`` cells (None: no limit) the sparklines go first, then the week
    columns narrow to their widest number: every number stays."""
    first = max(0, len(t.weeks) - MAX_WEEKS)
    weeks = t.weeks[first:]
    rows = [("all", t.opened_total)] + [(c, t.opened.get(c, ())) for c in CATEGORIES]
    cell = 4
    numbers = 18 + cell * len(weeks) + 7
    sparks = width is None or numbers + len(weeks) + 1 <= width
    if width is not None and numbers > width:  # a cell one wider than the widest number (≥ 3: "W47")
        cell = max(3, 1 + max((len(str(v)) for _, counts in rows for v in counts[first:]), default=1))
    out = Text(no_wrap=True)
    chart = " " * (len(weeks) + 1) if sparks else ""
    head = " " * 18 + chart + "".join(f"{'W' + w.label[-2:]:>{cell}}" for w in weeks) + "  total"
    out.append(head + "\n", "bold")
    for name, counts in rows:
        shown = list(counts[first:])
        style = "bold" if name == "all" else ""
        out.append(f"{cat_name(name):<17} ", style)
        if sparks:
            out.append(spark(shown), "bold " + ACCENT if name == "all" else ACCENT)
            out.append(" ")
        out.append("".join(f"{v:>{cell}}" if v else f"{'·':>{cell}}" for v in shown), style)
        out.append(f"{sum(counts):>7}\n", "bold")
    if first:
        note(out, f"(the last {MAX_WEEKS} weeks shown · totals are for the whole period)", width)
    return out


def note(out: Text, text: str, width: int | None) -> None:
    """A footnote, dim, its " · "-separated parts on lines of their own where it would not
    fit ``width``."""
    if width is None or len(text) <= width:
        out.append(text, "dim")
        return
    out.append("\n".join(text.split(" · ")), "dim")


def chart_width(width: int | None, fixed: int, most: int, least: int = 0) -> int:
    """How wide a chart may be beside ``fixed`` cells of text in ``width`` (None: ``most``):
    charts shrink before any number is cut."""
    return most if width is None else max(least, min(most, width - fixed))


def render_mix(t: Trends, width: int | None = None) -> Text:
    total = sum(t.severity_mix.values())
    top = max(t.severity_mix.values(), default=0)
    out = Text(no_wrap=True)
    w = chart_width(width, 24, 24)
    for s in SEVERITIES:
        n = t.severity_mix.get(s, 0)
        share = f"{100 * n / total:3.0f}%" if total else "  –"
        out.append(f"S{s} {SEVERITY_NAMES[s]:<9}", "bold")
        out.append(f"{bar(n, top, w):<{w}}", SEVERITY_COLOURS[s])
        out.append(f"  {n:>4}  {share}\n")
    return out


def render_clocks(t: Trends, room: int | None = None) -> Text:
    out = Text(no_wrap=True)
    width = chart_width(room, 41, 14, 4)
    overdue = []
    for kind in ("ack", "update", "item"):
        c = t.clocks[kind]
        counted = c.counted
        met_w = round(width * c.met / counted) if counted else 0
        bad_w = width - met_w if counted else 0
        if counted and c.missed + c.overdue and bad_w == 0:
            met_w, bad_w = width - 1, 1
        out.append(f"{KIND_NAMES[kind]:<13}")
        out.append("█" * met_w, "#3fb950")
        out.append("▒" * bad_w, "#e5484d")
        out.append(" " * (width - met_w - bad_w))
        share = f"{100 * c.met / counted:3.0f}%" if counted else "  –"
        out.append(f"  {c.met:>4} met {c.missed + c.overdue:>4} missed  ")
        out.append(share, "bold")
        out.append("\n")
        if c.overdue:
            overdue.append(f"{c.overdue} {KIND_NAMES[kind]}{'s' if c.overdue > 1 else ''}")
    if overdue:
        out.append(f"! of the missed, overdue now: {', '.join(overdue)}\n", "bold #e5484d")
    note(out, "█ met ▒ missed · in the week they fell due", room)
    return out


def _stat_cells(st: Stat, top: float, width: int) -> list[tuple[str, str]]:
    """A bar (solid to the median, shaded to the 90th percentile) and the two numbers."""
    solid = bar(st.median or 0, top, width)
    to_p90 = bar(st.p90 or 0, top, width)
    shade = "▒" * max(0, len(to_p90) - len(solid))
    return [(solid, ACCENT), (shade, ACCENT_DIM), (" " * max(0, width - len(solid) - len(shade)), ""),
            (f" {st.n:>3} {dur(st.median):>6} {dur(st.p90):>6}", "")]  # fmt: skip


LIFE_BAR = 8
TARGET = 9  # " ✓ 24h00m"


def render_lifecycle(t: Trends, policy: Policy, width: int | None = None) -> Text:
    rows: list[tuple[str, Lifecycle, int | None]] = [("all incidents", t.lifecycle_of("all"), None)]
    rows += [(f"S{s} {SEVERITY_NAMES[s]}", t.lifecycle_of("severity", str(s)), s) for s in SEVERITIES]
    rows += [(cat_name(c), t.lifecycle_of("category", c), None) for c in CATEGORIES]
    top_ack = max((r.ack.p90 or 0 for _, r, _ in rows), default=0)
    top_res = max((r.resolve.p90 or 0 for _, r, _ in rows), default=0)
    out = Text(no_wrap=True)
    # name, bar, "   n median    p90", the target, two spaces, bar, "   n median    p90"
    w = LIFE_BAR if width is None else max(0, min(LIFE_BAR, (width - 18 - 18 - TARGET - 2 - 18) // 2))
    stats = "   n median    p90"
    # the two groups named on a line of their own, over their columns
    head = (f"{'':<18}{'acknowledge':<{w + 18 + TARGET + 2}}resolve\n"
            f"{'':<18}{'':<{w}}{stats}{' target':<{TARGET}}  {'':<{w}}{stats}\n")  # fmt: skip
    out.append(head, "bold")
    for n, (name, row, sev) in enumerate(rows):
        if n in (1, 5):
            out.append("\n")
        out.append(f"{name:<17} ", "bold" if n == 0 else "")
        for text, style in _stat_cells(row.ack, top_ack, w):
            out.append(text, style)
        target = policy.ack.get(sev) if sev is not None else None
        if target is not None and row.ack.p90 is not None:
            # a business-day target is about a day and a half of elapsed time (nominal)
            seconds = target.nominal().total_seconds()
            ok = row.ack.p90 <= seconds
            shown = target.text() if target.business_days else span_text(int(seconds))
            out.append(f" {'✓' if ok else '✗'} {shown:<{TARGET - 3}}",
                       "#3fb950" if ok else "bold #e5484d")  # fmt: skip
        else:
            out.append(" " * TARGET)
        out.append("  ")
        for text, style in _stat_cells(row.resolve, top_res, w):
            out.append(text, style)
        out.append("\n")
    note(out, "from T0 (detected, else opened) · bar to the median, ▒ to the 90th percentile", width)
    out.append("\n")
    note(out, "target: the acknowledgement target · ✓ the 90th percentile is within it", width)
    return out


def render_load(t: Trends, width: int | None = None) -> Text:
    out = Text(no_wrap=True)
    if not t.load:
        out.append("No roles held and nobody on call in this period.", "dim")
        return out
    top = max(p.incidents for p in t.load)
    w = chart_width(width, 41, 12, 4)
    worked = "incidents worked" if w + 5 >= 17 else "worked"
    out.append(f"{'person':<11}{'on call':>8}  {worked:<{w + 5}}{'IC':>4} {'per 12h':>8}\n", "bold")
    for p in t.load[:LOAD_ROWS]:
        if p.in_roster is False:  # a handle not in the roster: marked, not hidden (data/trends/report.py)
            name = clean(p.person, 9)
            out.append(name)
            out.append("?", "bold")
            out.append(" " * (10 - len(name)))
        else:
            out.append(f"{clean(p.person, 10):<11}")
        out.append(f"{p.on_call_hours:>7.0f}h  " if p.on_call_hours else f"{'–':>8}  ")
        out.append(f"{bar(p.incidents, top, w):<{w}}", ACCENT)
        out.append(f" {p.incidents:>3} {p.as_commander:>4} ")
        rate = p.per_12h
        if rate is None:
            out.append(f"{'–':>6}")
        else:
            out.append(f"{rate:6.1f}", "bold #e5484d" if rate > 2 else "")
            if rate > 2:
                out.append(" !", "bold #e5484d")
        out.append("\n")
    if len(t.load) > LOAD_ROWS:
        out.append(f"… and {len(t.load) - LOAD_ROWS} more (warroom report trends)\n", "dim")
    note(out, "on call: rotation hours · worked: held a role", width)
    out.append("\n")
    note(out, "IC: as commander · ! over 2 worked per 12 h on call", width)
    if any(p.in_roster is False for p in t.load[:LOAD_ROWS]):
        out.append("\n")
        note(out, "? not in the roster (a handle as typed)", width)
    return out


LOAD_ROWS = 14


def render_signals(t: Trends, width: int | None = None) -> Text:
    """Signals per channel (the channels that had any): received, repeats, promoted and
    their share, time to triage (median and p90)."""
    out = Text(no_wrap=True)
    rows = [c for c in t.signals if c.received or c.repeats] + [t.signals_all]
    top = max((c.received for c in rows[:-1]), default=0)
    w = chart_width(width, 57, 12, 0)
    out.append(f"{'channel':<12} {'':<{w}}{'received':>9}{'repeats':>8}{'promoted':>13}"
               f"{'triage':>7}{'p90':>7}\n", "bold")  # fmt: skip
    for c in rows:
        name = c.channel.replace("_", " ") if c.channel else "all"
        share = f"{100 * c.promoted_share:3.0f}%" if c.promoted_share is not None else "  –"
        out.append(f"{name:<12} ", "bold" if not c.channel else "")
        out.append(f"{bar(c.received, top, w) if c.channel else '':<{w}}", ACCENT)
        out.append(f"{c.received:>9}{c.repeats:>8}{c.promoted:>8} {share}"
                   f"{dur(c.triage.median):>7}{dur(c.triage.p90):>7}\n")  # fmt: skip
    note(out, "received in the period · triage: received to first triaged (median, p90)", width)
    return out


class Figure(Static):
    """One box's picture: drawn again for its width when that changes (a scrollbar came)."""

    def on_resize(self) -> None:
        screen = self.screen
        if isinstance(screen, TrendsScreen):
            screen.redraw_soon()


class TrendsScreen(LiveScreen[None]):
    """Weeks of incidents, clocks and on-call load, filtered by period and region."""

    BINDINGS = bindings("trends.back", "trends.period", "trends.region")

    DEFAULT_CSS = """
    TrendsScreen { overflow: hidden hidden; }
    TrendsScreen #trends-filters { height: 1; padding: 0 1; background: $boost; }
    TrendsScreen #trends-body { height: 1fr; }
    TrendsScreen .row { height: auto; }
    TrendsScreen .box { border: round $primary-darken-2; height: auto; padding: 0 1; }
    TrendsScreen #opened-box, TrendsScreen #lifecycle-box { width: 1fr; }
    TrendsScreen #side, TrendsScreen #load-box { width: 62; }
    TrendsScreen .box Static { text-wrap: nowrap; text-overflow: clip; }
    TrendsScreen #side { height: auto; }
    TrendsScreen.-compact #side { width: 52; }
    TrendsScreen.-compact #lower { layout: vertical; }
    TrendsScreen.-compact #load-box { width: 1fr; }
    TrendsScreen.-narrow .row { layout: vertical; }
    TrendsScreen.-narrow #side { width: 1fr; }
    """

    def __init__(
        self, snapshot: Snapshot | None = None, *, weeks: int | None = 8, region: str | None = None
    ) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.period_weeks = weeks
        self.region_filter = region
        self.trends: Trends | None = None
        self._input: TrendInput | None = None
        self._read_line: int | None = None  # the journal line the input was read at
        self._read_at = 0.0  # monotonic time of the last read
        self._pending: Timer | None = None
        self.computations = 0  # how many times the numbers were computed (tests)
        self._policy = Policy()
        self._redraw_pending = False

    def compose(self) -> ComposeResult:
        c = console_or_none(self.app)  # (a test's host app is not a console)
        yield StatusBar(c.settings.actor if c is not None else "", id="status")
        yield Static(Text("Reading the journal's history…"), id="trends-filters")
        with VerticalScroll(id="trends-body"):
            with Horizontal(classes="row"):
                with Vertical(id="opened-box", classes="box") as box:
                    box.border_title = "Incidents opened per week, by category"
                    yield Figure(Text(""), id="opened")
                with Vertical(id="side"):
                    with Vertical(id="mix-box", classes="box") as box:
                        box.border_title = "Severity mix (severity now)"
                        yield Figure(Text(""), id="mix")
                    with Vertical(id="clocks-box", classes="box") as box:
                        box.border_title = "Clocks met and missed"
                        yield Figure(Text(""), id="clocks")
            with Horizontal(id="lower", classes="row"):
                with Vertical(id="lifecycle-box", classes="box") as box:
                    box.border_title = "Time to acknowledge and to resolve"
                    yield Figure(Text(""), id="lifecycle")
                with Vertical(id="load-box", classes="box") as box:
                    box.border_title = "On-call load per person"
                    yield Figure(Text(""), id="load")
            with Vertical(id="signals-box", classes="box") as box:
                box.border_title = "Signals per channel"
                box.display = False  # shown once the period has signals
                yield Figure(Text(""), id="signals")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(15.0, self.tick)
        if self.snapshot is None and (c := console_or_none(self.app)) is not None:
            self.snapshot = c.last_snapshot
        self.query_one(StatusBar).show(clock.now(), (self.snapshot or Snapshot()).sync)
        self.read()

    # --- following the journal ---------------------------------------------------------

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """A new snapshot: the status bar at once; the numbers only if the journal moved,
        and not more often than every ``REFRESH_EVERY`` seconds."""
        self.snapshot = snapshot
        self.query_one(StatusBar).show(clock.now(), snapshot.sync)
        if snapshot.sync.line == self._read_line or self._pending is not None:
            return
        wait = REFRESH_EVERY - (time.monotonic() - self._read_at)
        if wait <= 0:
            self.read()
        else:
            self._pending = self.set_timer(wait, self._read_later, name="trends-refresh")

    def show_state(self, state: SyncState) -> None:
        self.query_one(StatusBar).show(clock.now(), state)

    def tick(self) -> None:
        self.query_one(StatusBar).show(clock.now())

    def _read_later(self) -> None:
        self._pending = None
        self.read()

    @work(group="trends", exclusive=True)
    async def read(self) -> None:
        """Read the store, then compute (the worker never touches a widget but through
        :meth:`render_trends`, on the app's loop)."""
        from data.trends.report import load_input

        c = console_or_none(self.app)
        store = c.store if c is not None else None
        line = self.snapshot.sync.line if self.snapshot is not None else None
        self._read_at = time.monotonic()
        if store is None:
            inp = TrendInput()
        else:
            try:
                inp = await load_input(store)
            except Exception as exc:  # the store failed: say so, keep what is shown
                if not live(self):
                    return
                self.query_one("#trends-filters", Static).update(
                    Text(f"Could not read the history: {clean(str(exc), 200)}", "bold red")
                )
                return
        self._input = inp
        self._read_line = line
        await self._compute()

    @work(group="trends", exclusive=True)
    async def recompute(self) -> None:
        await self._compute()

    async def _compute(self) -> None:
        inp = self._input or TrendInput()
        now = clock.now()
        if self.period_weeks is None:
            start = period_start(inp, now)
        else:
            start, _ = last_weeks(self.period_weeks, now)
        policy = c.policy if (c := console_or_none(self.app)) is not None else Policy()
        trends = await asyncio.to_thread(
            compute, inp, start, now, now, region=self.region_filter, policy=policy
        )
        if not live(self):  # closed (or the console closing) while computing: its panes are going away
            return
        self.computations += 1
        self.render_trends(trends, policy)

    # --- showing -------------------------------------------------------------------------

    def describe_filters(self, t: Trends) -> Text:
        period = "all weeks" if self.period_weeks is None else f"last {self.period_weeks} weeks"
        out = Text(no_wrap=True)
        out.append(period, "bold")
        out.append(f" ({t.start:%a %d %b} – {t.end:%a %d %b %Y %H:%M} UTC, ISO weeks)  ·  region ")
        out.append(self.region_filter or "all", "bold")
        out.append(f"  ·  {t.incidents} incidents opened", "bold")
        out.append("   p period · r region · Esc back", "dim")
        return out

    def on_resize(self) -> None:
        """Narrower than COMPACT_WIDTH, the side column narrows and the on-call load goes
        under the response times; the pictures are drawn again for the room each has
        (charts shrink first: every number stays)."""
        self.set_class(self.size.width < COMPACT_WIDTH, "-compact")
        self.set_class(self.size.width < NARROW_WIDTH, "-narrow")  # one box under the other
        self.redraw_soon()

    def redraw_soon(self) -> None:
        """Draw the pictures again for their widths, once, after the layout settles."""
        if self.trends is not None and not self._redraw_pending:
            self._redraw_pending = True
            self.call_after_refresh(self._redraw)

    def _redraw(self) -> None:
        self._redraw_pending = False
        if self.trends is not None:
            self.render_trends(self.trends, self._policy)

    def render_trends(self, t: Trends, policy: Policy) -> None:
        self.trends = t
        self._policy = policy
        room = {name: self.query_one(f"#{name}", Static).size.width or None
                for name in ("opened", "mix", "clocks", "lifecycle", "load")}  # fmt: skip
        if None in room.values():  # not laid out yet: again once it is
            self.redraw_soon()
        self.query_one("#trends-filters", Static).update(self.describe_filters(t))
        self.query_one("#opened", Static).update(render_opened(t, room["opened"]))
        self.query_one("#mix", Static).update(render_mix(t, room["mix"]))
        self.query_one("#clocks", Static).update(render_clocks(t, room["clocks"]))
        self.query_one("#lifecycle", Static).update(render_lifecycle(t, policy, room["lifecycle"]))
        self.query_one("#load", Static).update(render_load(t, room["load"]))
        has_signals = bool(t.signals_all.received or t.signals_all.repeats)
        self.query_one("#signals-box").display = has_signals
        if has_signals:
            self.query_one("#signals", Static).update(
                render_signals(t, self.query_one("#signals").size.width or None)
            )
        first, last = (t.weeks[0], t.weeks[-1]) if t.weeks else (None, None)
        if first is not None and last is not None:
            self.query_one("#opened-box").border_subtitle = Text(
                f"{first.label} to {last.label} · Mondays 00:00 UTC"
            )

    # --- actions -------------------------------------------------------------------------

    def action_period(self) -> None:
        self.period_weeks = (
            PERIODS[(PERIODS.index(self.period_weeks) + 1) % len(PERIODS)]
            if self.period_weeks in PERIODS
            else 8
        )
        self.recompute()

    def action_region(self) -> None:
        self.region_filter = (
            REGIONS[(REGIONS.index(self.region_filter) + 1) % len(REGIONS)]
            if self.region_filter in REGIONS
            else None
        )
        self.recompute()
