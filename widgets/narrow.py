"""What the war room adds when it shows one pane at a time (a narrow or short terminal):
which pane is shown and how to switch, and the selected incident's nearest clocks, which
stay on screen whichever pane is shown."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from data.incidents.views import IncidentRow, clock_text
from data.privacy.text import clean
from data.procedures.clocks import Clock

#: the panes, by the number key that shows them
PANE_NAMES = {"1": "Queue", "2": "Timeline", "3": "Checklist", "4": "On call"}
URGENCY = {"overdue": "bold white on #b01c2e", "at_risk": "bold #e8833a", "ok": "", "none": "dim", "met": "dim",
           "missed": "dim"}  # fmt: skip


def tabs_text(shown: str) -> Text:
    """``[1 Queue] 2 Timeline 3 Checklist 4 On call · 1-4 switch``, the shown one marked."""
    out = Text(no_wrap=True, overflow="ellipsis")
    for key, name in PANE_NAMES.items():
        if key == shown:
            out.append(f" {key} {name} ", "bold reverse")
        else:
            out.append(f" {key} {name} ", "dim")
        out.append(" ")
    out.append(" 1-4 switch · ? help", "dim")
    return out


def strip_text(row: IncidentRow | None, now: datetime, me: str) -> Text:
    """The selected incident's open clocks, soonest first: ``INC-1 S1 · OVERDUE 3m
    Acknowledge · ! 8m Good-faith decision``; cut at the edge of the screen."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if row is None:
        out.append("No incident selected: its clocks show here.", "dim")
        return out
    out.append(f"{clean(row.id, 20)} S{row.severity}", "bold")
    clocks = sorted((c for c in row.clocks if c.closed_at is None), key=lambda c: c.due)
    if not row.active or not clocks:
        out.append(f" · {'no open clocks' if row.active else clean(row.status, 20).replace('_', ' ')}", "dim")
        return out
    for c in clocks:
        text, state = clock_text(c, now)
        out.append(" · ", "dim")
        out.append(text, URGENCY.get(state, ""))
        out.append(f" {_label(c, row, me)}")
    return out


def _label(c: Clock, row: IncidentRow, me: str) -> str:
    if c.detail and not row.visible_to(me):
        return "a checklist item"
    return clean(c.label, 32)  # several clocks share the line


class PaneTabs(Static):
    """Which pane is shown (one at a time) and the keys that switch."""

    DEFAULT_CSS = """
    PaneTabs { height: 1; padding: 0 1; background: $boost; display: none; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.shown = ""

    def show(self, pane: str) -> None:
        if pane != self.shown:
            self.shown = pane
            self.update(tabs_text(pane))


class ClockStrip(Static):
    """One line: the selected incident's open clocks (the panes that show them may be
    hidden)."""

    DEFAULT_CSS = """
    ClockStrip { height: 1; padding: 0 1; display: none; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self._shown: Text | None = None

    def show(self, row: IncidentRow | None, now: datetime, me: str) -> None:
        text = strip_text(row, now.replace(second=0, microsecond=0) if _far(row, now) else now, me)
        if text != self._shown:  # no repaint when nothing changed
            self._shown = text
            self.update(text)


def _far(row: IncidentRow | None, now: datetime) -> bool:
    """No clock within two minutes: whole minutes are enough (one repaint a minute)."""
    if row is None:
        return True
    return all(abs((c.due - now).total_seconds()) >= 120 for c in row.clocks if c.closed_at is None)
