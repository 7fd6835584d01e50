"""``warroom serve``: an observer (read-only) console in a web browser (docs/observer.md)."""

from __future__ import annotations

from typing import Any

import click

from app.cli_base import EXIT_USAGE, Failure, common, main


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="The port.")
@click.option(
    "--public-url",
    metavar="URL",
    help="The address browsers use, when it is not http://HOST:PORT (behind a proxy: its https URL).",
)
@click.option(
    "--max-sessions", default=8, show_default=True, type=click.IntRange(1, 1000),
    help="Console processes at most at once (one per browser tab).",
)  # fmt: skip
@common
def serve(settings: Any, host: str, port: int, public_url: str | None, max_sessions: int) -> None:
    """Serve an observer console (read-only) to web browsers.

    Each browser tab gets its own `warroom --observer` console on this journal, store and
    actor. There is no authentication: it listens on loopback by default, and beyond
    loopback it must sit behind an authenticating proxy.
    """
    import dataclasses
    import os

    from app.serve import is_loopback, make_server

    try:
        import textual_serve  # noqa: F401
    except ImportError:
        raise Failure("warroom serve needs textual-serve: pip install textual-serve", EXIT_USAGE) from None
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise Failure(f"--public-url {public_url!r}: give an http:// or https:// URL", EXIT_USAGE)
    if not is_loopback(host):
        click.echo(
            f"warroom: warning: serving on {host}, beyond loopback: warroom serve has no authentication; "
            "anyone who can reach the port sees this actor's war room. Put it behind an authenticating proxy.",
            err=True,
        )
    os.environ["WARROOM_OBSERVER"] = "1"  # the consoles it starts are observers whatever they are given
    server = make_server(dataclasses.replace(settings, observer=True), host, port, public_url, max_sessions)
    try:
        server.serve()
    except OSError as exc:
        raise Failure(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
