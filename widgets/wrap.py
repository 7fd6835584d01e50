"""How many lines a one-line text takes once wrapped, without wrapping it.

The timeline must know the height of every entry (for its scrollbar and to follow the
bottom) but renders only the few entries on screen. For ASCII text (almost every entry)
``line_count`` applies the rule ``rich.text.Text.wrap`` follows, with ``len`` for cell widths,
several times faster; anything else is wrapped by Rich itself (its public ``Text.wrap``).
"""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.text import Text

_WORD = re.compile(r"\s*\S+\s*")
#: the console Rich wraps with (wrapping reads no more of it than its defaults)
_CONSOLE = Console(file=io.StringIO(), width=200, color_system=None, legacy_windows=False)


def line_count(text: str, width: int) -> int:
    """The number of lines ``rich.text.Text(text).wrap(console, width)`` gives, for a
    text without newlines or tabs."""
    if width <= 0:
        return 1
    if not text.isascii() or not text.isprintable():
        return len(Text(text).wrap(_CONSOLE, width))
    breaks = 0
    offset = 0
    for match in _WORD.finditer(text):
        word = match.group()
        start = match.start()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:  # folded over as many lines as it needs
            chunks = -(-len(word) // width)
            breaks += chunks - 1 + (1 if start else 0)
            offset = len(word) - (chunks - 1) * width
        elif offset and start:
            breaks += 1
            offset = len(word)
    return breaks + 1
