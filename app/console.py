"""The console: a Textual app that owns the store and the sync loop.

Read path: journal change → one sync (coalesced) → snapshot → ``snapshots`` signal →
screens. Write path: key or palette → dialog → :meth:`WarRoom.act` → validated append to
the journal → the same read path (the console sees its own actions as everyone else's).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.worker import WorkerCancelled, WorkerFailed

from app.wellbeing import WellbeingConsole
from data.commands import AppendRefused, append_to, build_events, obligation_flags, procedure_events
from data.config import Settings
from data.engine import clock
from data.engine.chain import EditWatch, Pacer, lower_priority
from data.engine.errors import StoreError
from data.engine.journal import FileJournal, JournalError, JournalUnavailable
from data.engine.lazy import lazy
from data.engine.models import Draft
from data.incidents.views import Snapshot, SyncState, load_snapshot
from data.postmortem.report import PmPolicy, PmPolicyError, pm_policy_of
from data.privacy.text import clean
from data.procedures.clocks import Policy, PolicyError, Watch, next_turn, policy_of
from screens.live import LiveScreen
from screens.main import MainScreen
from screens.registry import PALETTE, bindings
from widgets.console import WellbeingShown
from widgets.status import StatusBar

if TYPE_CHECKING:
    from data.engine import outbox
    from data.engine.store import Store
else:  # (SQLAlchemy: imported after the first paint: the cached first screen needs none)
    outbox = lazy("data.engine.outbox")

#: a catch-up longer than this shows its progress in the status bar
PROGRESS_BYTES = 2 << 20
#: the longest the clocks go unchecked (seconds): they are checked when the next one turns
CLOCK_CHECK_MAX = 300.0
#: how often (seconds) a console re-reads, in the background at low priority, the lines its
#: store has read, to notice one changed in place (data.engine.chain.EditWatch; docs/security.md)
CHAIN_CHECK_EVERY = 180.0
#: the longest a console waits between escalation passes, in seconds (new incidents)
PAGE_EVERY = 30.0
#: how many of the last things the console told the user it keeps (``WarRoom.told``)
TOLD_KEPT = 200
#: how often (seconds) a running console writes its first screen's cache, at most
#: (data/incidents/first_screen.py; and when it stops)
FIRST_SCREEN_EVERY = 60.0
#: what a write is answered while the screen is the cached one
CACHED_MESSAGE = (
    "This console still shows the screen cached when it last ran, and is catching up with the "
    "journal: nothing is written until it shows the journal as it is (a moment)."
)

log = logging.getLogger("warroom.console")


@dataclass(frozen=True, slots=True)
class Told:
    """One thing the console told the user (a toast, :meth:`WarRoom.notify`), as told."""

    at: datetime
    title: str
    message: str
    severity: SeverityLevel


class WarRoom(WellbeingConsole, App[None]):
    TITLE = "warroom"
    #: an unticked box is empty: Textual draws its X dimmed, which reads as ticked; a
    #: ticked one shows its X in green
    CSS = """
    ToggleButton > .toggle--button { color: $panel; }
    ToggleButton.-on > .toggle--button { color: $text-success; }
    SelectionList > .selection-list--button, SelectionList > .selection-list--button-highlighted { color: $panel; }
    /* the compact footer's palette key reaches the last column: with Textual's margin there,
       the keys scrolled beneath it showed through it (a stray letter after "palette") */
    Footer.-compact FooterKey.-command-palette { margin-right: 0; }
    """
    BINDINGS = bindings("app.help", "app.quit", "app.observer")

    def __init__(
        self,
        settings: Settings,
        *,
        demo: bool = False,
        simulate: bool | None = None,
        freeze_heap: bool = False,
    ) -> None:
        super().__init__()
        #: once the first synced picture is on screen, move what lives for the whole session
        #: out of the garbage collector's sight (:meth:`_freeze_heap`); on for a console run
        #: by the command line (:func:`run_console`), off for one run inside another program
        self.freeze_heap = freeze_heap
        self.settings = settings
        self.demo = demo
        self.simulate = demo if simulate is None else simulate
        self.journal = settings.open_journal()
        self.store: Store = None  # type: ignore[assignment]  # opened on mount
        # what the live screens follow (screens/live.py LiveScreen; widgets/console.py)
        self.snapshots: Signal[Snapshot] = Signal(self, "snapshots")
        self.sync_states: Signal[SyncState] = Signal(self, "sync_states")
        self.wellbeing_shown: Signal[WellbeingShown] = Signal(self, "wellbeing_shown")
        self.sync_state = SyncState(journal=settings.journal_location)
        self.last_snapshot: Snapshot | None = None
        #: the screen shows the cached first screen (data/incidents/first_screen.py): until
        #: the store's picture replaces it, nothing is written and only moving around applies
        self.cached_screen = False
        self._first_screen_at: float | None = None  # when the cache was last written (monotonic)
        self.include_closed = False
        self._snapshot_basis: tuple[object, ...] = ()  # what the last synced snapshot was loaded with
        self._first_break: int | None = None
        self._wake = asyncio.Event()
        # the background chain check (check_chain): its interval, its memory, its stop
        self.chain_check_every = CHAIN_CHECK_EVERY
        self._edit_watch = EditWatch()
        self._chain_stop = threading.Event()
        self._chain_told: set[str] = set()
        self._rebuild_why: str | None = None  # the next sync rebuilds, and why
        # the outbox (data/engine/outbox.py): (waiting, refused), kept in step with the table;
        # the lock keeps its sending and act()'s appends in order
        self.outbox_counts: tuple[int, int] = (0, 0)
        self._outbox_lock = asyncio.Lock()
        self.policy = Policy()
        self.pm_policy = PmPolicy()  # the post-mortem meeting clock ([postmortem])
        self.clock_watch = Watch()
        self._clock_timer: Timer | None = None
        self._watch_started = False
        self._clock_news: list[tuple[Any, str]] = []  # clock turns to announce (held over a dialog)
        self.templates: dict[str, Any] = {}  # category -> data.procedures.sop.Template
        self.screenshots: list[Path] = []  # the screenshots this console saved
        self.told: deque[Told] = deque(maxlen=TOLD_KEPT)  # what it told the user, the latest last
        # the shift handoffs being written, by region (kept while the handoff screen is closed)
        self.handoff_drafts: dict[str | None, Any] = {}  # region -> data.handoff.report.Draft
        self.handoff_people: dict[str | None, tuple[str | None, str | None]] = {}
        self._setup_problems: list[str] = []
        self.page_passes = 0  # the escalation passes run (docs/escalation.md)
        self.pages_problem: str | None = None
        self._templates_loaded = False
        self._load_setup()
        self._init_wellbeing()  # the [wellbeing] settings, the exposure counters (app/wellbeing.py)

    def _load_setup(self) -> None:
        """The policies of the config file, read once (``settings.config``): a section that
        cannot be used is reported when the console opens, and its defaults stay in force."""
        config = self.settings.config
        for problem in dict.fromkeys(config.problems.values()):  # a file unread: said once
            self._setup_problems.append(f"Settings ignored (the defaults apply): {problem}")
        try:
            self.policy = policy_of(config)
        except PolicyError:
            pass
        try:
            self.pm_policy = pm_policy_of(config)
        except PmPolicyError:
            pass
        from data.config import permission_warnings

        s = self.settings
        self._setup_warnings = permission_warnings(s.journal, s.db, group_ok=config.files.journal_group)

    def _load_templates(self) -> None:
        """The SOP templates (shipped, then the team's): loaded once the queue is on screen
        (or when first needed); a file that cannot be loaded is reported and left out."""
        if self._templates_loaded:
            return
        from data.procedures.sop import load_templates

        self._templates_loaded = True
        loaded = load_templates()
        self.templates = dict(loaded.templates)
        for error in loaded.errors:
            self.notify(
                clean(f"SOP template not loaded: {error}", 400), severity="error", timeout=20, markup=False
            )

    async def on_mount(self) -> None:
        self.screen_change_signal.subscribe(self, self.wellbeing_view)
        self.screen_change_signal.subscribe(self, self.show_clock_news)  # a dialog closed
        cached = self._paint_first_screen()
        self.push_screen(MainScreen(self.settings.actor))
        for warning in self._setup_warnings:
            self.notify(
                clean(warning, 400), title="File permissions", severity="warning", timeout=30, markup=False
            )
        for problem in self._setup_problems:
            self.notify(clean(problem, 400), severity="error", timeout=20, markup=False)
        if cached:  # the store is opened once the cached screen is painted
            self.run_worker(self._open_after_paint(), group="open", name="open-store")
        else:
            await self._open()

    async def _open_after_paint(self) -> None:
        painted = asyncio.Event()
        self.call_after_refresh(painted.set)
        with suppress(TimeoutError):  # (a headless console with nothing to paint: go on)
            await asyncio.wait_for(painted.wait(), 1.0)
        await self._open()

    async def _open(self) -> None:
        """Open the store, then follow the journal: the sync loop, the watch, the checks."""
        from data.engine.store import Store

        try:
            self.store = await Store.open(self.settings.db)
        except StoreError as exc:
            self.sync_state = SyncState(journal=self.settings.journal_location, error=str(exc))
            self.snapshots.publish(Snapshot(sync=self.sync_state))
            return
        self.run_worker(self._watch(), group="watch", name="journal-watch")
        self.run_worker(self._sync_loop(), group="sync", exclusive=True, name="sync-loop")
        if isinstance(self.journal, FileJournal):  # a database journal refuses UPDATE: nothing to watch
            self.run_worker(self._chain_loop(), group="chain-check", name="chain-check")
        if self._pages():
            self.run_worker(self._page_loop(), group="pager", name="pager")

    async def on_unmount(self) -> None:
        self._chain_stop.set()  # a chain check in its thread stops at its next span
        if self.last_snapshot is not None and _worth_caching(self.last_snapshot):
            self._save_first_screen(self.last_snapshot)  # what it showed last, for the next start
        if self.store is not None:
            await self.close_wellbeing()  # what the exposure counters hold, written
        # stop everything that may hold a database connection, then close the store, so
        # no connection is left mid-transaction (another process may share the store)
        workers = [w for w in self.workers if not w.is_finished]
        for worker in workers:
            worker.cancel()
        if workers:

            async def stopped(worker: Any) -> None:
                with suppress(WorkerCancelled, WorkerFailed):
                    await worker.wait()

            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(stopped(w) for w in workers)), 5)
        if self.store is not None:
            await self.store.close()

    # --- the read path ---------------------------------------------------------------

    async def _watch(self) -> None:
        async for _ in self.journal.changes(poll=1.0):
            self._wake.set()

    def request_refresh(self) -> None:
        """Sync and publish a fresh snapshot soon (e.g. a view option changed)."""
        self._wake.set()

    async def _sync_loop(self) -> None:
        """Sync on every change of the journal (coalesced); never dies: on failure, mark the
        data stale, back off and retry."""
        await self._publish_stored()
        self.call_after_refresh(self._load_templates)
        if self.demo:
            from app.demo import Simulator, seed

            try:
                await seed(self.journal, self.store, self.settings.actor)
            except (JournalError, StoreError, AppendRefused) as exc:
                self.notify(
                    f"The demo could not be seeded: {clean(str(exc), 300)}", severity="error", markup=False
                )
            if self.simulate:
                self.run_worker(
                    Simulator(self.journal, self.store).run(), group="simulator", name="simulator"
                )
        backoff = 0.5
        while True:
            self._wake.clear()
            try:
                await self.sync_once()
                if self.outbox_counts[0] and not self.settings.observer:
                    if await self.send_outbox():
                        self._wake.set()  # what was sent comes back through the read path
                backoff = 0.5
            except (JournalError, StoreError, OSError) as exc:
                self.mark_stale(str(exc))
                # back off; a change of the journal or a request (an action queued) retries sooner
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            await self._wake.wait()

    def _pages(self) -> bool:
        """Whether this console pages (docs/escalation.md): ``[escalation]`` has policies,
        and it is neither an observer (which never pages) nor the demo (whose incidents are
        not real). A section that cannot be used is said once, and nothing is paged."""
        from data.comms.escalation import EscalationError, escalation_of

        if self.settings.observer or self.demo:
            return False
        if self.settings.config.problem("escalation") is not None:
            return False  # a section that cannot be used is said with the others (_load_setup)
        try:
            return bool(escalation_of(self.settings.config).policies)
        except EscalationError as exc:
            self.notify(clean(f"Escalation is off: {exc}", 400), title="Pager", severity="error",
                        timeout=20, markup=False)  # fmt: skip
            return False

    async def _page_loop(self) -> None:
        """The escalations, as ``warroom pager`` runs them: a pass, then sleep until the
        next page falls due (at most :data:`PAGE_EVERY` seconds: new incidents). Never dies."""
        from data.comms.escalation import page_pass

        while True:
            next_at = None
            try:
                result = await page_pass(self.journal, self.store, self.settings.config, self.settings.actor,
                                         clock.now())  # fmt: skip
            except (JournalError, StoreError, OSError) as exc:  # the sync loop shows the journal's state
                self.pages_problem = str(exc)
            else:
                next_at = result.next_at
                for page, delivery in result.sent:
                    who = page.person or "nobody on call"
                    self.notify(clean(f"{page.incident}: paged {who} (step {page.step}): {delivery}", 300),
                                title="Pager", severity="information" if delivery.ok else "error",
                                timeout=10, markup=False)  # fmt: skip
                for problem in result.problems:
                    self.notify(
                        clean(problem, 400), title="Pager", severity="error", timeout=20, markup=False
                    )
                if result.sent:
                    self._wake.set()  # the pages show in the queue and the timeline
            self.page_passes += 1
            wait = PAGE_EVERY
            if next_at is not None:
                wait = min(wait, max((next_at - clock.now()).total_seconds(), 1.0))
            await asyncio.sleep(wait)

    async def _chain_loop(self) -> None:
        """Every ``chain_check_every`` seconds, one background chain check. Never dies: a
        journal or store that cannot be read is the sync loop's to show."""
        while True:
            await asyncio.sleep(self.chain_check_every)
            with suppress(JournalError, StoreError, OSError):
                await self.check_chain()

    async def check_chain(self) -> str | None:
        """Re-read the lines the store has read, in a thread of its own at the lowest
        priority and paced to a quarter of a core, and tell when one was changed in place
        (the same size, the same file: data.engine.chain.EditWatch). Then the projection is
        rebuilt from the first line, as the spec says for a rewritten last line, and the
        chain break shows as every break does (status bar, ``!``). Returns the finding."""
        journal = self.journal
        if not isinstance(journal, FileJournal) or self.store is None:
            return None
        before = await self.store.status()
        if not before.line:
            return None
        known = {r.line for r in await self.store.chain_breaks() if r.line <= before.line}
        basis = (journal.identity(), before.rebuilt_at)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str | None] = loop.create_future()

        def settle(result: str | None, error: BaseException | None) -> None:
            if done.done():
                return
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(result)

        def scan() -> None:
            lower_priority()
            result, error = None, None
            try:
                result = self._edit_watch.scan(
                    journal, before.line, known, basis, Pacer(stop=self._chain_stop)
                )
            except BaseException as exc:  # handed to the awaiting task, never lost
                error = exc
            with suppress(RuntimeError):  # the app (its loop) is gone: nobody waits
                loop.call_soon_threadsafe(settle, result, error)

        threading.Thread(target=scan, name="chain-check", daemon=True).start()
        why = await done
        after = await self.store.status()
        if why is None or after.rebuilt_at != before.rebuilt_at or journal.identity() != basis[0]:
            return None  # nothing, or the store or the file changed meanwhile: the next pass looks again
        if why in self._chain_told:
            return None  # already told and rebuilt: the store's rules see it differently, not a new edit
        self._chain_told.add(why)
        self.notify(
            f"The journal was changed in place: {why}. This console rebuilds its picture from the first line.",
            title="Journal edited", severity="error", timeout=60, markup=False,
        )  # fmt: skip
        self._rebuild_why = f"the journal was changed in place: {why}"
        self._wake.set()
        return why

    def on_status_bar_warnings_wanted(self, message: StatusBar.WarningsWanted) -> None:
        from screens.warnings import WarningsScreen

        if not isinstance(self.screen, WarningsScreen):
            self.push_screen(WarningsScreen())

    def mark_stale(self, error: str) -> None:
        """The picture on screen is stale (the last good snapshot kept), and why."""
        cached_at = self.last_snapshot.sync.cached_at if self.last_snapshot is not None else None
        self.sync_state = replace(self.sync_state, error=error, progress=None, cached_at=cached_at)
        self.publish(Snapshot(self.last_snapshot.incidents if self.last_snapshot else (), self.sync_state,
                              *(self._roster() if self.last_snapshot else ())))  # fmt: skip

    def _roster(self) -> tuple[Any, ...]:
        s = self.last_snapshot
        assert s is not None
        return (s.rotations, s.overrides, s.people, s.pending, s.signals)

    async def sync_once(self) -> None:
        def progress(done: int, total: int) -> None:
            if total - done > PROGRESS_BYTES or (self.sync_state.progress and done < total):
                self.sync_state = replace(self.sync_state, error=None, progress=(done, total))
                self.show_state(self.sync_state)

        rebuild = self._rebuild_why
        await self.store.sync(self.journal, progress=progress, rebuild=rebuild)
        if rebuild is not None and self._rebuild_why == rebuild:
            self._rebuild_why = None
            self._first_break = None  # the breaks are counted afresh
        self.sync_state = await self._stored_state(synced_at=clock.wall())
        last, basis = self.last_snapshot, (self.include_closed, self.policy, self.pm_policy)
        if (
            rebuild is None
            and last is not None
            and last.sync.synced_at is not None
            and replace(last.sync, synced_at=None) == replace(self.sync_state, synced_at=None)
            and basis == self._snapshot_basis
        ):
            # nothing new in the store since the last snapshot (one append wakes the loop
            # once per file event: its write, then its close): the same picture, synced now
            self.publish(replace(last, sync=self.sync_state))
            return
        self._snapshot_basis = basis
        self.publish(
            await load_snapshot(
                self.store,
                self.sync_state,
                include_closed=self.include_closed,
                policy=self.policy,
                pm_policy=self.pm_policy,
            )
        )

    async def _stored_state(self, synced_at: float | None) -> SyncState:
        status = await self.store.status()
        breaks = status.counters["chain_breaks"]
        if breaks and self._first_break is None:
            rows = await self.store.chain_breaks()
            self._first_break = rows[0].line if rows else None
        elif not breaks:
            self._first_break = None
        return SyncState(
            journal=self.settings.journal_location,
            line=status.line,
            synced_at=synced_at,
            quarantined=status.counters["quarantined"],
            chain_breaks=breaks,
            first_break=self._first_break,
            queued=self.outbox_counts[0],
            refused=self.outbox_counts[1],
        )

    async def _publish_stored(self) -> None:
        """Show at once what the store already holds, marked "syncing…": a console that
        restarts paints its last state while it catches up with the journal."""
        try:
            self.outbox_changed(await outbox.counts(self.store))
            state = await self._stored_state(synced_at=None)
            if state.line:
                self.publish(
                    await load_snapshot(
                        self.store,
                        state,
                        include_closed=self.include_closed,
                        policy=self.policy,
                        pm_policy=self.pm_policy,
                    )
                )
        except (StoreError, OSError):
            pass  # the sync that follows meets the same problem and reports it

    # --- the cached first screen (data/incidents/first_screen.py) ------------------------

    def _first_screen_key(self) -> tuple[Any, int | None]:
        """(the cache's key, the journal file's size now; None: not a file)."""
        from data.incidents.first_screen import Key

        journal = self.journal
        ident, size = "", None
        if isinstance(journal, FileJournal):
            try:
                st = journal.path.stat()
                ident, size = f"{st.st_dev}:{st.st_ino}", st.st_size
            except OSError:
                ident, size = "", 0
        s = self.settings
        return Key.of(s.actor, s.db, s.journal_location, ident), size

    def _paint_first_screen(self) -> bool:
        """Publish the cached first screen, if there is one for this actor, store and
        journal; whether one was. Any other cache is left unshown (and logged)."""
        from data.incidents import first_screen

        try:
            key, size = self._first_screen_key()
            cached = first_screen.read(first_screen.cache_path(self.settings.db), key, size)
        except first_screen.NotShown as exc:
            log.info("cached first screen not shown: %s", exc)
            return False
        self.sync_state = cached.snapshot.sync
        self.publish(cached.snapshot)
        return True

    def _save_first_screen(self, snapshot: Snapshot, background: bool = False) -> None:
        """Write ``snapshot`` (built from the store for this console's actor) as the next
        start's first screen; a failure is logged (the cache is an optimisation)."""
        from data.incidents import first_screen

        self._first_screen_at = time.monotonic()
        path = first_screen.cache_path(self.settings.db)

        def save() -> None:
            try:
                key, size = self._first_screen_key()
                first_screen.write(path, snapshot, key, size or 0, clock.wall())
            except OSError as exc:
                log.warning("the first screen's cache not written: %s", exc)

        if background:
            threading.Thread(target=save, name="first-screen", daemon=True).start()
        else:
            save()

    def publish(self, snapshot: Snapshot) -> None:
        was_cached = self.cached_screen
        self.cached_screen = snapshot.sync.cached_at is not None
        if not self.cached_screen and self.sync_state.cached_at is not None:
            self.sync_state = replace(self.sync_state, cached_at=None)  # (a catch-up's progress follows)
        if _worth_caching(snapshot) and (
            was_cached
            or self._first_screen_at is None
            or time.monotonic() - self._first_screen_at >= FIRST_SCREEN_EVERY
        ):
            self._save_first_screen(snapshot, background=True)
        self.last_snapshot = snapshot
        self.snapshots.publish(snapshot)
        self._wellbeing_snapshot(snapshot)
        if snapshot.sync.synced_at is not None:
            self.check_clocks()
            if self.freeze_heap:
                self.freeze_heap = False
                self.call_after_refresh(self._freeze_heap)

    def _freeze_heap(self) -> None:
        """Collect once, then freeze what is left (``gc.freeze``): the store's caches, the
        screens and widgets, the modules. A full collection walks every object the
        collector tracks, and a console on a long journal holds millions: each full
        collection stopped the console for 100–220 ms (20 of them in 200 selections),
        which made the slow tail of selection and of another console's append
        (docs/performance.md, "Round two: the console"). Frozen objects are still freed when
        their last reference goes; the collector only no longer looks at them for cycles.
        Called once, after the first synced picture is painted: later objects (each
        snapshot's, each dialog's) stay in the collector's sight."""
        import gc

        gc.collect()
        gc.freeze()

    # --- clocks ------------------------------------------------------------------------

    def _arm_clock_check(self, when: datetime | None, now: datetime) -> None:
        """Look at the clocks again when the next one turns (an idle console does no work
        in between); a new snapshot looks at once and re-arms."""
        if self._clock_timer is not None:
            self._clock_timer.stop()
            self._clock_timer = None
        if when is not None:
            delay = min(max((when - now).total_seconds(), 0.0) + 0.05, CLOCK_CHECK_MAX)
            self._clock_timer = self.set_timer(delay, self.check_clocks, name="clocks")

    def check_clocks(self) -> None:
        """Tell once when a clock turns at risk or overdue, for the incidents this actor
        answers for (:func:`announces`): one toast for every clock that turned at once, and
        the bell if the policy asks. The first look after the console opens is a baseline:
        what was already late is in the queue, not announced."""
        snap = self.last_snapshot
        if snap is None or snap.sync.synced_at is None:
            return
        now = clock.now()
        rows = {r.id: r for r in snap.incidents if r.active}
        every = [c for r in rows.values() for c in r.clocks]
        turned = self.clock_watch.turned(every, now)
        self._arm_clock_check(next_turn(every, now), now)
        if not self._watch_started:
            self._watch_started = True
            return
        me = self.settings.actor
        mine = [(c, state) for c, state in turned if announces(rows[c.incident], me)]
        if not mine:
            return
        if self.policy.bell:
            self.bell()  # at once, even over a dialog: a sound covers nothing
        self._clock_news += mine
        self.show_clock_news()

    def show_clock_news(self, _: object = None) -> None:
        """The clock turns not yet shown, as one toast, unless a dialog (a modal screen) is
        open: a toast would cover its buttons. They wait for it to close (a screen change
        calls this again); by then a clock settled meanwhile is no longer news."""
        if not self._clock_news or isinstance(self.screen, ModalScreen):
            return
        snap = self.last_snapshot
        rows = {r.id: r for r in snap.incidents if r.active} if snap is not None else {}
        still = {c.key: c for r in rows.values() for c in r.clocks if c.closed_at is None}
        news: dict[str, tuple[Any, str]] = {}
        for c, state in self._clock_news:  # the latest turn of each clock
            if c.key in still:
                news[c.key] = (still[c.key], state)
        self._clock_news = []
        if not news:
            return
        title, message, overdue = clock_toast(list(news.values()), rows, self.settings.actor)
        self.notify(
            message, title=title, severity="error" if overdue else "warning", timeout=12, markup=False
        )

    def show_state(self, state: SyncState) -> None:
        """The sync's state between snapshots, to the live screens (``sync_states``)."""
        self.sync_states.publish(state)

    # --- the write path --------------------------------------------------------------

    async def act(self, drafts: Sequence[Draft | dict[str, Any]]) -> str | outbox.Queued | None:
        """Append events, built through their models (:class:`Draft`; a dict is taken as
        ``warroom append`` takes its input), as this console's actor. Returns None when written, else why
        nothing was written (shown to the user; what they typed is kept). An observer
        console writes nothing: its keys are hidden, and this refuses as the safety net.

        When the journal cannot be reached (:class:`JournalUnavailable`), the events, built
        and validated (their ids and ``ts`` fixed, the SOP items computed), go to the
        outbox and a :class:`data.engine.outbox.Queued` is returned: the user is told, and the
        sync loop sends them when the journal is back. Actions queued earlier are sent
        first, so the journal receives everything in the order it was typed."""
        if self.settings.observer:
            from screens.observer import MESSAGE

            return MESSAGE
        if self.cached_screen or self.store is None:
            return CACHED_MESSAGE
        events = [d.as_input() if isinstance(d, Draft) else d for d in drafts]
        try:
            self._load_templates()
            flags = obligation_flags(self.settings.config)
            events = events + await procedure_events(self.store, self.templates, events, clock.now(), flags)
            built = build_events([(e["type"], e) for e in events], self.settings.actor)
        except AppendRefused as exc:
            return str(exc)
        except (StoreError, OSError) as exc:
            return str(exc)
        async with self._outbox_lock:
            try:
                if self.outbox_counts[0]:
                    await self._send_outbox_locked()  # what waits goes first
                result = await append_to(self.journal, self.store, built)
            except AppendRefused as exc:
                return str(exc)
            except JournalUnavailable as exc:
                if any(e["type"].startswith("audit.") for e in built):
                    # an audit event must be in the journal before what it audits happens
                    return f"{exc} (an audited action is not queued: try again when it is back)"
                try:
                    return await self._queue(built, str(exc))
                except StoreError as store_exc:
                    return f"{exc}; and it could not be queued: {store_exc}"
            except (JournalError, StoreError, OSError) as exc:
                return str(exc)
        if result.store_error is not None:  # written all the same: never queued or sent twice
            self._store_lags(result.store_error)
        self._wake.set()
        return None

    def _store_lags(self, error: str) -> None:
        """The journal took what this console wrote, but its store could not catch up."""
        self.mark_stale(error)
        self.notify(
            clean(f"Written to the journal; this console's store could not be updated ({error}): it "
                  "catches up at the next sync", 400),
            title="Store", severity="warning", timeout=10, markup=False,
        )  # fmt: skip

    async def _queue(self, built: list[dict[str, Any]], error: str) -> outbox.Queued:
        seq = await outbox.put(self.store, built, clock.wall())
        self.outbox_changed((self.outbox_counts[0] + 1, self.outbox_counts[1]))
        self.mark_stale(error)
        self._wake.set()  # the loop retries (and backs off) until the journal is back
        message = "queued: the journal is unreachable; it will be sent when it returns"
        self.notify(message, title="Outbox", severity="warning", timeout=8, markup=False)
        return outbox.Queued(seq, message)

    def outbox_changed(self, counts: tuple[int, int]) -> None:
        """The outbox's (waiting, refused) counts changed: the status bar shows them."""
        if counts == self.outbox_counts and (self.sync_state.queued, self.sync_state.refused) == counts:
            return
        self.outbox_counts = counts
        self.sync_state = replace(self.sync_state, queued=counts[0], refused=counts[1])
        self.show_state(self.sync_state)

    async def send_outbox(self) -> int:
        """Send what waits in the outbox, in order (the sync loop, after a good sync);
        how many actions were sent. Raises JournalError when the journal fails again."""
        async with self._outbox_lock:
            return await self._send_outbox_locked()

    async def _send_outbox_locked(self) -> int:
        waiting = await outbox.entries(self.store, refused=False)
        sent: list[outbox.Entry] = []
        refused = 0
        try:
            for entry in waiting:
                reason = await self._send_entry(entry)
                if reason is None:
                    sent.append(entry)
                    continue
                refused += 1
                self.notify(
                    clean(f"Queued at {clock.utc_text(datetime.fromtimestamp(entry.queued_at, UTC))}: "
                          f"{entry.description}: refused by the journal: {reason}", 600),
                    title="Outbox: not sent", severity="error", timeout=30, markup=False,
                )  # fmt: skip
        finally:
            counts = await outbox.counts(self.store)
            self.outbox_changed(counts)
            if sent:
                n = len(sent)
                self.notify(
                    clean(f"Sent {n} queued action{'s' if n != 1 else ''} to the journal: {outbox.kinds(sent)}", 400)
                    + (f"; {counts[1]} refused (press ! to see)" if refused else ""),
                    title="Outbox", timeout=10, markup=False,
                )  # fmt: skip
        return len(sent)

    async def _send_entry(self, entry: outbox.Entry) -> str | None:
        """Append one queued action through the validated path. None when it is in the
        journal now (sent, or found already there: a retry after an ambiguous failure, whose
        events ``append_to`` skips); else why the journal refused it (it stays in the
        outbox, marked refused)."""
        events = entry.events
        names = [f"event {n + 1} ({e['type']})" for n, e in enumerate(events)]
        try:
            result = await append_to(self.journal, self.store, events, where=names)
        except AppendRefused as exc:
            reason = str(exc)
            await outbox.refuse(self.store, entry.seq, reason, clock.wall())
            return reason
        await outbox.remove(self.store, entry.seq)
        if result.store_error is not None:
            self._store_lags(result.store_error)
        return None

    # --- what the user is told ---------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Tell the user (Textual's toast, unchanged) and keep it in :attr:`told` (the
        last ``TOLD_KEPT``, the latest last). Thread-safe, as Textual's is."""
        self.told.append(Told(clock.now(), title, message, severity))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # --- keys and the palette ----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "observer_info":
            return bool(self.settings.observer)
        return True

    def action_observer_info(self) -> None:
        self.notify(
            "An observer console: every action is disabled and no command writes to the journal. "
            "Open warroom without --observer (and without WARROOM_OBSERVER=1) to act.",
            title="Read-only",
            timeout=8,
            markup=False,
        )

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def _fatal_error(self) -> None:
        """An unexpected error: Textual's exit, with the traceback printed without the
        values of local variables (they may hold what need-to-know withholds from this
        console's actor: titles and notes of restricted incidents)."""
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":  # Textual's writes to ~/Downloads, which may not exist
                yield SystemCommand(
                    "Screenshot",
                    f"Save an SVG picture of the screen in {screenshot_folder()}",
                    lambda: self.set_timer(0.1, self.action_screenshot),
                )  # (once the palette is gone)
            else:
                yield command
        yield from palette_commands(self, screen)

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """An SVG picture of the screen, in warroom's data folder (``screenshots``, created
        if missing), readable by its owner only (it shows incidents), and a message saying
        where; in a web browser (``warroom serve``), downloaded there, as Textual does."""
        if self.is_web:
            self.deliver_screenshot(filename, path)
            return
        from textual._files import generate_datetime_filename

        folder = Path(path).expanduser() if path else screenshot_folder()
        target = folder / (filename or generate_datetime_filename(self.title, ".svg"))
        try:
            svg = self.export_screenshot()
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(svg)
        except OSError as exc:
            self.notify(clean(f"Screenshot not saved: {exc}", 400), title="Screenshot", severity="error",
                        timeout=10, markup=False)  # fmt: skip
            return
        self.screenshots.append(target)
        self.notify(clean(f"Screenshot saved to {target}", 400), title="Screenshot", timeout=10, markup=False)


