"""A signal as journal events (pure), and its payload read back from the store.

:func:`signal_drafts` turns what a way in received (the payload's bytes, exactly, and what
was read from it) into a ``signal.received`` event, followed by ``signal.payload`` events
when the payload is too large for one line (docs/intake.md). :func:`load_payload` puts the
bytes back together and checks them against the sha256 the signal carries.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from data.engine.ids import ALPHABET
from data.engine.models import (
    SIGNAL_BODY_MAX,
    SIGNAL_PART_CHARS,
    SIGNAL_RAW_INLINE,
    SIGNAL_RAW_MAX,
    Draft,
    SignalAttachment,
    SignalPayload,
    SignalReceived,
)

_SYSTEM = random.SystemRandom()


def new_signal_id(rng: random.Random | None = None) -> str:
    """``SIG-`` and 8 characters of Crockford's base 32 (40 random bits)."""
    pick = rng or _SYSTEM
    return "SIG-" + "".join(pick.choice(ALPHABET) for _ in range(8))


class PayloadTooLarge(ValueError):
    """A payload over :data:`SIGNAL_RAW_MAX` bytes: nothing of it is written."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the payload is {size} bytes, over the {SIGNAL_RAW_MAX}-byte limit of a signal")
        self.size = size


def _body(text: str) -> tuple[str, bool]:
    """The body a line carries: the text's start when it is longer (the payload has all)."""
    if len(text) <= SIGNAL_BODY_MAX:
        return text, False
    return text[:SIGNAL_BODY_MAX], True


def signal_drafts(
    *,
    channel: str,
    title: str,
    payload: bytes,
    raw_type: str,
    received_at: str,
    body: str = "",
    ref: str | None = None,
    reporter: str | None = None,
    accounts: Sequence[str] = (),
    urls: Sequence[str] = (),
    attachments: Sequence[dict[str, Any]] = (),
    signal: str | None = None,
) -> list[Draft]:
    """The events that record one signal: ``signal.received`` (with the payload inline when
    it fits) and the ``signal.payload`` parts of a larger one. Values are validated like any
    input (``build_events``); a payload over the limit raises :class:`PayloadTooLarge`."""
    if len(payload) > SIGNAL_RAW_MAX:
        raise PayloadTooLarge(len(payload))
    sid = signal or new_signal_id()
    encoded = base64.b64encode(payload).decode("ascii")
    inline = len(encoded) <= SIGNAL_RAW_INLINE
    chunks = (
        []
        if inline
        else [encoded[i : i + SIGNAL_PART_CHARS] for i in range(0, len(encoded), SIGNAL_PART_CHARS)]
    )
    text, truncated = _body(body)
    fields: dict[str, Any] = {
        "signal": sid, "channel": channel, "received_at": received_at, "title": title, "body": text,
        "raw_type": raw_type, "raw_size": len(payload), "raw_sha256": hashlib.sha256(payload).hexdigest(),
    }  # fmt: skip
    optional: dict[str, Any] = {
        "ref": ref, "reporter": reporter, "body_truncated": truncated or None,
        "raw": encoded if inline else None, "raw_parts": len(chunks) or None,
        "accounts": list(accounts) or None, "urls": list(urls) or None,
        "attachments": [SignalAttachment.model_construct(**a) for a in attachments] or None,
    }  # fmt: skip
    fields.update((k, v) for k, v in optional.items() if v is not None)
    drafts = [Draft(SignalReceived.model_construct(**fields))]
    drafts += [
        Draft(SignalPayload.model_construct(signal=sid, part=n, data=c)) for n, c in enumerate(chunks, 1)
    ]
    return drafts


@dataclass(frozen=True)
class Payload:
    """A signal's payload as stored: ``data`` the bytes when they are whole and match the
    signal's sha256; otherwise None and ``problem`` says why (parts not arrived yet)."""

    data: bytes | None
    problem: str | None = None


def join_payload(raw_parts: int, raw_size: int, raw_sha256: str, parts: Sequence[tuple[int, str]]) -> Payload:
    """The payload from its stored parts (``(part, base64)``; part 0 is the inline one)."""
    have = dict(parts)
    want = [0] if raw_parts == 0 else list(range(1, raw_parts + 1))
    missing = [n for n in want if n not in have]
    if missing:
        return Payload(None, f"{len(missing)} of {len(want)} parts of the payload have not arrived")
    try:
        data = b"".join(base64.b64decode(have[n], validate=True) for n in want)
    except ValueError as exc:
        return Payload(None, f"the payload is not base64 ({exc})")
    if len(data) != raw_size or hashlib.sha256(data).hexdigest() != raw_sha256:
        return Payload(None, "the payload does not match the size and sha256 the signal recorded")
    return Payload(data)


async def load_payload(store: Any, signal: str) -> Payload:
    """The payload of ``signal`` from ``store`` (a :class:`data.engine.store.Store`)."""
    from sqlalchemy import select

    from data.engine import schema as S

    s, p = S.signals.c, S.signal_parts.c
    head = await store.read_tuples(select(s.raw_parts, s.raw_size, s.raw_sha256).where(s.signal == signal))
    if not head:
        return Payload(None, f"signal {signal} was never received")
    parts = await store.read_tuples(select(p.part, p.data).where(p.signal == signal))
    raw_parts, raw_size, raw_sha256 = head[0]
    return join_payload(raw_parts, raw_size, raw_sha256, [(n, d) for n, d in parts])
