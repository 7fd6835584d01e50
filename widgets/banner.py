"""The pending-handoff banner: a handoff submitted and not yet acknowledged, with its age.

Shown on every console of the region (and on consoles of no region, for every region),
and on the incoming commander's console whatever its region, until their read-back is in
the journal: responsibility moves only then."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from data.incidents.views import PendingHandoff, age
from data.privacy.text import clean


def _ago(t: datetime | None, now: datetime) -> str:
    if t is None or (now - t).total_seconds() < 60:
        return "just now"
    return f"{age(t, now)} ago"


def banner_text(pending: tuple[PendingHandoff, ...], actor: str, now: datetime) -> Text:
    parts: list[tuple[str, str] | str] = []
    for n, p in enumerate(pending):
        if n:
            parts.append(("  ·  ", "dim"))
        where = p.region or "all regions"
        parts += [
            (" HANDOFF PENDING ", "bold black on #e3c44a"),
            f" {where}: {clean(p.from_person or '?', 32)} → {clean(p.to_person or '?', 32)}, "
            f"submitted {_ago(p.submitted_at, now)}",
        ]
        if p.to_person == actor:
            parts.append((" · for you: h to read back and acknowledge", "bold"))
    if pending and all(p.to_person != actor for p in pending):
        parts.append(("  · h to review", "dim"))
    return Text.assemble(*parts)


class HandoffBanner(Static):
    """One line; hidden when no handoff is pending."""

    DEFAULT_CSS = """
    HandoffBanner { height: 1; background: #3a3210; padding: 0 1; display: none; }
    HandoffBanner.shown { display: block; }
    """

    def __init__(self, actor: str, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.actor = actor
        self.pending: tuple[PendingHandoff, ...] = ()
        self._shown: Text | None = None

    def show(self, pending: tuple[PendingHandoff, ...], now: datetime) -> None:
        self.pending = pending
        self.set_class(bool(pending), "shown")
        text = banner_text(pending, self.actor, now) if pending else Text("")
        if text != self._shown:  # ages in whole minutes: a repaint a minute at most
            self._shown = text
            self.update(text, layout=False)  # one line high (shown or hidden: its class)
