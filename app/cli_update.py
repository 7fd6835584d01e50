"""``warroom update``: write and send a stakeholder update (docs/updates.md): the audience's
template filled from the incident (or a text of your own), sent to the audience's channels
(``[notify.audiences]``), then recorded in the journal (the update clock restarts).
Headless: imports no Textual."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from app.cli_base import EXIT_USAGE, Failure, _run, common, main, refuse_observer


@main.command()
@click.option("--incident", required=True, metavar="ID", help="The incident.")
@click.option(
    "--audience",
    required=True,
    type=click.Choice(["executives", "legal", "policy", "comms", "partners"]),
    help="Who the update is for (its template and its channels).",
)
@click.option(
    "--text-file",
    type=click.Path(dir_okay=False, exists=True, allow_dash=True),
    help="The update's text from this file ('-': standard input); else the audience's template, filled.",
)
@click.option(
    "--template", is_flag=True, help="Send the audience's template, filled from the incident (the default)."
)
@click.option("--preview", "show", is_flag=True, help="Print the text and stop: nothing sent or written.")
@click.option(
    "--send/--no-send",
    default=True,
    show_default=True,
    help="Send to the audience's channels (--no-send: record only, e.g. sent by other means).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was sent where as JSON.")
@common
def update(
    settings: Any,
    incident: str,
    audience: str,
    text_file: str | None,
    template: bool,
    show: bool,
    send: bool,
    as_json: bool,
) -> None:
    """Send a stakeholder update on an incident to AUDIENCE's channels and record it (an
    incident.action of kind stakeholder_update: the update clock restarts). Sent first,
    then recorded. Exit 0 when recorded (a failed delivery is printed, and exit 1), 2 for a
    refusal."""
    from data.commands import AppendRefused, append_events, build_events
    from data.comms.updates import UpdateError, draft_for, load_templates, send_update, update_action
    from data.engine import clock
    from data.engine.models import Draft
    from data.privacy.text import clean
    from data.procedures.clocks import PolicyError, policy_of

    if template and text_file is not None:
        raise Failure(
            "--template and --text-file: give one (the text is the template's, or the file's)", EXIT_USAGE
        )
    if not show:
        refuse_observer(settings, "update")
    try:
        policy = policy_of(settings.config)
        templates = load_templates()
        now = clock.now()
        incident, (subject, body) = _run(draft_for(settings, incident, audience, policy, templates, now))
    except (UpdateError, PolicyError) as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    if text_file is not None:
        try:
            with click.open_file(text_file, encoding="utf-8") as f:
                body = f.read().strip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise Failure(f"cannot read {text_file}: {exc}", EXIT_USAGE) from None
        if not body.strip():
            raise Failure(f"{text_file} is empty: nothing sent or written", EXIT_USAGE)
    if show:
        sys.stdout.write(f"{subject}\n\n{body}\n")
        return
    problem = settings.config.problem("notify")
    if send and problem is not None:
        raise Failure(f"{problem}; nothing sent or written", EXIT_USAGE)
    deliveries = _run(send_update(settings.config, audience, subject, body)) if send else []
    unsent = "not sent by warroom (--no-send)" if not send else "no channel configured; the text was printed"
    action = update_action(audience, body, deliveries, unsent)
    try:
        events = build_events([("update", Draft(action, incident=incident))], settings.actor)
        _run(append_events(settings, events))
    except (AppendRefused, Failure) as exc:
        for d in deliveries:  # sent first: say so, whatever the journal did
            click.echo(f"warroom: {clean(str(d), 400)}", err=True)
        code = exc.exit_code if isinstance(exc, Failure) else EXIT_USAGE
        raise Failure(f"the update was not recorded: {exc}", code) from None
    if as_json:
        out = {"incident": incident, "audience": audience, "sha256": action.sha256, "recorded": True,
               "deliveries": [{"channel": d.channel, "ok": d.ok, "targets": d.targets, "error": d.error}
                              for d in deliveries]}  # fmt: skip
        click.echo(json.dumps(out, indent=2))
    else:
        for d in deliveries:
            click.echo(clean(str(d), 400))
        if not deliveries:
            why = "--no-send" if not send else f"no channel for {audience} in [notify.audiences]"
            click.echo(f"not sent ({why}): the text follows, to send by other means")
            click.echo(f"{subject}\n\n{body}")
        click.echo(f"recorded in the journal: stakeholder update of {incident} to {audience}")
    if any(not d.ok for d in deliveries):
        sys.exit(1)
