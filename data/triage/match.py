"""Suggested matches of a signal (pure; docs/intake.md, "Triage"): the open incidents and
the other signals that look like it, each with why, best first.

What counts (each says why):

- **the same account**: the signal's ``accounts``, and the identifiers
  ``data.privacy.mask.identifiers`` finds in its title and body (handles, e-mails, phone
  numbers, IPs, marked account ids), against the same of the other (an incident: its title,
  summary and the signals already in it); compared without case and a leading ``@``;
- **the same URL** (named, or found in the text; scheme and host without case, no trailing
  ``/``);
- **the same reference**: equal references, or one's reference written in the other's text;
- **a close title**: ``rapidfuzz`` ``token_set_ratio`` of the two titles (case and
  punctuation ignored) at least :data:`TITLE_THRESHOLD` percent, both of at least
  :data:`TITLE_MIN_WORDS` words.

A restricted incident the viewer may not see is suggested as its id and ``(restricted)``
only, with a why that says nothing of what matched (:data:`RESTRICTED_WHY`).
Features are computed once per candidate (:func:`features`); :func:`suggest` costs one
set intersection per candidate and one rapidfuzz pass over the titles (C): hundreds of
candidates in a few milliseconds (bench/triage_match.py). The console runs it in a thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from data.privacy.mask import identifiers

#: the least ``token_set_ratio`` (percent) of two titles that makes them "close"
TITLE_THRESHOLD = 80
#: titles of fewer words than this are too short to compare
TITLE_MIN_WORDS = 2
#: the matches shown of one signal
LIMIT = 8
#: what an outsider is told of a restricted incident that matches (nothing of what matched)
RESTRICTED_TITLE = "(restricted)"
RESTRICTED_WHY = "a restricted incident matches: ask its commander"
#: weights: the more (and the stronger) reasons, the better the match
_WEIGHT = {"account": 3.0, "url": 2.5, "ref": 3.0}

_URL = re.compile(r"https?://[^\s<>\"'\]\[)]+", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-/.:#]{2,}")
_ACCOUNT_ID = re.compile(r"[\s:#=]+")


def account_key(value: str, kind: str = "account") -> str:
    """An account as compared: no case, no leading ``@``; a marked account id by its id."""
    text = value.strip().lower()
    if kind == "account":
        text = _ACCOUNT_ID.split(text)[-1]
    return text.lstrip("@")


def url_key(value: str) -> str:
    """A URL as compared: scheme and host without case, no trailing ``/`` or punctuation."""
    text = value.strip().rstrip(".,;:!?/")
    m = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#]*)(.*)", text)
    if m is None:
        return text.lower()
    return m.group(1).lower() + m.group(2).lower() + m.group(3)


@dataclass(frozen=True)
class Features:
    """What a signal or an incident is compared by (keys -> as found, for the why)."""

    accounts: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    refs: frozenset[str] = frozenset()  # its own references (upper case)
    tokens: frozenset[str] = frozenset()  # the words of its text (upper case), for a reference in it
    title: str = ""
    words: int = 0  # the title's words


def features(
    title: str, texts: Iterable[str] = (), accounts: Iterable[str] = (), urls: Iterable[str] = (),
    refs: Iterable[str] = (),
) -> Features:  # fmt: skip
    """The features of something titled ``title`` whose other texts are ``texts`` (a body,
    a summary) and that names ``accounts``, ``urls`` and ``refs``."""
    whole = [title, *texts]
    acc: dict[str, str] = {}
    for a in accounts:
        if a.strip():
            acc.setdefault(account_key(a, "handle"), a.strip())
    u: dict[str, str] = {}
    for x in urls:
        if x.strip():
            u.setdefault(url_key(x), x.strip())
    tokens: set[str] = set()
    for text in whole:
        for kind, found in identifiers(text):
            acc.setdefault(account_key(found, kind), found)
        for found in _URL.findall(text):
            u.setdefault(url_key(found), found.rstrip(".,;:!?"))
        tokens.update(t.rstrip(".,;:").upper() for t in _TOKEN.findall(text))
    processed = default_process(title)
    return Features(acc, u, frozenset(r.strip().upper() for r in refs if len(r.strip()) >= 3),
                    frozenset(tokens), processed, len(processed.split()))  # fmt: skip


def merged(base: Features, more: Iterable[Features]) -> Features:
    """``base`` with the accounts, URLs and references of ``more`` (an incident with the
    signals already in it); its title stays its own."""
    acc, urls, refs, tokens = dict(base.accounts), dict(base.urls), set(base.refs), set(base.tokens)
    for f in more:
        for k, v in f.accounts.items():
            acc.setdefault(k, v)
        for k, v in f.urls.items():
            urls.setdefault(k, v)
        refs |= f.refs
        tokens |= f.tokens
    return Features(acc, urls, frozenset(refs), frozenset(tokens), base.title, base.words)


@dataclass(frozen=True)
class Candidate:
    """An open incident or another signal that a signal may match."""

    kind: Literal["incident", "signal"]
    id: str
    title: str
    features: Features
    hidden: bool = False  # a restricted incident the viewer may not see
    status: str = ""


@dataclass(frozen=True)
class Match:
    """One suggestion: what it is, its title as the viewer may see it, and why."""

    kind: Literal["incident", "signal"]
    id: str
    title: str
    why: tuple[str, ...]
    score: float
    status: str = ""
    hidden: bool = False


def _first(keys: set[str], found: dict[str, str]) -> str:
    return found[min(keys)]


def _reasons(me: Features, other: Features, ratio: float | None) -> tuple[list[str], float]:
    why: list[str] = []
    score = 0.0
    shared = set(me.accounts) & set(other.accounts)
    if shared:
        more = f" (+{len(shared) - 1} more)" if len(shared) > 1 else ""
        why.append(f"same account {_first(shared, me.accounts)}{more}")
        score += _WEIGHT["account"] + 0.5 * (len(shared) - 1)
    same_urls = set(me.urls) & set(other.urls)
    if same_urls:
        more = f" (+{len(same_urls) - 1} more)" if len(same_urls) > 1 else ""
        why.append(f"same URL {_first(same_urls, me.urls)}{more}")
        score += _WEIGHT["url"]
    refs = (me.refs & other.refs) or (me.refs & other.tokens) or (other.refs & me.tokens)
    if refs:
        why.append(f"same reference {min(refs)}")
        score += _WEIGHT["ref"]
    if ratio is not None:
        why.append(f"title {round(ratio)}% like")
        score += 2.0 * ratio / 100
    return why, score


def suggest(me: Features, candidates: Sequence[Candidate], limit: int = LIMIT) -> list[Match]:
    """The candidates that match ``me``, best first (the most and strongest reasons), at
    most ``limit``; a hidden one (a restricted incident the viewer may not see) with its id
    only."""
    ratios: dict[int, float] = {}
    if me.words >= TITLE_MIN_WORDS:
        titles = {
            i: c.features.title for i, c in enumerate(candidates) if c.features.words >= TITLE_MIN_WORDS
        }
        for _, score, i in process.extract(me.title, titles, scorer=fuzz.token_set_ratio, processor=None,
                                           score_cutoff=TITLE_THRESHOLD, limit=None):  # fmt: skip
            ratios[i] = score
    out: list[Match] = []
    for i, c in enumerate(candidates):
        why, score = _reasons(me, c.features, ratios.get(i))
        if not why:
            continue
        if c.hidden:
            out.append(Match(c.kind, c.id, RESTRICTED_TITLE, (RESTRICTED_WHY,), score, "", True))
        else:
            out.append(Match(c.kind, c.id, c.title, tuple(why), score, c.status))
    out.sort(key=lambda m: (-m.score, m.kind != "incident", m.id))
    return out[:limit]
