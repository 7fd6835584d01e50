"""What screens and widgets may ask of the App: the :class:`Console` protocol.

Screens and widgets never import the App (import-linter forbids it): they reach it through
:func:`console` (or :func:`console_or_none` where a screen also runs on a host app without
one, as the tests' hosts of the roster screen), typed by this protocol. The App
(app/console.py ``WarRoom``) provides it. What it publishes goes out on three signals, to
which the live screens subscribe (screens/live.py ``LiveScreen``):

- ``snapshots``: every new :class:`~data.incidents.views.Snapshot`;
- ``sync_states``: the sync's state between snapshots (a catch-up's progress, the outbox);
- ``wellbeing_shown``: what the wellbeing line shows (:class:`WellbeingShown`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.signal import Signal

    from data.care.wellbeing import Exposure, WellbeingConfig
    from data.config import Settings
    from data.engine.models import Draft
    from data.engine.outbox import Queued
    from data.engine.store import Store
    from data.incidents.views import Snapshot, SyncState
    from data.postmortem.report import PmPolicy
    from data.procedures.clocks import Policy


@dataclass(frozen=True)
class WellbeingShown:
    """What the wellbeing line shows: this shift's exposure, quiet mode, a break due."""

    exposure: Exposure | None
    quiet: bool
    break_due: bool = False


@runtime_checkable
class Console(Protocol):
    """The App as screens and widgets see it."""

    settings: Settings
    store: Store  # opened on mount
    last_snapshot: Snapshot | None
    #: the cached first screen is shown (data/incidents/first_screen.py): nothing is written
    #: until the store's picture replaces it
    cached_screen: bool
    sync_state: SyncState
    policy: Policy  # the clock policy
    pm_policy: PmPolicy  # the post-mortem meeting clock ([postmortem]), read once at start
    include_closed: bool  # the snapshots hold closed incidents too
    quiet: bool  # quiet mode (docs/wellbeing.md)
    wellbeing_config: WellbeingConfig
    # the shift handoffs being written, by region (kept while the handoff screen is closed)
    handoff_drafts: dict[str | None, Any]  # region -> data.handoff.report.Draft
    handoff_people: dict[str | None, tuple[str | None, str | None]]

    snapshots: Signal[Snapshot]
    sync_states: Signal[SyncState]
    wellbeing_shown: Signal[WellbeingShown]

    def request_refresh(self) -> None:
        """Sync and publish a fresh snapshot soon (e.g. a view option changed)."""

    async def act(self, events: Sequence[Draft | dict[str, Any]]) -> str | Queued | None:
        """Append events as this console's actor: None when written, a
        :class:`~data.engine.outbox.Queued` when queued, else why nothing was written."""

    def toggle_quiet(self) -> bool:
        """Quiet mode on or off; whether it is on now."""

    def show_wellbeing(self) -> None:
        """Publish what the wellbeing line shows now (``wellbeing_shown``)."""

    def wellbeing_view(self, *_: Any) -> None:
        """What is on screen in detail may have changed: the exposure counters ask again."""

    async def flush_wellbeing(self) -> None:
        """Write what the exposure counters hold (the handoff report reads it)."""


def console_or_none(app: object) -> Console | None:
    """``app`` as a :class:`Console`; None when it is not one (a test's host app)."""
    return app if isinstance(app, Console) else None


def console(app: object) -> Console:
    """``app`` as a :class:`Console` (the console's screens and widgets run on one)."""
    if not isinstance(app, Console):
        raise TypeError(f"{type(app).__name__} is not a warroom console")
    return app


def observer(app: object) -> bool:
    """Whether ``app`` is an observer (read-only) console."""
    c = console_or_none(app)
    return c is not None and c.settings.observer
