"""Untrusted text made safe to show in a terminal.

Everything in the journal is untrusted. Rich markup is never parsed from it (widgets get
``rich.text.Text`` or ``Content``); this module removes what must never reach a terminal:
control characters (ANSI escapes, carriage returns, NUL), and the bidirectional overrides
that can make text read differently from what it is.
"""

from __future__ import annotations

import re

# C0 and C1 controls (tab and newline included: a cell is one line), DEL, the bidi
# embedding/override/isolate controls, line and paragraph separators, and BOM.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_REPLACE = {"\t": " ", "\n": " ⏎ ", "\r": " "}


def _sub(match: re.Match[str]) -> str:
    ch = match.group()
    return _REPLACE.get(ch, "\N{REPLACEMENT CHARACTER}")


def clean(value: object, limit: int | None = None) -> str:
    """One line of printable text: controls replaced, optionally cut to ``limit`` chars."""
    text = value if isinstance(value, str) else str(value)
    text = _UNSAFE.sub(_sub, text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text
