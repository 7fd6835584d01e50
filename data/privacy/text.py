"""Untrusted text made safe to show in a terminal.

Everything in the journal is untrusted. Rich markup is never parsed from it (widgets get
``rich.text.Text`` or ``Content``); this module removes what must never reach a terminal:
control characters (ANSI escapes, carriage returns, NUL), and the bidirectional overrides
that can make text read differently from what it is. It also masks the identifiers of users
(e-mail addresses, phone numbers, IP addresses, @handles, marked account ids: data/privacy/mask.py,
docs/privacy.md) unless the caller reveals them, which only a revealed entry does.

Exports and reports (docs/security.md, "Exports and control characters") write the same
characters in a form that stays exact and readable: :func:`json_safe_dumps` as JSON
``\\uXXXX`` escapes, :func:`visible_escape` for CSV and Markdown as ``\\x1b`` or ``\\u202e``
(unless inside :func:`raw_controls`, a ``--raw-text`` export, which keeps them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

from data.privacy.mask import mask

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


#: True inside :func:`raw_controls` (a ``--raw-text`` export): CSV and Markdown then keep
#: control characters as they are instead of escaping them visibly.
_RAW_CONTROLS: ContextVar[bool] = ContextVar("warroom_raw_controls", default=False)


@contextmanager
def raw_controls() -> Iterator[None]:
    """Within this block, CSV and Markdown exports keep control characters and bidi controls
    as they are (``--raw-text``) instead of :func:`visible_escape`-ing them."""
    token = _RAW_CONTROLS.set(True)
    try:
        yield
    finally:
        _RAW_CONTROLS.reset(token)


def escaping() -> bool:
    """Whether CSV and Markdown exports now escape control characters (the default)."""
    return not _RAW_CONTROLS.get()


# C0 and C1 controls (tab and newline included: a cell is one line), DEL, the bidi
# embedding/override/isolate controls, line and paragraph separators, and BOM.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_REPLACE = {"\t": " ", "\n": " ⏎ ", "\r": " "}


def _sub(match: re.Match[str]) -> str:
    ch = match.group()
    return _REPLACE.get(ch, "\N{REPLACEMENT CHARACTER}")


# What an export never writes as it is (unless ``--raw-text``): every C0 control, DEL,
# every C1 control (U+0080-U+009F: U+009B is a CSI that many terminals obey), the bidi
# embeddings, overrides and isolates and the bidi marks (LRM, RLM, ALM), line and paragraph
# separators, and BOM. A terminal obeys C0 and C1 escape sequences (OSC 2 renames the
# window, OSC 52 writes the clipboard); bidi controls make text read other than it is.
_BIDI_AND_SEPARATORS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_ESCAPE_ALL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
# the same, except the line breaks (LF, CR LF) and the tab that a CSV cell may hold
_ESCAPE_CELL = re.compile(f"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
# what json.dumps(ensure_ascii=False) writes raw (it escapes C0 itself)
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI_AND_SEPARATORS}]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible_escape(text: str, *, lines: bool = False) -> str:
    """``text`` with every control character, DEL, C1 control and bidi control written as a
    visible escape naming its code point: ``\\x1b`` (ESC), ``\\x9b``, ``\\x00``, ``\\x7f``
    (code points up to U+00FF), ``\\u202e`` (above). With ``lines``, line breaks (LF and
    CR LF) and tabs are kept (a CSV cell may hold several lines); a lone CR is escaped (a
    terminal would return to the start of the line and write over it). Backslashes already
    in the text are left as they are."""
    return (_ESCAPE_CELL if lines else _ESCAPE_ALL).sub(_escaped, text)


def _json_escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_safe_dumps(value: object, **kwargs: Any) -> str:
    """``json.dumps(value)`` (UTF-8 text kept readable: ``ensure_ascii=False`` unless given)
    with every control character, C1 control and bidi control in a string (or a key)
    written as a ``\\uXXXX`` escape: the output parses back to exactly the same value, and
    no terminal acts on it. ``kwargs`` go to :func:`json.dumps` (``indent``, ...)."""
    kwargs.setdefault("ensure_ascii", False)
    text = json.dumps(value, **kwargs)
    # JSON escapes C0 itself; what is left can only be inside strings (the syntax around
    # them is ASCII), where a \\uXXXX escape stands for the same character
    return _JSON_UNSAFE.sub(_json_escaped, text)


def clean(
    value: object,
    limit: int | None = None,
    *,
    reveal: bool | None = None,
    controls: Literal["replace", "escape", "keep"] = "replace",
) -> str:
    """One line of printable text: controls replaced, user identifiers masked (unless
    ``reveal``, or inside :func:`unmasked`), optionally cut to ``limit`` chars (after
    masking, so a cut never leaves part of an identifier unmasked).

    ``controls``: ``"replace"`` (on screen: each control becomes U+FFFD), ``"escape"`` (in
    an export: :func:`visible_escape`) or ``"keep"`` (a ``--raw-text`` export). Line breaks
    and tabs become spaces (`` ⏎ `` for a line break) whatever it says: the text is one line."""
    text = value if isinstance(value, str) else str(value)
    if controls == "replace":
        text = _UNSAFE.sub(_sub, text)
    else:
        text = re.sub("\r\n|[\t\n\r]", lambda m: _REPLACE[m.group()[-1]], text)
        if controls == "escape":
            text = visible_escape(text)
    if not (reveal if reveal is not None else _UNMASKED.get()):
        text = mask(text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text
