"""Which checklist item: asked when an item action (a palette command, a key) runs with no
item selected in the checklist pane."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from data.incidents.views import ChecklistRow
from data.privacy.text import clean

STATE_WORDS = {"open": "open", "done": "done", "skipped": "skipped", "blocked": "blocked"}


class ItemPicker(ModalScreen[str | None]):
    """The items to choose from (Enter picks one, Escape cancels); returns its id."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]
    DEFAULT_CSS = """
    ItemPicker { align: center middle; }
    ItemPicker > Vertical { width: 84; max-width: 95%; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 1 2; }
    ItemPicker #picker-title { text-style: bold; margin-bottom: 1; }
    ItemPicker OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, title: str, items: list[ChecklistRow]) -> None:
        super().__init__()
        self.heading = title
        self.rows = items

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.heading), id="picker-title")
            yield OptionList(
                *[
                    Option(
                        Text.assemble(
                            (f"{STATE_WORDS.get(r.state, clean(r.state, 12)):8} ", "dim"),
                            clean(r.text, 200),
                            (f"  ({clean(r.team.replace('_', ' '), 40)})", "dim"),
                        ),
                        id=r.item,
                    )
                    for r in self.rows
                ],
                id="items",
            )
            yield Static(Text("↑↓ choose · Enter picks · Esc cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
