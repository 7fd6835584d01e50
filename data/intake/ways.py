"""What each way in received, read into a signal (pure: no store, no journal).

A way in hands over bytes: a JSON object (a line of ``warroom intake``, a dropped ``.json``
file, the body of a ``POST /signals``) or an e-mail (a dropped ``.eml`` file). :func:`from_json`
and :func:`from_email` read them into a :class:`Incoming`, the arguments of
:func:`data.intake.signals.signal_drafts`, with the bytes themselves as the payload
(docs/intake.md, "Ways in"). What cannot be read is a :class:`Refused` with a reason for people.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from html.parser import HTMLParser
from typing import Any

from data.engine import clock
from data.engine.models import MAX_YEAR, SIGNAL_CHANNELS, SIGNAL_RAW_MAX, JsonError, parse_json

#: the members of a signal given as JSON; any other is refused (a typo would be lost)
MEMBERS = ("channel", "title", "ref", "received_at", "body", "reporter", "accounts", "urls")
_TEXT = ("channel", "title", "ref", "received_at", "body", "reporter")
_LISTS = ("accounts", "urls")


class Refused(ValueError):
    """What a way in received cannot be a signal; ``str()`` says why, for people."""


@dataclass(frozen=True)
class Incoming:
    """A signal as read, before it is events: ``payload`` is exactly what was received."""

    channel: str
    title: str
    payload: bytes
    raw_type: str
    received_at: str
    body: str = ""
    ref: str | None = None
    reporter: str | None = None
    accounts: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    attachments: tuple[dict[str, Any], ...] = field(default=())

    def draft_args(self) -> dict[str, Any]:
        """The keyword arguments of :func:`data.intake.signals.signal_drafts`."""
        return {
            "channel": self.channel, "title": self.title, "payload": self.payload, "raw_type": self.raw_type,
            "received_at": self.received_at, "body": self.body, "ref": self.ref, "reporter": self.reporter,
            "accounts": self.accounts, "urls": self.urls, "attachments": self.attachments,
        }  # fmt: skip


def _now() -> str:
    return clock.utc_text(clock.now(), ms=True)


def _check_size(payload: bytes) -> None:
    if len(payload) > SIGNAL_RAW_MAX:
        raise Refused(f"it is {len(payload)} bytes, over the {SIGNAL_RAW_MAX}-byte limit of a signal")


def from_json(payload: bytes, *, channel: str | None = None, received_at: str | None = None) -> Incoming:
    """A signal object (``{"channel", "title", ...}``, docs/intake.md) from its bytes.
    ``channel``: the channel when the object names none (a watched folder's ``--channel``);
    ``received_at``: when it was received, if the object does not say (default now). The
    values themselves are checked when the events are built (``build_events``)."""
    _check_size(payload)
    try:
        obj = parse_json(payload)
    except JsonError as exc:
        reason = exc.reason if exc.reason.startswith("not valid JSON") else f"not valid JSON: {exc.reason}"
        raise Refused(reason) from None
    if not isinstance(obj, dict):
        raise Refused('not a JSON object (give {"channel": ..., "title": ...})')
    unknown = sorted(k for k in obj if k not in MEMBERS)
    if unknown:
        raise Refused(f"unknown member {unknown[0]!r} (a signal has {', '.join(MEMBERS)})")
    for name in _TEXT:
        if name in obj and obj[name] is not None and not isinstance(obj[name], str):
            raise Refused(f"{name}: must be a string")
    for name in _LISTS:
        value = obj.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise Refused(f"{name}: must be a list of strings")
    given_channel = obj.get("channel") or channel
    if not given_channel:
        raise Refused(f"channel: required (one of {', '.join(SIGNAL_CHANNELS)})")
    if given_channel not in SIGNAL_CHANNELS:
        raise Refused(f"channel: {given_channel!r} is not one of {', '.join(SIGNAL_CHANNELS)}")
    if not obj.get("title"):
        raise Refused("title: required")
    return Incoming(
        channel=given_channel, title=obj["title"], payload=payload, raw_type="application/json",
        received_at=obj.get("received_at") or received_at or _now(), body=obj.get("body") or "",
        ref=obj.get("ref"), reporter=obj.get("reporter"),
        accounts=tuple(obj.get("accounts") or ()), urls=tuple(obj.get("urls") or ()),
    )  # fmt: skip


# --- e-mail ------------------------------------------------------------------------------------

_TITLE_MAX = 300
_NO_SUBJECT = "(no subject)"


def _text(value: object) -> str:
    """A string any reader can store: the email package's stand-ins for undecodable bytes
    (lone surrogates) become U+FFFD; NUL stays (the journal escapes it)."""
    s = value if isinstance(value, str) else str(value)
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _one_line(value: str, limit: int) -> str:
    return " ".join(value.split())[:limit]


def _header(msg: Message, name: str) -> str | None:
    """A header's decoded value, or None (absent, or too broken to read)."""
    try:
        value = msg.get(name)
    except Exception:  # (the email package raises many things on broken headers)
        return None
    if value is None:
        return None
    text = _one_line(_text(value), 1000)
    return text or None


def _date(msg: Message) -> datetime | None:
    try:
        value = msg.get("Date")
        when = getattr(value, "datetime", None)
    except Exception:
        return None
    if not isinstance(when, datetime):
        return None
    if when.tzinfo is None:  # RFC 5322's -0000: the zone is unknown; take it as UTC
        when = when.replace(tzinfo=UTC)
    return when if 1970 <= when.year <= MAX_YEAR else None  # else: the file's time


class _Stripper(HTMLParser):
    """The text of an HTML body: tags dropped, script and style skipped, blocks on their lines."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_text(markup: str) -> str:
    """The text of an HTML document (for an e-mail without a text/plain part)."""
    parser = _Stripper()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # (HTMLParser is lenient; a last resort all the same)
        return html.unescape(re.sub(r"<[^>]*>", " ", markup))
    text = "".join(parser.out)
    return re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


def _part_text(part: Message) -> str:
    """A text part's content, decoded by its charset (else UTF-8), undecodable bytes replaced."""
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
        if isinstance(content, str):
            return _text(content)
    except Exception:  # (an unknown charset, a broken transfer encoding)
        pass
    try:
        raw = part.get_payload(decode=True)
    except Exception:
        raw = None
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    payload = part.get_payload()
    return _text(payload) if isinstance(payload, str) else ""


def _body(msg: EmailMessage) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        part = None
    if part is None:
        payload = msg.get_payload()
        if isinstance(payload, str) and msg.get_content_maintype() == "multipart":
            return _text(payload)  # broken MIME (no boundary found): the text as it is
        if msg.is_multipart() or msg.get_content_maintype() != "text":
            return ""
        part = msg
    text = _part_text(part)
    return html_text(text) if part.get_content_subtype() == "html" else text


def _attachments(msg: EmailMessage) -> tuple[dict[str, Any], ...]:
    out: list[dict[str, Any]] = []
    try:
        parts = list(msg.iter_attachments()) if msg.is_multipart() else []
    except Exception:
        return ()
    for part in parts[:100]:
        try:
            name = _one_line(_text(part.get_filename() or ""), 300)
        except Exception:
            name = ""
        try:
            data = part.get_payload(decode=True)
            size = len(data) if isinstance(data, bytes) else 0
        except Exception:
            size = 0
        kind = _text(part.get_content_type())[:128] or "application/octet-stream"
        out.append({"name": name, "type": kind, "size": size})
    return tuple(out)


def _ref(msg: Message) -> str | None:
    """The Message-ID, when it can be a reference (so the same e-mail dropped twice is a repeat)."""
    value = _header(msg, "Message-ID")
    if value is None or len(value) > 200 or not value.isprintable():
        return None
    return value


def from_email(payload: bytes, *, channel: str, fallback_at: datetime | None = None) -> Incoming:
    """An e-mail (RFC 5322 bytes, a ``.eml`` file) as a signal: the sender is the reporter,
    the subject the title (``(no subject)`` without one), ``Date`` the time received (else
    ``fallback_at``, else now), the text/plain body (else the text/html one as text), the
    attachments listed (name, type, size), the Message-ID the reference. Broken MIME is read
    as far as it goes; the payload keeps every byte as received."""
    _check_size(payload)
    if not payload.strip():
        raise Refused("the file is empty")
    try:
        msg = email.message_from_bytes(payload, policy=email.policy.default)
    except Exception as exc:  # (the parser is lenient; this is the last resort)
        raise Refused(f"not an e-mail the email package can read ({exc})") from None
    assert isinstance(msg, EmailMessage)  # (policy.default makes EmailMessage)
    subject = _header(msg, "Subject")
    title = _one_line(subject, _TITLE_MAX) if subject else _NO_SUBJECT
    when = _date(msg) or fallback_at or clock.now()
    try:
        body = _body(msg)
    except Exception:
        body = ""
    reporter = _header(msg, "From")
    return Incoming(
        channel=channel, title=title or _NO_SUBJECT, payload=payload, raw_type="message/rfc822",
        received_at=clock.utc_text(when, ms=True), body=body,
        ref=_ref(msg), reporter=reporter[:300] if reporter else None, attachments=_attachments(msg),
    )  # fmt: skip
