"""Help: every key of the screen it was opened from, and of the app."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from screens.registry import help_text

KEY_NAMES = {"slash": "/", "exclamation_mark": "!", "question_mark": "?", "enter": "Enter", "escape": "Esc"}


def key_label(key: str) -> str:
    return ", ".join(KEY_NAMES.get(k, k) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 112; max-width: 95%; height: 90%; border: thick $accent; background: $surface; padding: 0 1; }
    HelpScreen DataTable { height: 1fr; }
    """

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text("Keys (ctrl+p opens the command palette: type a word of any action)", style="bold")
            )
            yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            yield Static(Text("Esc to close", style="dim"))

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Does", "Where")
        seen = set()
        for where, node in (("this screen", self.under), ("everywhere", self.app)):
            for binding in node.BINDINGS:
                if not isinstance(binding, Binding) or binding.key in seen:
                    continue
                if node is self.app and self.app.check_action(binding.action, ()) is False:
                    continue  # an app key that does not apply to this console (the observer's)
                seen.add(binding.key)
                what = help_text(binding)  # screens/registry.py
                table.add_row(
                    Text(key_label(binding.key), style="bold"), Text(what), Text(where, style="dim")
                )
