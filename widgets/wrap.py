"""How many lines a one-line text takes once wrapped, without wrapping it.

The timeline must know the height of every entry (for its scrollbar and to follow the
bottom) but renders only the few entries on screen. Rich's ``divide_line`` is the rule
``Text.wrap`` follows; for ASCII text (almost every entry) ``line_count`` applies the same
rule with ``len`` for cell widths, several times faster. Anything else goes to Rich itself.
"""

from __future__ import annotations

import re

from rich._wrap import divide_line

_WORD = re.compile(r"\s*\S+\s*")


def line_count(text: str, width: int) -> int:
    """The number of lines ``rich.text.Text(text).wrap(console, width)`` gives, for a
    text without newlines or tabs."""
    if width <= 0:
        return 1
    if not text.isascii() or not text.isprintable():
        return len(divide_line(text, width, fold=True)) + 1
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
