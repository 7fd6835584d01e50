"""A choice asked for in a small modal list: which incident or signal (triage), which
checklist item (an item action run with no item selected in the checklist pane)."""

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


class Picker(ModalScreen[str | None]):
    """The choices (key, text) to choose from: Enter picks one, Escape cancels; returns the
    key picked (None: cancelled). Texts are built by the caller from untrusted text through
    ``Text``/``clean``, never markup."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]
    DEFAULT_CSS = """
    Picker { align: center middle; }
    Picker > Vertical { width: 110; max-width: 95%; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 1 2; }
    Picker #picker-title { text-style: bold; margin-bottom: 1; }
    Picker OptionList { height: auto; max-height: 16; }
    """
    LIST_ID = "choices"

    def __init__(self, title: str, choices: list[tuple[str, Text]]) -> None:
        super().__init__()
        self.heading = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.heading), id="picker-title")
            yield OptionList(*[Option(text, id=key) for key, text in self.choices], id=self.LIST_ID)
            yield Static(Text("↑↓ choose · Enter picks · Esc cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ItemPicker(Picker):
    """Which checklist item: its state, text and team; returns its id."""

    DEFAULT_CSS = """
    ItemPicker > Vertical { width: 84; }
    """
    LIST_ID = "items"

    def __init__(self, title: str, items: list[ChecklistRow]) -> None:
        super().__init__(title, [(r.item, _item_text(r)) for r in items])
        self.rows = items


def _item_text(r: ChecklistRow) -> Text:
    return Text.assemble(
        (f"{STATE_WORDS.get(r.state, clean(r.state, 12)):8} ", "dim"),
        clean(r.text, 200),
        (f"  ({clean(r.team.replace('_', ' '), 40)})", "dim"),
    )
