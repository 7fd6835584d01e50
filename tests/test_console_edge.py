"""The edge between the console and its screens (widgets/console.py, screens/live.py): the
App is a ``Console``; live screens follow its signals while they are up, and only then."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.console import WarRoom
from data.incidents.views import Snapshot, SyncState
from screens.live import LiveScreen
from tests._console_helpers import SIZE, opened, seed, settings_for, wait_for
from widgets.console import Console, WellbeingShown, console, console_or_none


class _Follower(LiveScreen[None]):
    """Records what the console tells it."""

    def __init__(self) -> None:
        super().__init__()
        self.snapshots: list[Snapshot] = []
        self.states: list[SyncState] = []
        self.wellbeing: list[WellbeingShown] = []

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshots.append(snapshot)

    def show_state(self, state: SyncState) -> None:
        self.states.append(state)

    def show_wellbeing(self, shown: WellbeingShown) -> None:
        self.wellbeing.append(shown)


def test_the_app_is_a_console(tmp_path: Path) -> None:
    app = WarRoom(settings_for(tmp_path))
    assert isinstance(app, Console)
    assert console(app) is app and console_or_none(app) is app
    assert console_or_none(object()) is None


async def test_a_live_screen_follows_the_console_while_it_is_up(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
        screen = _Follower()
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.is_mounted, what="the screen mounted")

        progress = replace(app.sync_state, progress=(1, 2))
        app.show_state(progress)
        assert screen.states == [progress]  # at once, as the status bars were told before
        app.toggle_quiet()
        assert screen.wellbeing and screen.wellbeing[-1].quiet is True
        app.publish(Snapshot(sync=app.sync_state))
        await wait_for(pilot, lambda: bool(screen.snapshots), what="the snapshot")

        app.pop_screen()
        await wait_for(pilot, lambda: not screen.is_attached, what="the screen gone")
        told = (len(screen.snapshots), len(screen.states), len(screen.wellbeing))
        app.show_state(progress)
        app.toggle_quiet()
        app.publish(Snapshot(sync=app.sync_state))
        await pilot.pause()
        assert (len(screen.snapshots), len(screen.states), len(screen.wellbeing)) == told
