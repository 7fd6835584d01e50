"""User identifiers in displayed text, found and masked (docs/privacy.md).

Pure and fast: one precompiled pattern, one ``sub`` pass per string, and a cheap test that
skips strings that cannot hold an identifier (no ``@``, no digit). It runs on every string
the console renders (``data.privacy.text.clean``) and on every exported value.

Kinds (as the ``audit.reveal`` event names them): ``email``, ``handle``, ``phone``, ``ip``,
``account``. What each matches and how it is masked is the contract documented in
docs/privacy.md; the tests hold the table (tests/test_masking.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

KINDS = ("email", "handle", "phone", "ip", "account")
MASK = "***"

# --- the pattern: one alternation, tried left to right at each position ------------------

_EMAIL = r"""
(?P<email>
  (?<![A-Za-z0-9._%+\-])
  (?P<e_local>[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,63}))
  @
  (?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})\.)+
  (?P<e_tld>[A-Za-z]{2,24})
  (?![A-Za-z0-9\-])
)"""

# an @handle: not after a word character, an @ or a dot (that is an e-mail or a path);
# 1-30 of letters, digits, _ and . with at least one letter or _ (so "@03:00" is a time);
# not followed by "=" (Rich's "[@click=…]" action markup is not a handle) or "*" (masked)
_HANDLE = r"""
(?P<handle>
  (?<![A-Za-z0-9_@.])
  @(?=[A-Za-z0-9_.]{0,29}[A-Za-z_])
  (?P<h_name>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)
  (?![A-Za-z0-9_=@*])
)"""

# IPv6 (validated with ipaddress after matching): hex groups and colons, two colons at
# least, optionally ending in a dotted IPv4 (IPv4-mapped / -compatible forms)
_IPV6 = r"""
(?P<ipv6>
  (?<![A-Za-z0-9:.])
  (?:[0-9A-Fa-f]{1,4}|:)?(?::[0-9A-Fa-f]{0,4}){2,7}
  (?:(?<=:)(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})?
  (?![A-Za-z0-9:]|\.\d)
)"""

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"""
(?P<ipv4>
  (?<![A-Za-z0-9.])
  (?P<v4_net>{_OCTET}\.{_OCTET}\.{_OCTET})\.{_OCTET}
  (?![A-Za-z0-9]|\.\d)
)"""

# phones: "+" and a country code with 8-15 digits in all (E.164), groups separated by a
# space, "-", "." or in parentheses; or a North American number written with its
# punctuation: (555) 123-4567, 555-123-4567, 555.123.4567
_PHONE = r"""
(?P<phone>
  (?<![A-Za-z0-9+])
  (?:
    \+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){1,6}\d?
  |
    (?<!\d[\-.])(?:\(\d{3}\)[ ]?|\d{3}[\-.])\d{3}[\-.]\d{4}
  )
  (?![A-Za-z0-9]|[\-.]\d)
)"""

# account ids marked as such: "account 66685", "acct:66685", "account #4242",
# "account id 1234", "user id 123", "user_id=abc123", "uid:u-77"; the id must hold a digit
_ACCOUNT = r"""
(?P<account>
  (?<![A-Za-z0-9_])
  (?P<a_mark>(?i:accounts?(?:[ _\-]?(?:id|no\.?|number))?|acct|user[ _\-]?id|uid))
  (?P<a_sep>\s?[:#=]\s?|\s(?:\#\s?)?)
  (?P<a_id>(?=[A-Za-z0-9_\-]{0,63}\d)[A-Za-z0-9][A-Za-z0-9_\-]{0,63})
  (?![A-Za-z0-9_\-*])
)"""

_PATTERN = re.compile("|".join((_EMAIL, _HANDLE, _IPV6, _IPV4, _PHONE, _ACCOUNT)), re.VERBOSE)
# a string without "@", a digit or "::" holds no identifier: skip the pattern
_MAYBE = re.compile(r"[@\d]|::")


def _phone_digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _mask_phone(text: str) -> str:
    """Every digit but the last two becomes ``*``; an international number keeps its ``+``
    and, when it is written with separators, its country code (the first group)."""
    keep = 0
    if text.startswith("+"):
        m = re.match(r"\+\d{1,3}(?=[ .\-(])", text)
        keep = m.end() if m else 1
    rest = text[keep:]
    shown_from = _phone_digits(rest) - 2  # digits before this one are hidden
    out = [text[:keep]]
    seen = 0
    for ch in rest:
        if ch.isdigit():
            out.append(ch if seen >= shown_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def _mask_ipv6(addr: ipaddress.IPv6Address) -> str:
    mapped = addr.ipv4_mapped
    if mapped is not None:
        a, b, c, _ = str(mapped).split(".")
        return f"::ffff:{a}.{b}.{c}.{MASK}"
    groups = addr.exploded.split(":")
    return f"{int(groups[0], 16):x}:{int(groups[1], 16):x}:{MASK}"


def _classify(m: re.Match[str]) -> tuple[str, str] | None:
    """(kind, masked text) of a match, or None when it is not an identifier after all."""
    g = m.group
    if g("email") is not None:
        return "email", f"{g('e_local')[0]}{MASK}@{MASK}.{g('e_tld')}"
    if g("handle") is not None:
        return "handle", f"@{g('h_name')[0]}{MASK}"
    if g("ipv6") is not None:
        text = g("ipv6")
        if not any(c.isalnum() for c in text):
            return None  # "::" alone, or ":::"
        try:
            addr = ipaddress.IPv6Address(text)
        except ValueError:
            return None
        return "ip", _mask_ipv6(addr)
    if g("ipv4") is not None:
        return "ip", f"{g('v4_net')}.{MASK}"
    if g("phone") is not None:
        text = g("phone")
        n = _phone_digits(text)
        if text.startswith("+") and not 8 <= n <= 15:
            return None
        return "phone", _mask_phone(text)
    if g("account") is not None:
        return "account", f"{g('a_mark')}{g('a_sep')}{g('a_id')[0]}{MASK}"
    raise AssertionError(m.lastgroup)  # pragma: no cover


def _replace(m: re.Match[str]) -> str:
    found = _classify(m)
    return m.group() if found is None else found[1]


def mask(text: str) -> str:
    """``text`` with every user identifier in it masked (docs/privacy.md)."""
    if not _MAYBE.search(text):
        return text
    return _PATTERN.sub(_replace, text)


def kinds(text: str) -> list[str]:
    """The kinds of identifiers ``text`` holds, in :data:`KINDS` order (no values)."""
    if not _MAYBE.search(text):
        return []
    found = {c[0] for m in _PATTERN.finditer(text) if (c := _classify(m)) is not None}
    return [k for k in KINDS if k in found]


def identifiers(text: str) -> list[tuple[str, str]]:
    """The identifiers ``text`` holds, as (kind, the text found), in order (triage matches
    signals by them: data/triage/match.py; never shown unmasked)."""
    if not _MAYBE.search(text):
        return []
    return [(c[0], m.group()) for m in _PATTERN.finditer(text) if (c := _classify(m)) is not None]


def has_identifiers(text: str) -> bool:
    return bool(kinds(text))


def mask_value(value: Any, masker: Callable[[str], str] = mask) -> Any:
    """A JSON-like value with every string in it masked (keys are left as they are)."""
    if isinstance(value, str):
        return masker(value)
    if isinstance(value, dict):
        return {k: mask_value(v, masker) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v, masker) for v in value]
    return value
