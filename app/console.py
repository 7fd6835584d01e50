"""The console: a Textual app that owns the store and the sync loop.

Read path: journal change → one sync (coalesced) → snapshot → ``snapshots`` signal →
screens. Write path (later): key → validated command → journal append → the same read path.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual.app import App
from textual.signal import Signal

from data.config import Settings
from data.journal import FileJournal, JournalError
from data.store import Store, StoreError
from data.views import Snapshot, SyncState, load_snapshot
from screens.main import MainScreen


class WarRoom(App[None]):
    TITLE = "warroom"

    def __init__(self, settings: Settings, *, demo: bool = False, simulate: bool | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.demo = demo
        self.simulate = demo if simulate is None else simulate
        self.journal = FileJournal(settings.journal)
        self.store: Store = None  # type: ignore[assignment]  # opened on mount
        self.snapshots: Signal[Snapshot] = Signal(self, "snapshots")
        self.sync_state = SyncState(journal=str(settings.journal))
        self._first_break: int | None = None

    async def on_mount(self) -> None:
        self.push_screen(MainScreen(self.settings.actor))
        try:
            self.store = await Store.open(self.settings.db)
        except StoreError as exc:
            self.sync_state = SyncState(journal=str(self.settings.journal), error=str(exc))
            self.snapshots.publish(Snapshot(sync=self.sync_state))
            return
        self.run_worker(self._sync_loop(), group="sync", exclusive=True, name="sync-loop")

    async def on_unmount(self) -> None:
        if self.store is not None:
            await self.store.close()

    async def _sync_loop(self) -> None:
        """Sync on every change of the journal; never dies: on failure, mark the data
        stale, back off and retry."""
        if self.demo:
            from app.demo import Simulator, seed

            await seed(self.journal, self.store)
            if self.simulate:
                self.run_worker(Simulator(self.journal, self.store).run(), group="simulator", name="simulator")
        changes = self.journal.changes(poll=0.5)
        backoff = 0.5
        while True:
            try:
                await self.sync_once()
                backoff = 0.5
            except (JournalError, StoreError, OSError) as exc:
                self.sync_state = SyncState(
                    journal=self.sync_state.journal,
                    line=self.sync_state.line,
                    synced_at=self.sync_state.synced_at,
                    quarantined=self.sync_state.quarantined,
                    chain_breaks=self.sync_state.chain_breaks,
                    first_break=self.sync_state.first_break,
                    error=str(exc),
                )
                self.snapshots.publish(Snapshot(self._last.incidents if self._last else (), self.sync_state))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            await anext(changes)

    _last: Snapshot | None = None

    async def sync_once(self) -> None:
        def progress(done: int, total: int) -> None:
            if total - done > (4 << 20):
                self.screen_state(SyncState(journal=self.sync_state.journal, line=self.sync_state.line,
                                            synced_at=self.sync_state.synced_at, progress=(done, total)))  # fmt: skip

        await self.store.sync(self.journal, progress=progress)
        status = await self.store.status()
        if status.counters["chain_breaks"] and self._first_break is None:
            breaks = await self.store.chain_breaks()
            self._first_break = breaks[0]["line"] if breaks else None
        elif not status.counters["chain_breaks"]:
            self._first_break = None
        self.sync_state = SyncState(
            journal=str(self.settings.journal),
            line=status.line,
            synced_at=time.time(),
            quarantined=status.counters["quarantined"],
            chain_breaks=status.counters["chain_breaks"],
            first_break=self._first_break,
        )
        self._last = await load_snapshot(self.store, self.sync_state)
        self.snapshots.publish(self._last)

    def screen_state(self, state: SyncState) -> None:
        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.show_state(state)


def run_console(settings: Settings, demo: bool = False, **kw: Any) -> None:
    WarRoom(settings, demo=demo, **kw).run()
