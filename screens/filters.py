"""The queue's filter dialog."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, SelectionList, Static

from data.engine.models import CATEGORIES, REGIONS, STATUSES
from data.incidents.views import QueueFilter
from screens.dialogs import ENTER_SUBMITS, enter_submits


class FilterDialog(ModalScreen[QueueFilter | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="filter.apply"),
        ENTER_SUBMITS,  # from any list or checkbox (space toggles them)
        Binding("ctrl+r", "reset", "Clear all", id="filter.reset"),
    ]
    DEFAULT_CSS = """
    FilterDialog { align: center middle; }
    FilterDialog > #dialog { width: 110; max-width: 95%; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    FilterDialog #columns { height: auto; }
    FilterDialog #columns > Vertical { width: 1fr; height: auto; padding-right: 1; }
    FilterDialog SelectionList { height: auto; max-height: 12; }
    FilterDialog #buttons { height: auto; margin-top: 1; align-horizontal: right; }
    FilterDialog #buttons Button { margin-left: 2; }
    """

    def __init__(self, current: QueueFilter) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        f = self.current
        with Vertical(id="dialog"):
            yield Static(
                Text("Filter the incident queue (nothing selected in a list means any)", style="bold")
            )
            with Horizontal(id="columns"):
                with Vertical():
                    yield Label("Severity")
                    yield SelectionList[int](
                        *[(f"S{n}", n, n in f.severities) for n in (1, 2, 3, 4)], id="severities"
                    )
                    yield Label("Region")
                    yield SelectionList[str](*[(r, r, r in f.regions) for r in REGIONS], id="regions")
                with Vertical():
                    yield Label("Category")
                    yield SelectionList[str](
                        *[(c.replace("_", " "), c, c in f.categories) for c in CATEGORIES], id="categories"
                    )
                with Vertical():
                    yield Label("Status")
                    yield SelectionList[str](
                        *[(s.replace("_", " "), s, s in f.statuses) for s in STATUSES], id="statuses"
                    )
            yield Checkbox("Only incidents where I hold a role", f.mine, id="mine")
            yield Checkbox("Show closed incidents too", f.show_closed, id="closed")
            with Horizontal(id="buttons"):
                yield Button("Clear all (ctrl+r)", id="reset")
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Apply (Enter)", id="apply", variant="primary")

    def result(self) -> QueueFilter:
        def picked(name: str) -> frozenset:  # type: ignore[type-arg]
            return frozenset(self.query_one(f"#{name}", SelectionList).selected)

        return QueueFilter(
            severities=picked("severities"),
            categories=picked("categories"),
            regions=picked("regions"),
            statuses=picked("statuses"),
            mine=self.query_one("#mine", Checkbox).value,
            text=self.current.text,
            show_closed=self.query_one("#closed", Checkbox).value,
        )

    def action_apply(self) -> None:
        self.dismiss(self.result())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "enter_submit":
            return enter_submits(self.focused)
        return True

    def action_enter_submit(self) -> None:
        self.action_apply()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_reset(self) -> None:
        for sl in self.query(SelectionList):
            sl.deselect_all()
        self.query_one("#mine", Checkbox).value = False
        self.query_one("#closed", Checkbox).value = False

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#reset")
    def _reset(self) -> None:
        self.action_reset()
