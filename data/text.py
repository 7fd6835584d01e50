"""Untrusted text made safe to show in a terminal.

Everything in the journal is untrusted. Rich markup is never parsed from it (widgets get
``rich.text.Text`` or ``Content``); this module removes what must never reach a terminal:
control characters (ANSI escapes, carriage returns, NUL), and the bidirectional overrides
that can make text read differently from what it is. It also masks the identifiers of users
(e-mail addresses, phone numbers, IP addresses, @handles, marked account ids: data/mask.py,
docs/privacy.md) unless the caller reveals them, which only a revealed entry does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .mask import mask

#: True inside :func:`unmasked` (an ``--unmasked`` report that was audited): clean() then
#: leaves identifiers as they are. A ContextVar, so one task's unmasked report never
#: unmasks another task's text.
_UNMASKED: ContextVar[bool] = ContextVar("warroom_unmasked", default=False)


@contextmanager
def unmasked() -> Iterator[None]:
    """Within this block, :func:`clean` reveals identifiers (for an audited ``--unmasked``
    report only: docs/privacy.md)."""
    token = _UNMASKED.set(True)
    try:
        yield
    finally:
        _UNMASKED.reset(token)


def masking() -> bool:
    """Whether text shown or exported now has its identifiers masked."""
    return not _UNMASKED.get()

# C0 and C1 controls (tab and newline included: a cell is one line), DEL, the bidi
# embedding/override/isolate controls, line and paragraph separators, and BOM.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_REPLACE = {"\t": " ", "\n": " ⏎ ", "\r": " "}


def _sub(match: re.Match[str]) -> str:
    ch = match.group()
    return _REPLACE.get(ch, "\N{REPLACEMENT CHARACTER}")


def clean(value: object, limit: int | None = None, *, reveal: bool | None = None) -> str:
    """One line of printable text: controls replaced, user identifiers masked (unless
    ``reveal``, or inside :func:`unmasked`), optionally cut to ``limit`` chars (after
    masking, so a cut never leaves part of an identifier unmasked)."""
    text = value if isinstance(value, str) else str(value)
    text = _UNSAFE.sub(_sub, text)
    if not (reveal if reveal is not None else _UNMASKED.get()):
        text = mask(text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text
