"""``warroom responses``: written responses drafted from templates, reviewed by a second
person holding the legal role, marked sent; ``warroom disclosures record``: the ledger
(docs/disclosures.md). ``warroom report disclosures`` is in app/cli_report.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from app.cli_base import EXIT_USAGE, Failure, _run, common, main, write_drafts

if TYPE_CHECKING:
    from data.config import Settings
    from data.engine.models import Draft

AGENCY_TYPES = ("law_enforcement", "regulator", "government", "court", "other")
CATEGORIES = ("subscriber", "ip_logs", "content", "location", "other")


def write(settings: Settings, drafts: list[Draft], what: str) -> list[str]:
    """Append ``drafts`` as one batch (app/cli_base.py ``write_drafts``); the ids written."""
    return write_drafts(settings, drafts, what, check="warroom responses list")


async def _responses(settings: Settings, incident: str | None) -> tuple[Any, ...]:
    from data.disclosures.queries import responses
    from data.engine.store import Store

    async with await Store.open(settings.db) as store:
        await store.sync(settings.open_journal())
        return await responses(store, incident)


def _one(settings: Settings, incident: str, response: str) -> Any:
    from data.privacy.text import clean

    found = [r for r in _run(_responses(settings, incident)) if r.response == response]
    if not found:
        raise Failure(
            f"no response {clean(response, 32)!r} of {clean(incident, 32)!r} in the journal", EXIT_USAGE
        )
    return found[0]


@main.group()
def responses() -> None:
    """Written responses to agencies: list, draft, review, send (docs/disclosures.md)."""


@responses.command("list")
@click.argument("incident", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per response.")
@common
def list_(settings: Settings, incident: str | None, as_json: bool) -> None:
    """The responses (of INCIDENT) and where each stands; identifiers masked."""
    from data.disclosures.ledger import status
    from data.privacy.text import clean, json_safe_dumps

    rows = _run(_responses(settings, incident))
    for r in rows:
        if as_json:
            click.echo(json_safe_dumps({
                "incident": r.incident, "response": r.response, "template": r.template,
                "agency": clean(r.agency), "agency_type": r.agency_type, "country": r.country,
                "channel": r.channel, "status": status(r), "drafted_by": r.drafted_by, "drafts": r.drafts,
                "reviewed_by": r.reviewed_by, "verdict": r.verdict, "sent_at": r.sent_at,
                "sha256": r.sent_sha256,
            }))  # fmt: skip
        else:
            click.echo(
                f"{r.incident}  {r.response}  {status(r):<17} {r.template}  to {clean(r.agency, 60)} "
                f"[{r.agency_type}, {r.country}]  drafted by {clean(r.drafted_by, 32)}"
            )


@responses.command()
@click.argument("incident")
@click.option("--template", "template_id", required=True, help="The template (warroom responses templates).")
@click.option("--agency", required=True, help="The recipient agency.")
@click.option("--country", required=True, help="The agency's country (ISO 3166 alpha-2, e.g. US).")
@click.option("--agency-type", type=click.Choice(AGENCY_TYPES), help="Default: the template's.")
@click.option("--channel", help="How it will be sent (default: the template's, e.g. email).")
@click.option("--ref", help="The reference of the request (default: the incident's latest action's ref).")
@click.option("--response", "response_id", help="Redraft this response (default: a new one, r1, r2, ...).")
@click.option("--text-file", type=click.File("r", encoding="utf-8"),
              help="The final text from this file ('-': standard input) instead of the filled template.")  # fmt: skip
@common
def draft(settings: Settings, incident: str, template_id: str, agency: str, country: str,
          agency_type: str | None, channel: str | None, ref: str | None, response_id: str | None,
          text_file: Any) -> None:  # fmt: skip
    """Draft a response to INCIDENT from a template (identifiers masked in what is filled in);
    prints its id and text."""
    from data.commands import now_ts
    from data.disclosures.ledger import next_response_id
    from data.disclosures.queries import fill_values
    from data.disclosures.templates import fill, load_templates
    from data.engine.models import Draft, ResponseDrafted
    from data.engine.store import Store
    from data.privacy.text import clean

    found = load_templates()
    for err in found.errors:
        click.echo(f"warroom: template refused: {err}", err=True)
    template = found.get(template_id)
    if template is None:
        raise Failure(
            f"no template {clean(template_id, 32)!r} (have: {', '.join(found.templates)})", EXIT_USAGE
        )

    async def values() -> tuple[dict[str, str] | None, list[str]]:
        async with await Store.open(settings.db) as store:
            await store.sync(settings.open_journal())
            from data.disclosures.queries import responses as rs

            taken = [r.response for r in await rs(store, incident)]
            now = now_ts()
            return await fill_values(store, incident, agency=agency, ref=ref, responder=settings.actor,
                                     now=now), taken  # fmt: skip

    filled, taken = _run(values())
    if filled is None:
        raise Failure(f"no incident {clean(incident, 64)!r} in the journal", EXIT_USAGE)
    text = text_file.read() if text_file is not None else fill(template, filled)
    rid = response_id or next_response_id(taken)
    try:
        data = ResponseDrafted(
            response=rid, template=template.id, agency=agency, agency_type=agency_type or template.agency_type,  # type: ignore[arg-type]
            country=country, channel=channel or template.channel, text=text,
        )  # fmt: skip
    except ValueError as exc:
        raise Failure(f"the draft is refused: {exc}", EXIT_USAGE) from None
    write(settings, [Draft(data, incident=incident)], f"draft {rid}")
    click.echo(rid)
    click.echo(text, err=True)


@responses.command()
@click.argument("incident")
@click.argument("response")
@click.option("--approve", "verdict", flag_value="approved", help="Approve the latest draft.")
@click.option("--request-changes", "verdict", flag_value="changes_requested", help="Ask for changes.")
@click.option("--note", help="What to change, or a remark.")
@common
def review(settings: Settings, incident: str, response: str, verdict: str | None, note: str | None) -> None:
    """Review the latest draft of RESPONSE (you, the actor, are the reviewer: not its drafter,
    and holding the incident's legal role)."""
    from data.engine.models import Draft, EventError, ResponseReviewed

    if verdict is None:
        raise Failure("give --approve or --request-changes", EXIT_USAGE)
    values: dict[str, Any] = {"response": response, "reviewer": settings.actor, "verdict": verdict}
    if note:
        values["note"] = note
    try:
        d = Draft.of(ResponseReviewed, values, incident=incident)
    except EventError as exc:
        raise Failure(f"refused: {exc}", EXIT_USAGE) from None
    write(settings, [d], f"review of {response}")
    click.echo(f"{response}: {verdict.replace('_', ' ')}")


@responses.command()
@click.argument("incident")
@click.argument("response")
@click.option("--channel", help="How it was sent (default: the draft's).")
@click.option("--at", help="When it was sent (RFC 3339; default: now).")
@common
def send(settings: Settings, incident: str, response: str, channel: str | None, at: str | None) -> None:
    """Mark RESPONSE sent: records the sha256 of its approved latest draft's text."""
    from data.disclosures.ledger import sha256_text
    from data.engine.models import Draft, ResponseSent

    r = _one(settings, incident, response)
    digest = sha256_text(r.text)
    members: dict[str, Any] = {"at": at} if at else {}
    try:
        data = ResponseSent(response=response, sha256=digest, channel=channel or r.channel, **members)
    except ValueError as exc:
        raise Failure(f"refused: {exc}", EXIT_USAGE) from None
    write(settings, [Draft(data, incident=incident)], f"sending of {response}")
    click.echo(f"{response}: sent, sha256 {digest}")


@main.group()
def disclosures() -> None:
    """The disclosure ledger (docs/disclosures.md); counts: warroom report disclosures."""


@disclosures.command()
@click.argument("incident")
@click.option("--category", "categories", multiple=True, required=True, type=click.Choice(CATEGORIES),
              help="A category of user data disclosed (repeat for several).")  # fmt: skip
@click.option("--account", required=True, help="The account the data is about (masked in every display).")
@click.option("--agency", required=True)
@click.option("--agency-type", required=True, type=click.Choice(AGENCY_TYPES))
@click.option("--country", required=True, help="ISO 3166 alpha-2.")
@click.option("--basis", required=True, help="The legal basis, e.g. 18 U.S.C. 2702(c)(4).")
@click.option("--approved-by", "approved_by", multiple=True, required=True, help="Who approved (repeat).")
@click.option("--response", help="The response it went with.")
@common
def record(settings: Settings, incident: str, categories: tuple[str, ...], account: str, agency: str,
           agency_type: str, country: str, basis: str, approved_by: tuple[str, ...], response: str | None) -> None:  # fmt: skip
    """Record one disclosure of user data about INCIDENT in the ledger."""
    from data.engine.models import DisclosureRecorded, Draft, EventError

    values: dict[str, Any] = {
        "categories": list(categories), "account": account, "agency": agency, "agency_type": agency_type,
        "country": country, "basis": basis, "approved_by": list(approved_by),
    }  # fmt: skip
    if response:
        values["response"] = response
    try:
        d = Draft.of(DisclosureRecorded, values, incident=incident)
    except EventError as exc:
        raise Failure(f"refused: {exc}", EXIT_USAGE) from None
    [eid] = write(settings, [d], "disclosure")
    click.echo(eid)
