"""Channels: where warroom sends a message (e-mail, Slack, Microsoft Teams, webhooks and
the rest), each a name in ``[notify.channels]`` of the config file mapped to one or more
Apprise URLs (https://github.com/caronc/apprise). One library for every service: warroom
keeps no client of its own.

An Apprise URL holds credentials: it is never shown whole (:func:`masked_url`). Sending
is blocking network I/O, so it runs in a thread (:func:`send`); it never raises for a
failed delivery: :class:`Delivery` says what happened, in words for people.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from data.engine.config import WarroomConfig

#: how long one delivery may take before it counts as failed
TIMEOUT_SECONDS = 20


class ChannelError(ValueError):
    """A channel that cannot be used (not configured, a URL Apprise does not know)."""


@dataclass(frozen=True)
class Delivery:
    """What sending one message to one channel did."""

    channel: str
    ok: bool
    targets: int  # the channel's URLs
    error: str | None = None  # for people, URLs masked

    def __str__(self) -> str:
        if self.ok:
            return f"sent to {self.channel} ({self.targets} target{'s' if self.targets != 1 else ''})"
        return f"not sent to {self.channel}: {self.error}"


def masked_url(url: str) -> str:
    """``slack://…`` with what follows the scheme hidden but its host-like first part:
    enough to tell channels apart, never a token or a password."""
    m = re.match(r"^([a-z][a-z0-9+.-]*)://(?:[^@/]*@)?([^/?#]*)", url)
    if m is None:
        return "(an unreadable URL)"
    host = m.group(2)
    # a host name (dots, or an address and a port) is shown; a bare word may be a token
    # (slack://TokenA/TokenB/...), so it is not
    if re.fullmatch(r"(?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]+(?::\d+)?|localhost(?::\d+)?", host):
        return f"{m.group(1)}://{host[:60]}…"
    return f"{m.group(1)}://…"


def channels_of(config: WarroomConfig) -> dict[str, tuple[str, ...]]:
    """The configured channels, name -> URLs (``[notify.channels]``). Raises ChannelError
    naming the file and the key when ``[notify]`` cannot be used."""
    problem = config.problem("notify")
    if problem is not None:
        raise ChannelError(problem)
    return {name: tuple(urls) for name, urls in config.notify.channels.items()}


def _apprise(urls: tuple[str, ...]) -> Any:
    import apprise

    app = apprise.Apprise()
    for url in urls:
        if not app.add(url):
            raise ChannelError(f"Apprise does not know the URL {masked_url(url)}")
    return app


def check_channel(config: WarroomConfig, name: str) -> tuple[str, ...]:
    """The URLs of channel ``name``, each one Apprise can use. Raises ChannelError."""
    channels = channels_of(config)
    if name not in channels:
        known = ", ".join(sorted(channels)) or "none: add [notify.channels] to the config file"
        raise ChannelError(f"no channel named {name!r} (channels: {known})")
    urls = channels[name]
    _apprise(urls)
    return urls


def _send_now(name: str, urls: tuple[str, ...], title: str, body: str) -> Delivery:
    try:
        app = _apprise(urls)
    except ChannelError as exc:
        return Delivery(name, False, len(urls), str(exc))
    try:
        ok = bool(app.notify(title=title, body=body))
    except Exception as exc:  # a plugin's own failure: reported, never raised
        return Delivery(name, False, len(urls), f"{type(exc).__name__}: {exc}"[:300])
    if not ok:
        return Delivery(
            name, False, len(urls), "the service did not accept the message (see the channel's URL)"
        )
    return Delivery(name, True, len(urls))


async def send(config: WarroomConfig, name: str, title: str, body: str) -> Delivery:
    """Send ``title`` and ``body`` to every URL of channel ``name`` (in a thread, at most
    :data:`TIMEOUT_SECONDS`). Never raises for a failed delivery."""
    try:
        urls = channels_of(config).get(name)
    except ChannelError as exc:
        return Delivery(name, False, 0, str(exc))
    if urls is None:
        return Delivery(name, False, 0, f"no channel named {name!r} in the config file")
    try:
        return await asyncio.wait_for(asyncio.to_thread(_send_now, name, urls, title, body), TIMEOUT_SECONDS)
    except TimeoutError:
        return Delivery(name, False, len(urls), f"no answer within {TIMEOUT_SECONDS} s")
