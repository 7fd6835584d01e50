"""The war room's wellbeing line: this shift's exposure counts and minutes, in a calm
style (numbers only; docs/wellbeing.md). Hidden until there is something to say."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from data.care.wellbeing import Exposure, indicator


def wellbeing_text(exposure: Exposure | None, quiet: bool, break_due: bool = False) -> Text:
    """``shift exposure: CSEA 1 · self-harm 1 · 17 min · quiet · B break``"""
    parts: list[tuple[str, str] | str] = [("shift exposure: ", "dim")]
    if exposure is not None and exposure.incidents:
        parts.append((indicator(exposure), ""))
    else:
        parts.append(("none", "dim"))
    if break_due:
        parts += [(" · ", "dim"), ("a break is due", "italic")]
    if quiet:
        parts += [(" · ", "dim"), ("quiet", "")]
    parts.append((" · B break · g quiet", "dim"))
    return Text.assemble(*parts)


class WellbeingLine(Static):
    """One line under the on-call pane; shown once anything sensitive was opened this
    shift, or while quiet mode is on."""

    DEFAULT_CSS = """
    WellbeingLine { height: 1; padding: 0 1; color: $text-muted; display: none; }
    WellbeingLine.shown { display: block; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self._shown: Text | None = None

    def show(self, exposure: Exposure | None, quiet: bool, break_due: bool = False) -> None:
        visible = quiet or break_due or (exposure is not None and exposure.incidents > 0)
        self.set_class(visible, "shown")
        text = wellbeing_text(exposure, quiet, break_due)
        if text != self._shown:  # no repaint when nothing changed
            self._shown = text
            self.update(text)
