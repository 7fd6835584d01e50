"""The roster screen: follow-the-sun coverage over a UTC day (gaps and overlaps by region)
and the week of shifts of every rotation, in local time and UTC, overrides marked.

Open it with ``app.push_screen(RosterScreen(app.last_snapshot))``; it follows the app's
snapshots (``app.snapshots``) while it is open. Escape closes it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Static

from data.engine import clock
from data.incidents.views import Snapshot, SyncState
from data.roster.board import coverage_day, day_start, week_rows
from screens.live import LiveScreen
from screens.registry import bindings
from widgets.console import console_or_none
from widgets.coverage import CoverageStrip, RosterWeek
from widgets.status import StatusBar

EMPTY = (
    "No rotations in the journal yet.\n\n"
    "Import a roster (people, rotations, overrides) from a TOML file:\n"
    "  warroom roster import roster.toml\n"
    "or an on-call schedule exported from PagerDuty or Opsgenie as overrides of a rotation:\n"
    "  warroom roster import schedule.ics --rotation us-ic\n\n"
    "The format is in docs/roster.md."
)


class RosterScreen(LiveScreen[None]):
    """Who is on call when: a coverage strip of one UTC day and a week of shifts."""

    BINDINGS = bindings("roster.back", "roster.earlier", "roster.later", "roster.today")

    DEFAULT_CSS = """
    RosterScreen { overflow: hidden hidden; }
    RosterScreen .box { border: round $primary-darken-2; height: auto; }
    RosterScreen .box:focus-within { border: round $accent; }
    RosterScreen #week-box { height: 1fr; }
    RosterScreen #roster-empty { padding: 1 2; display: none; }
    RosterScreen.empty #roster-empty { display: block; }
    RosterScreen.empty .box { display: none; }
    """

    def __init__(self, snapshot: Snapshot | None = None) -> None:
        """``snapshot``: what to show first (else the app's last one); the screen follows
        the app's snapshots from then on."""
        super().__init__()
        self.snapshot = snapshot
        self.offset_days = 0  # the day shown, relative to today (UTC)
        self._minute: datetime | None = None

    def compose(self) -> ComposeResult:
        c = console_or_none(self.app)  # (a test's host app is not a console)
        yield StatusBar(c.settings.actor if c is not None else "", id="status")
        with Vertical(id="strip-box", classes="box") as box:
            box.border_title = "Follow-the-sun coverage"
            yield CoverageStrip(id="strip")
        with Vertical(id="week-box", classes="box") as box:
            box.border_title = "Who is on call, 7 days"
            yield RosterWeek(id="week")
        yield Static(EMPTY, id="roster-empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(15.0, self.tick)
        if self.snapshot is None and (c := console_or_none(self.app)) is not None:
            self.snapshot = c.last_snapshot
        self.show_snapshot(self.snapshot or Snapshot())
        self.query_one("#week-table").focus()

    # --- showing ---------------------------------------------------------------------

    def day(self, now: datetime) -> date:
        return now.date() + timedelta(days=self.offset_days)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        now = clock.now()
        self.query_one(StatusBar).show(now, snapshot.sync)
        self.render_roster(now)

    def show_state(self, state: SyncState) -> None:
        self.query_one(StatusBar).show(clock.now(), state)

    def render_roster(self, now: datetime) -> None:
        snap = self.snapshot or Snapshot()
        self._minute = now.replace(second=0, microsecond=0)
        self.set_class(not snap.rotations, "empty")
        if not snap.rotations:
            return
        day = self.day(now)
        rotations, overrides = snap.rotations, snap.overrides
        strip = self.query_one(CoverageStrip)
        strip.show(coverage_day(rotations, overrides, day, now, strip.minutes()))
        self.query_one(RosterWeek).show(week_rows(rotations, overrides, day_start(day), now))
        self.query_one("#strip-box").border_title = Text(
            f"Follow-the-sun coverage · {day:%a %d %b %Y} · 00:00-24:00 UTC"
        )
        last = day + timedelta(days=6)
        self.query_one("#week-box").border_title = Text(
            f"Who is on call · {day:%a %d %b} to {last:%a %d %b} (from 00:00 UTC) · * override"
        )
        self.query_one("#week-box").border_subtitle = Text("← → another day · t today")

    def on_coverage_strip_resized(self, _: CoverageStrip.Resized) -> None:
        self.render_roster(clock.now())

    def tick(self) -> None:
        now = clock.now()
        self.query_one(StatusBar).show(now)
        if self._minute is None or now.replace(second=0, microsecond=0) != self._minute:
            self.render_roster(now)

    # --- actions ---------------------------------------------------------------------

    def action_move(self, days: int) -> None:
        self.offset_days += days
        self.render_roster(clock.now())

    def action_today(self) -> None:
        self.offset_days = 0
        self.render_roster(clock.now())
