"""Whether a screen can be reached now.

A screen's own handlers and timers run in its message loop, which ends before its panes
are taken down, so they always find them. Code that runs elsewhere does not: a worker
resuming after an await (a worker is a task of its own, cancelled only once the panes are
gone), the App's workers and timers telling every screen of a change (a screen pushed a
moment ago is on the stack before it is composed; while the console closes, every screen
is on it while its panes go). Such code asks :func:`live` before it reaches a pane.

:class:`LiveScreen` is the base of the screens that follow the console's signals.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import Screen
from textual.widget import Widget

from data.incidents.views import Snapshot, SyncState
from widgets.console import Console, WellbeingShown, console_or_none
from widgets.console import console as console_of

ResultT = TypeVar("ResultT")


def live(node: Widget) -> bool:
    """Mounted (its panes composed), attached to the app, and not being taken down."""
    return node.is_mounted and node.is_attached and not (node._pruning or node._closing or node._closed)


class LiveScreen(Screen[ResultT]):
    """A screen that follows the console: once mounted it subscribes to the App's
    ``snapshots``, ``sync_states`` and ``wellbeing_shown`` signals (widgets/console.py), and
    unsubscribes when it is taken down. A subclass overrides what it shows of each:
    :meth:`show_snapshot`, :meth:`show_state`, :meth:`show_wellbeing`. On a host app that is
    not a console (a test's), nothing is published and nothing is subscribed."""

    @property
    def console(self) -> Console:
        """The App, as what a screen may ask of it (widgets/console.py)."""
        return console_of(self.app)

    def on_mount(self) -> None:  # after the subclass's own on_mount (Textual calls both)
        c = console_or_none(self.app)
        if c is None:
            return
        c.snapshots.subscribe(self, self.show_snapshot)  # in this screen's message loop
        # at once, as they are published (a catch-up's progress; quiet mode toggled): a
        # screen not composed yet or being taken down is skipped (live())
        c.sync_states.subscribe(self, self._state, immediate=True)
        c.wellbeing_shown.subscribe(self, self._wellbeing, immediate=True)

    def on_unmount(self) -> None:
        c = console_or_none(self.app)
        if c is not None:
            for signal in (c.snapshots, c.sync_states, c.wellbeing_shown):
                signal.unsubscribe(self)

    def _state(self, state: SyncState) -> None:
        if live(self):
            self.show_state(state)

    def _wellbeing(self, shown: WellbeingShown) -> None:
        if live(self):
            self.show_wellbeing(shown)

    def exposure_subject(self) -> tuple[str, str] | None:
        """The incident (id, category) this screen shows in detail, for the exposure
        counters (app/wellbeing.py); None: none."""
        return None

    def applies(self, action: str) -> bool:
        """Whether ``action`` can run now, every check made (the command palette's filter;
        stricter than ``check_action`` where a screen says so)."""
        return self.check_action(action, ()) is not False

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """A new snapshot of the journal."""

    def show_state(self, state: SyncState) -> None:
        """The sync's state changed between snapshots."""

    def show_wellbeing(self, shown: WellbeingShown) -> None:
        """What the wellbeing line shows changed."""
