"""``warroom postmortem INCIDENT``: an incident's post-mortem as a Markdown document (after a
sync): status, meeting clock, lifecycle metrics, the sections, action items and the
timeline with its pinned entries. Headless: imports no Textual. See docs/postmortem.md.
"""

from __future__ import annotations

from typing import Any

import click

from app.cli_base import (
    EXIT_USAGE,
    OUTPUT_HELP,
    RAW_TEXT_HELP,
    UNMASKED_HELP,
    Failure,
    _run,
    audit_unmasked,
    common,
    main,
    raw_text_if,
    unmasked_if,
    write_output,
)


@main.command()
@click.argument("incident")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md"]),
    default="md",
    show_default=True,
    help="Output format (Markdown).",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help=OUTPUT_HELP)
@click.option("--raw-text", is_flag=True, help=RAW_TEXT_HELP)
@click.option("--unmasked", is_flag=True, help=UNMASKED_HELP)
@common
def postmortem(
    settings: Any, incident: str, fmt: str, output: str | None, raw_text: bool, unmasked: bool
) -> None:
    """The post-mortem of INCIDENT as a Markdown document (sections, action items, the
    meeting clock, lifecycle metrics, the timeline with its pinned entries)."""
    from data.postmortem.report import PmPolicyError, pm_policy_of, postmortem_for, to_markdown
    from data.privacy.text import clean

    try:
        policy = pm_policy_of(settings.config)
    except PmPolicyError as exc:
        raise Failure(str(exc)) from None
    pm = _run(postmortem_for(settings, incident, policy))
    if pm is None:
        raise Failure(f"no incident {clean(incident, 64)!r} in the journal", EXIT_USAGE)
    if unmasked:
        audit_unmasked(settings, "postmortem", fmt, incident=pm.incident)
    with unmasked_if(unmasked), raw_text_if(raw_text, fmt):
        text = to_markdown(pm)
    write_output(text, output, "the post-mortem")
