"""The top bar: world clocks, who is at this console, and how current the picture is."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from data.engine import clock
from data.incidents.views import SyncState
from data.privacy.text import clean
from widgets.console import console_or_none, observer

ZONES = (("UTC", "UTC"), ("NYC", "America/New_York"), ("LA", "America/Los_Angeles"),
         ("LON", "Europe/London"), ("SYD", "Australia/Sydney"))  # fmt: skip
_TZ = {name: ZoneInfo(zone) for name, zone in ZONES}
#: narrower than this, the bar shows UTC only: how current the picture is must stay on screen
ALL_ZONES_WIDTH = 110


def clocks(now: datetime, zones: tuple[tuple[str, str], ...] = ZONES) -> Text:
    parts: list[tuple[str, str] | str] = []
    for name, _ in zones:
        local = now.astimezone(_TZ[name])
        parts += [(f"{name} ", "dim"), (local.strftime("%H:%M"), "bold" if name == "UTC" else ""), "  "]
    return Text.assemble(*parts)


def outbox_text(state: SyncState) -> list[tuple[str, str] | str]:
    """What waits in the outbox (data/engine/outbox.py), and what the journal refused of it."""
    parts: list[tuple[str, str] | str] = []
    if state.queued:
        parts += [" ", (f" {state.queued} queued ", "bold black on #e3c44a")]
    if state.refused:
        parts += [" ", (f" {state.refused} refused ", "bold white on #b01c2e"), (" press ! to see", "dim")]
    return parts


#: the cached first screen (data/incidents/first_screen.py), until the store's picture replaces it
CACHED_STYLE = "bold black on #e3c44a"


def cached_words(state: SyncState) -> str:
    """ "cached from HH:MMZ" for a first screen read from the cache, else ""."""
    if state.cached_at is None:
        return ""
    at = clock.utc_text(datetime.fromtimestamp(state.cached_at, UTC))[11:16]
    return f"cached from {at}Z"


def _cached_part(state: SyncState) -> list[tuple[str, str] | str]:
    return [" ", (f" {cached_words(state)} ", CACHED_STYLE)] if state.cached_at is not None else []


def sync_text(state: SyncState, wall: float) -> Text:
    if state.cached_at is not None and not state.error:
        done, total = state.progress or (0, 0)
        doing = f"catching up {100 * done // total}%" if total else "syncing…"
        return Text.assemble(
            (f" {cached_words(state).upper()} ", CACHED_STYLE),
            (f" {doing} nothing can be changed yet ", "bold"),
        )
    if state.error:
        since = f" (last good sync {int(wall - state.synced_at)}s ago)" if state.synced_at else ""
        return Text.assemble(
            ("STALE", "bold white on #b01c2e"),
            *_cached_part(state),
            *outbox_text(state),  # what waits to be sent, first: it must stay on screen
            " ",
            # the console's own words about its journal (a server's address is not a
            # user's: not masked), cut so that the age of the last good sync stays on screen
            (clean(state.error, 64, reveal=True) + since, "bold #e8833a"),
        )
    parts: list[tuple[str, str] | str] = []
    if state.progress:
        done, total = state.progress
        pct = 100 * done // max(total, 1)
        parts.append((f"catching up {pct}% ", "bold #e3c44a"))
    elif state.synced_at is None:
        parts.append(("syncing… ", "dim"))
    else:
        ago = max(0, int(wall - state.synced_at))
        # whole minutes: the bar repaints once a minute, not every second, when idle
        when = "just now" if ago < 60 else f"{ago // 60}m ago"
        parts.append((f"live · synced {when} · line {state.line} ", "dim"))
    if state.chain_breaks:
        parts.append(
            (f" CHAIN BROKEN at line {state.first_break} ({state.chain_breaks}) ", "bold white on #b01c2e")
        )
        parts.append(" ")
    if state.quarantined:
        parts.append((f" {state.quarantined} quarantined ", "bold black on #e8833a"))
    if state.quarantined or state.chain_breaks:
        parts.append((" press ! to see", "dim"))
    parts += outbox_text(state)
    return Text.assemble(*parts)


class StatusBar(Static):
    """Click it (or press !) to see quarantined lines and chain breaks."""

    class WarningsWanted(Message):
        """The status bar was clicked while it shows something wrong (quarantined lines,
        chain breaks, refused events): the console opens the screen that lists them."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, actor: str, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.actor = actor
        self.state = SyncState(journal="")
        self._key: object = None  # what the text was made of (None: to make)
        self._shown: Text | None = None

    def on_mount(self) -> None:
        c = console_or_none(self.app)  # (a test's host app is not a console)
        last = c.last_snapshot if c is not None else None
        self.show(clock.now(), last.sync if last is not None else None)

    def on_resize(self) -> None:
        self._key = None  # the zones shown depend on the width
        self.show(clock.now())

    def on_click(self) -> None:
        if self.state.quarantined or self.state.chain_breaks or self.state.refused:
            self.post_message(self.WarningsWanted())  # the console opens the warnings screen

    def show(self, now: datetime, state: SyncState | None = None) -> None:
        if state is not None:
            self.state = state
        # what it shows changes with the minute (the clocks, the sync age) or the state
        key = (
            now.replace(second=0, microsecond=0),
            self.state,
            int(clock.wall() - (self.state.synced_at or 0)) // 60,
        )
        if key == self._key:
            return
        self._key = key
        narrow = 0 < self.size.width < ALL_ZONES_WIDTH
        left = clocks(now, ZONES[:1] if narrow else ZONES)
        me = Text.assemble(("you: ", "dim"), (clean(self.actor, 32), "bold"), "  ")
        if observer(self.app):
            me = Text.assemble((" OBSERVER · read-only ", "bold black on #e3c44a"), "  ", me)
        text = Text.assemble(left, me, sync_text(self.state, clock.wall()))
        if text != self._shown:  # no repaint when nothing changed
            self._shown = text
            self.update(text, layout=False)  # one line high, as wide as the screen: no layout
