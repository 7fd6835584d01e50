"""Building a response's steps and a disclosure, and the transparency report's counts
(docs/disclosures.md). Pure: no store, no Textual."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from data.engine.models import parse_rfc3339
from data.privacy.mask import MASK


def sha256_text(text: str) -> str:
    """The sha256 a ``response.sent`` records: of the final text, UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def masked_account(account: str, *, reveal: bool = False) -> str:
    """A disclosure's account as every display shows it: its first character and ``***``."""
    return account if reveal else account[:1] + MASK


def next_response_id(taken: Iterable[str]) -> str:
    """``r1``, ``r2``, …: the first not taken in the incident."""
    have = set(taken)
    n = 1
    while f"r{n}" in have:
        n += 1
    return f"r{n}"


def status(r: Any) -> str:
    """A response's state in words: drafted, changes requested, approved, sent."""
    if r.sent_at is not None:
        return "sent"
    if r.approved:
        return "approved"
    if r.verdict == "changes_requested":
        return "changes requested"
    if r.verdict == "approved":
        return "review does not count"  # a drafter's or a non-legal reviewer's in the journal
    return "awaiting review"


@dataclass(frozen=True)
class Counts:
    """The transparency report: disclosures and accounts by each dimension, in a period."""

    since: datetime | None
    until: datetime | None
    total: int
    accounts: int
    by: dict[str, dict[str, int]]

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat().replace("+00:00", "Z") if self.since else None,
            "until": self.until.isoformat().replace("+00:00", "Z") if self.until else None,
            "disclosures": self.total,
            "accounts": self.accounts,
            **{f"by_{k}": v for k, v in self.by.items()},
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per (dimension, value): what the CSV holds."""
        out: list[dict[str, Any]] = [{"dimension": "total", "value": "", "disclosures": self.total}]
        for dim, counts in self.by.items():
            out.extend({"dimension": dim, "value": k, "disclosures": n} for k, n in counts.items())
        return out


FIELDS = ["dimension", "value", "disclosures"]


def counts(rows: Sequence[Any], since: datetime | None = None, until: datetime | None = None) -> Counts:
    """Disclosures recorded in [since, until) (by the event's time), counted by country,
    agency type, basis, category of data and month (``period``, UTC)."""
    chosen = []
    for r in rows:
        at = parse_rfc3339(r.ts)
        if (since is None or at >= since) and (until is None or at < until):
            chosen.append((r, at))
    by: dict[str, Counter[str]] = {
        k: Counter() for k in ("country", "agency_type", "basis", "category", "period")
    }
    for r, at in chosen:
        by["country"][r.country] += 1
        by["agency_type"][r.agency_type] += 1
        by["basis"][r.basis] += 1
        by["period"][f"{at.astimezone(UTC):%Y-%m}"] += 1
        for c in r.categories:
            by["category"][c] += 1
    accounts = len({r.account for r, _ in chosen})
    return Counts(since, until, len(chosen), accounts, {k: dict(sorted(v.items())) for k, v in by.items()})
