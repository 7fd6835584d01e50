"""The console's side of responder wellbeing (docs/wellbeing.md), mixed into the App.

It feeds :class:`data.care.wellbeing.Tracker` what is on screen (the screens' ``exposure_subject()``,
looked up when the screen stack changes or a screen says its incident changed), input (a key
or a click: one attribute set, no database work) and the terminal's focus; one timer wakes
it only while something is counted or unwritten: at the next break prompt or the next write
(every minute). What was counted is written to the local store in a worker, on a shift
change and when the console quits; never one write per key.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from textual import events
from textual.screen import ModalScreen
from textual.signal import Signal
from textual.timer import Timer

from data.care.wellbeing import (
    FLUSH_SECONDS,
    Tracker,
    WellbeingConfig,
    WellbeingError,
    wellbeing_of,
)
from data.engine import clock
from data.engine.errors import StoreError
from data.engine.lazy import lazy
from data.privacy.text import clean
from screens.live import LiveScreen
from widgets.console import WellbeingShown

if TYPE_CHECKING:
    from data.care import exposure
else:  # (SQLAlchemy: imported when first used, after the first paint)
    exposure = lazy("data.care.exposure")

#: the longest the wellbeing timer sleeps (seconds)
WAKE_MAX = 300.0

BREAK_MESSAGE = (
    "You have been on sensitive incidents for {minutes} minutes. A short break helps: "
    "step away from the screen for a few minutes (B hands your roles to each incident's deputy)."
)


class WellbeingConsole:
    """Mixed into :class:`app.console.WarRoom` (before ``App``)."""

    # provided by the App
    settings: Any
    store: Any
    wellbeing_shown: Signal[WellbeingShown]
    last_snapshot: Any
    screen_stack: Any
    _setup_problems: list[str]
    notify: Any
    set_timer: Any
    run_worker: Any

    def _init_wellbeing(self) -> None:
        try:  # the settings read once; a problem is reported with the others (_load_setup)
            self.wellbeing_config = wellbeing_of(self.settings.config)
        except WellbeingError:
            self.wellbeing_config = WellbeingConfig()
        self.quiet = self.wellbeing_config.quiet
        self.wellbeing = Tracker(self.settings.actor, self.wellbeing_config, clock.now())
        self._wellbeing_timer: Timer | None = None
        self._wellbeing_lock = asyncio.Lock()
        self._wellbeing_pending: Any = (
            None  # the pending handoffs last seen (a change: a shift may have begun)
        )
        self._wellbeing_loaded = False
        self._wellbeing_failed = False
        self._wellbeing_pruned = False

    # --- what is on screen ------------------------------------------------------------

    def _exposure_subject(self) -> tuple[str, str] | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, ModalScreen):  # a dialog over a detail leaves it in view
                continue
            return screen.exposure_subject() if isinstance(screen, LiveScreen) else None
        return None

    def wellbeing_view(self, *_: Any) -> None:
        """What is on screen may have changed (a screen pushed or popped, an incident
        selected): count from now for what is."""
        t = self.wellbeing
        before = t.subject
        t.view(self._exposure_subject(), clock.now())
        if t.subject != before:
            self._arm_wellbeing()
            self.show_wellbeing()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown) and not event.is_forwarded:
            t = self.wellbeing
            was = t.current
            t.input(clock.now())  # cheap: no view, an assignment; no database work ever
            if t.current is not was:  # back from idle: a new view is counted
                self._arm_wellbeing()
        await super().on_event(event)  # type: ignore[misc]

    def on_app_blur(self) -> None:
        self.wellbeing.set_away(True, clock.now())
        self._arm_wellbeing()

    def on_app_focus(self) -> None:
        self.wellbeing.set_away(False, clock.now())
        self._arm_wellbeing()

    # --- the indicator and quiet mode -------------------------------------------------

    def show_wellbeing(self) -> None:
        now = clock.now()
        t = self.wellbeing
        exposure = t.exposure(now)
        due = t.prompts > 0 and t.continuous(now) > timedelta(0)
        # to the live screens (screens/live.py LiveScreen)
        self.wellbeing_shown.publish(WellbeingShown(exposure, self.quiet, due))

    def toggle_quiet(self) -> bool:
        self.quiet = not self.quiet
        self.show_wellbeing()
        return self.quiet

    # --- the timer: prompts and writes ------------------------------------------------

    def _arm_wellbeing(self) -> None:
        if self._wellbeing_timer is not None:
            self._wellbeing_timer.stop()
            self._wellbeing_timer = None
        now = clock.now()
        when = self.wellbeing.next_wake(now)
        if when is not None:
            delay = min(max((when - now).total_seconds(), 1.0), WAKE_MAX)
            self._wellbeing_timer = self.set_timer(delay, self.wellbeing_wake, name="wellbeing")

    def wellbeing_wake(self) -> None:
        """A break prompt when one is due; a write when it is time."""
        self._wellbeing_timer = None
        now = clock.now()
        t = self.wellbeing
        done = t.prompt_due(now)
        if done is not None:
            minutes = int(done.total_seconds() // 60)
            self.notify(BREAK_MESSAGE.format(minutes=minutes), title="Wellbeing", timeout=30, markup=False)
        last = t.last_flush
        if t.dirty() and (last is None or (now - last).total_seconds() >= FLUSH_SECONDS - 1):
            self.run_worker(self.flush_wellbeing(), group="wellbeing", name="wellbeing-flush")
        self.show_wellbeing()
        self._arm_wellbeing()

    def _wellbeing_snapshot(self, snapshot: Any) -> None:
        """On every snapshot: a handoff acknowledged (the pending ones changed) may start a
        new shift; the first one loads what the store holds of this shift."""
        if not self._wellbeing_loaded or snapshot.pending != self._wellbeing_pending:
            self._wellbeing_loaded = True
            self._wellbeing_pending = snapshot.pending
            self.run_worker(self.flush_wellbeing(), group="wellbeing", name="wellbeing-shift")

    async def flush_wellbeing(self) -> None:
        """Write what was counted, and follow the shift (the region's last acknowledged
        handoff): a new shift loads what the store holds of it."""
        store = self.store
        if store is None:
            return
        from data.handoff.report import current_shift, home_region
        from data.incidents import queries as incident_queries

        async with self._wellbeing_lock:
            t = self.wellbeing
            try:
                snap = self.last_snapshot
                now = clock.now()
                if snap is not None:
                    region = home_region(snap.rotations, self.settings.actor)
                    start = current_shift(await incident_queries.handoffs(store), region, now)
                    first = not self._wellbeing_pruned
                    if t.set_shift(start, now) or first:
                        if first:
                            self._wellbeing_pruned = True
                            await exposure.prune(store, now - timedelta(days=self.wellbeing_config.keep_days))
                        t.load(await exposure.stored(store, self.settings.actor, t.window_start(now)))
                batch = t.dirty()
                if batch:
                    await exposure.record(store, self.settings.actor, batch)
                t.written(batch, clock.now())
                self._wellbeing_failed = False
            except (StoreError, OSError) as exc:
                if not self._wellbeing_failed:  # once, not every minute
                    self._wellbeing_failed = True
                    self.notify(clean(f"Exposure counters not saved: {exc}", 300), severity="warning",
                                timeout=10, markup=False)  # fmt: skip
        self.show_wellbeing()
        self._arm_wellbeing()

    async def close_wellbeing(self) -> None:
        """On quit: stop counting and write what is left."""
        self.wellbeing.view(None, clock.now())
        if self._wellbeing_timer is not None:
            self._wellbeing_timer.stop()
        store = self.store
        batch = self.wellbeing.dirty()
        if store is None or not batch:
            return
        try:
            await exposure.record(store, self.settings.actor, batch)
            self.wellbeing.written(batch, clock.now())
        except (StoreError, OSError):
            pass  # the console is closing: nothing to show it on