def _worth_caching(snapshot: Snapshot) -> bool:
    """Whether ``snapshot`` is a picture to start from next time: built from the store (not
    the cache), with lines read, and no error."""
    s = snapshot.sync
    return s.cached_at is None and s.error is None and bool(s.line)


def screenshot_folder() -> Path:
    """Where the palette's Screenshot writes: ``screenshots`` in warroom's data folder."""
    from data.engine.config import data_dir

    return data_dir() / "screenshots"


def announces(row: Any, me: str) -> bool:
    """Whether a clock of incident ``row`` (an ``IncidentRow``) turning is news for ``me``:
    an incident where they hold a role, or a severity-1 incident with no commander (anyone
    in the war room may have to take it). The rest is in the queue, without a toast."""
    return bool(row.holds_role(me) or (row.severity == 1 and not row.commander))


#: how many clocks one toast names (the rest are counted)
TOAST_NAMES = 4


def clock_toast(news: list[tuple[Any, str]], rows: dict[str, Any], me: str) -> tuple[str, str, bool]:
    """(title, message, any overdue) of one toast for clocks that turned together: one
    clock is named with its item and due time; several are counted by state and listed."""
    overdue = [c for c, state in news if state == "overdue"]
    at_risk = [c for c, state in news if state != "overdue"]

    def what(c: Any) -> str:
        row = rows.get(c.incident)
        visible = row is None or not c.detail or row.visible_to(me)
        return clean(c.label, 120) if visible else "a checklist item"

    def sev(c: Any) -> str:
        row = rows.get(c.incident)
        return f" S{row.severity}" if row is not None else ""

    if len(news) == 1:
        c, state = news[0]
        word = "OVERDUE" if state == "overdue" else "at risk"
        return "Clock", f"{c.incident}{sev(c)}: {what(c)} is {word} (due {c.due:%H:%M}Z)", bool(overdue)
    lines = []
    for clocks, word in ((overdue, "OVERDUE"), (at_risk, "at risk")):
        if not clocks:
            continue
        clocks = sorted(clocks, key=lambda c: (c.due, c.incident))
        named = "; ".join(f"{c.incident}{sev(c)} {clean(what(c), 40)}" for c in clocks[:TOAST_NAMES])
        more = f"; and {len(clocks) - TOAST_NAMES} more" if len(clocks) > TOAST_NAMES else ""
        lines.append(f"{len(clocks)} {'clock' if len(clocks) == 1 else 'clocks'} {word}: {named}{more}")
    return "Clocks", "\n".join(lines), bool(overdue)


def palette_commands(app: WarRoom, screen: Screen[Any]) -> Iterable[SystemCommand]:
    """Commands computed from the current state: only what can apply now."""
    for a in PALETTE:  # screens/registry.py
        method = getattr(screen, f"action_{a.action}", None)
        if method is None or a.palette is None:
            continue
        if app.cached_screen and screen.check_action(a.action, ()) is False:
            continue  # the cached first screen: nothing that writes or reads the store yet
        # (a live screen's check is stricter than the footer's where it says so)
        if (
            screen.applies(a.action) if isinstance(screen, LiveScreen) else screen.check_action(a.action, ())
        ) is False:
            continue
        yield SystemCommand(a.palette, a.palette_help, method)


def run_console(settings: Settings, demo: bool = False, **kw: Any) -> int:
    """Run the console until it quits; its exit status: 0, or 1 when it stopped on an
    unexpected error (Textual has then restored the terminal and printed the traceback)."""
    app = WarRoom(settings, demo=demo, freeze_heap=True, **kw)
    app.run()
    return app.return_code or 0
