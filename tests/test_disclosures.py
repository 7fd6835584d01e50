"""Written responses and the disclosure ledger (docs/disclosures.md): the review rules in
the writer and the reader, the templates and their errors, masking of what is filled in,
the transparency report's counts, the command line, and the console's responses screen."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from data.commands import AppendRefused
from data.disclosures import queries
from data.disclosures.ledger import counts, masked_account, sha256_text
from data.disclosures.templates import fill, load_templates
from data.engine.models import parse_rfc3339
from tests._console_helpers import opened, scoped, seed, settings_for
from tests.helpers import EventFactory, append_events, cli_env, run_cli, synced_store

INC = "INC-1"
TEXT = "We confirm the preservation of the records."
DRAFT = {"response": "r1", "template": "preservation", "agency": "Springfield PD",
         "agency_type": "law_enforcement", "country": "US", "channel": "email", "text": TEXT}  # fmt: skip


def drafted(text: str = TEXT, **over: Any) -> dict[str, Any]:
    return scoped("response.drafted", INC, **{**DRAFT, "text": text, **over})


def reviewed(reviewer: str, verdict: str = "approved") -> dict[str, Any]:
    return {
        **scoped("response.reviewed", INC, response="r1", reviewer=reviewer, verdict=verdict),
        "actor": reviewer,
    }


def sent(text: str = TEXT) -> dict[str, Any]:
    return scoped("response.sent", INC, response="r1", sha256=sha256_text(text), channel="email")


async def write(settings: Any, events: list[dict[str, Any]], actor: str) -> None:
    """Each event as its own batch, by its ``actor`` member if it has one, else ``actor``."""
    for e in events:
        await seed(settings, [{k: v for k, v in e.items() if k != "actor"}], e.get("actor", actor))


async def refused(settings: Any, event: dict[str, Any], actor: str) -> list[Any]:
    with pytest.raises(AppendRefused) as exc:
        await seed(settings, [event], actor)
    return exc.value.problems


# --- the review rules: the writer -------------------------------------------------------------


async def test_the_drafter_cannot_review_and_the_reviewer_must_hold_the_legal_role(tmp_path: Path) -> None:
    s = settings_for(tmp_path)
    await write(
        s, [opened(INC), scoped("incident.role_set", INC, role="legal", person="ben"), drafted()], "amara"
    )
    [p] = await refused(s, reviewed("amara"), "amara")
    assert p.field == ("data", "reviewer") and "amara drafted this response" in p.message
    [p] = await refused(s, reviewed("carol"), "carol")
    assert (
        p.field == ("data", "reviewer")
        and "does not hold this incident's legal role (it is ben)" in p.message
    )
    # a review written by someone else than the reviewer it names
    [p] = await refused(s, {**reviewed("ben"), "actor": "carol"}, "carol")
    assert "written by its reviewer" in p.message
    await write(s, [reviewed("ben")], "ben")  # the legal role holder, not the drafter: accepted


async def test_a_response_is_not_sent_without_an_approving_review_of_its_latest_draft(tmp_path: Path) -> None:
    s = settings_for(tmp_path)
    await write(
        s, [opened(INC), scoped("incident.role_set", INC, role="legal", person="ben"), drafted()], "amara"
    )
    [p] = await refused(s, sent(), "amara")
    assert "no approving review" in p.message
    await write(s, [reviewed("ben", "changes_requested")], "ben")
    [p] = await refused(s, sent(), "amara")
    assert "no approving review" in p.message
    await write(s, [reviewed("ben"), drafted("A second draft.")], "amara")  # approved, then redrafted
    [p] = await refused(s, sent("A second draft."), "amara")
    assert "no approving review of its latest draft" in p.message
    await write(s, [reviewed("ben")], "ben")
    [p] = await refused(s, sent(TEXT), "amara")  # the hash of an older text
    assert p.field == ("data", "sha256")
    await write(s, [sent("A second draft.")], "amara")
    [p] = await refused(s, sent("A second draft."), "amara")
    assert "already sent" in p.message
    store, _ = await synced_store(s.journal, tmp_path / "check.db")
    try:
        [r] = await queries.responses(store, INC)
    finally:
        await store.close()
    assert (r.drafts, r.reviewed_by, r.approved, r.sent_by) == (2, "ben", True, "amara")
    assert r.sent_sha256 == hashlib.sha256(b"A second draft.").hexdigest()


# --- the review rules: the reader -------------------------------------------------------------


async def test_the_reader_quarantines_a_sending_without_an_approving_review(tmp_path: Path) -> None:
    """Lines written around the writer: a self-approval, or one by someone without the legal
    role, does not count, and the sending after it is quarantined; the drafted response stays."""
    f = EventFactory(actor="amara")
    digest = sha256_text(TEXT)

    def ev(etype: str, actor: str = "amara", **data: Any) -> dict[str, Any]:
        return f(etype, data, INC, actor=actor)

    lines = [
        f.opened(INC),  # 1
        f.role(INC, "legal", "ben"),  # 2
        ev("response.sent", response="r9", sha256=digest, channel="email"),  # 3: never drafted
        ev("response.drafted", **DRAFT),  # 4
        ev("response.sent", response="r1", sha256=digest, channel="email"),  # 5: no review
        ev("response.reviewed", response="r1", reviewer="amara", verdict="approved"),  # 6: the drafter's
        ev("response.sent", response="r1", sha256=digest, channel="email"),  # 7: still no review
        ev("response.reviewed", "carol", response="r1", reviewer="carol", verdict="approved"),  # 8: not legal
        ev("response.sent", response="r1", sha256=digest, channel="email"),  # 9
        ev("response.reviewed", "ben", response="r1", reviewer="ben", verdict="approved"),  # 10
        ev("response.sent", response="r1", sha256=digest, channel="fax"),  # 11: applied
    ]
    append_events(tmp_path / "journal.jsonl", lines)
    store, _ = await synced_store(tmp_path / "journal.jsonl", tmp_path / "store.db")
    try:
        q = {row.line: row.reason for row in await store.quarantine()}
        [r] = await queries.responses(store, INC)
    finally:
        await store.close()
    assert set(q) == {3, 5, 7, 9}
    assert "never drafted" in q[3]
    assert all("sent without an approving review of its latest draft" in q[n] for n in (5, 7, 9))
    assert (r.reviewed_by, r.approved, r.sent_channel, r.sent_seq) == ("ben", True, "fax", 11)


# --- templates --------------------------------------------------------------------------------


def test_the_shipped_templates_load() -> None:
    found = load_templates(Path("/nonexistent"))
    assert found.errors == []
    assert {"emergency-disclosure", "preservation", "legal-process-redirect", "regulator-information",
            "government-question"} <= set(found.templates)  # fmt: skip
    assert found.templates["regulator-information"].agency_type == "regulator"


def test_a_bad_template_file_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "a-placeholder.toml").write_text(
        'id = "a-placeholder"\nversion = 1\ntitle = "T"\nagency_type = "court"\ntext = """\nDear {agency},\n'
        'your case {case_number}.\n"""\n'
    )
    (tmp_path / "b-key.toml").write_text(
        'id = "b-key"\nversion = 1\ntitle = "T"\nagency_type = "police"\ntext = "x"\n'
    )
    (tmp_path / "c-syntax.toml").write_text('id = "c-syntax"\nversion = 1\ntitle = "T\n')
    (tmp_path / "d-name.toml").write_text(
        'id = "other"\nversion = 1\ntitle = "T"\nagency_type = "court"\ntext = "x"\n'
    )
    (tmp_path / "preservation.toml").write_text(
        'id = "preservation"\nversion = 3\ntitle = "Ours"\nagency_type = "law_enforcement"\ntext = "Kept: {ref}"\n'
    )
    found = load_templates(tmp_path)
    errors = {e.path.name: (e.line, e.reason) for e in found.errors}
    assert (
        errors["a-placeholder.toml"][0] == 7
        and "unknown placeholder {case_number}" in errors["a-placeholder.toml"][1]
    )
    assert errors["b-key.toml"][0] == 4 and "agency_type" in errors["b-key.toml"][1]
    assert errors["c-syntax.toml"][0] == 3 and "TOML syntax error" in errors["c-syntax.toml"][1]
    assert errors["d-name.toml"][0] == 1 and "does not match the file name" in errors["d-name.toml"][1]
    assert "a-placeholder" not in found.templates and "other" not in found.templates
    ours = found.templates["preservation"]  # a user file replaces the shipped one of its id
    assert ours.version == "preservation:local@3" and ours.text == "Kept: {ref}"


def test_what_is_filled_in_is_masked_unless_revealed() -> None:
    template = load_templates(Path("/nonexistent")).templates["preservation"]
    values = {"incident": INC, "title": "Threat from jo@example.org", "ref": "account 66685", "agency": "PD",
              "opened_at": "2026-11-22T03:00:00Z", "now": "2026-11-22T04:00:00Z", "responder": "amara"}  # fmt: skip
    text = fill(template, values)
    assert "66685" not in text and "account 6***" in text and INC in text and "amara" in text
    assert "66685" in fill(template, values, reveal=True)
    assert masked_account("66685") == "6***"


# --- the report -------------------------------------------------------------------------------


def _row(
    ts: str, country: str, agency_type: str, basis: str, categories: tuple[str, ...], account: str
) -> Any:
    return queries.DisclosureRow(1, "e", INC, categories, account, "A", agency_type, country, basis, ("ben",), None,
                                 "amara", ts)  # fmt: skip


def test_the_reports_counts() -> None:
    rows = [
        _row("2026-10-31T23:00:00Z", "US", "law_enforcement", "2702(c)(4)", ("subscriber",), "1"),
        _row("2026-11-02T00:00:00Z", "US", "law_enforcement", "2702(c)(4)", ("subscriber", "ip_logs"), "1"),
        _row("2026-11-03T00:00:00Z", "GB", "regulator", "court order", ("content",), "2"),
        _row("2026-12-01T00:00:00Z", "DE", "court", "court order", ("location",), "3"),
    ]
    c = counts(rows, parse_rfc3339("2026-11-01T00:00:00Z"), parse_rfc3339("2026-12-01T00:00:00Z"))
    assert (c.total, c.accounts) == (2, 2)
    assert c.by["country"] == {"GB": 1, "US": 1}
    assert c.by["agency_type"] == {"law_enforcement": 1, "regulator": 1}
    assert c.by["basis"] == {"2702(c)(4)": 1, "court order": 1}
    assert c.by["category"] == {"content": 1, "ip_logs": 1, "subscriber": 1}
    assert c.by["period"] == {"2026-11": 2}
    assert counts(rows).by["period"] == {"2026-10": 1, "2026-11": 2, "2026-12": 1}


# --- the command line -------------------------------------------------------------------------


def test_draft_review_send_record_and_report_from_the_command_line(tmp_path: Path) -> None:
    journal, store = tmp_path / "journal.jsonl", tmp_path / "store.db"
    env = cli_env(tmp_path, journal, store, "amara")
    env["WARROOM_RESPONSES_DIR"] = str(tmp_path / "none")
    ben = {**env, "WARROOM_ACTOR": "ben"}

    def ok(args: list[str], e: dict[str, str] = env) -> str:
        done = run_cli(args, e)
        assert done.returncode == 0, done.stderr.decode()
        return str(done.stdout.decode())

    opening = {"title": "EDR: threat, account 66685", "category": "edr", "severity": 1, "source": "law_enforcement",
               "regions": ["US"]}  # fmt: skip
    ok(["append", "--raw", "--type", "incident.opened", "--incident", INC, "--data", json.dumps(opening)])
    ok(
        [
            "append",
            "--type",
            "incident.role_set",
            "--incident",
            INC,
            "--data",
            '{"role":"legal","person":"ben"}',
        ]
    )
    assert ok(["responses", "draft", INC, "--template", "emergency-disclosure", "--agency", "Springfield PD",
               "--country", "US", "--ref", "REQ-7"]).strip() == "r1"  # fmt: skip
    selfish = run_cli(["responses", "review", INC, "r1", "--approve"], env)
    assert selfish.returncode == 2 and b"amara drafted this response" in selfish.stderr
    early = run_cli(["responses", "send", INC, "r1"], env)
    assert early.returncode == 2 and b"no approving review" in early.stderr
    ok(["responses", "review", INC, "r1", "--approve", "--note", "Fine"], ben)
    assert "sent, sha256" in ok(["responses", "send", INC, "r1"])
    [listed] = [json.loads(line) for line in ok(["responses", "list", INC, "--json"]).splitlines()]
    assert listed["status"] == "sent" and listed["reviewed_by"] == "ben"
    ok(["disclosures", "record", INC, "--category", "subscriber", "--category", "ip_logs", "--account", "66685",
        "--agency", "Springfield PD", "--agency-type", "law_enforcement", "--country", "US",
        "--basis", "18 U.S.C. 2702(c)(4)", "--approved-by", "ben", "--response", "r1"])  # fmt: skip
    bad = run_cli(["disclosures", "record", INC, "--category", "content", "--account", "1", "--agency", "X",
                   "--agency-type", "court", "--country", "usa", "--basis", "b", "--approved-by", "ben"], env)  # fmt: skip
    assert bad.returncode == 2 and b"country" in bad.stderr
    report = json.loads(ok(["report", "disclosures", "--format", "json"]))
    assert report["disclosures"] == 1 and report["by_country"] == {"US": 1}
    assert report["by_category"] == {"ip_logs": 1, "subscriber": 1}
    csv = ok(["report", "disclosures", "--format", "csv", "--since", "2000-01-01", "--until", "2000-12-31"])
    assert csv.splitlines()[:2] == ["dimension,value,disclosures", "total,,0"]
    lines = [json.loads(line) for line in journal.read_bytes().splitlines()]
    [draft] = [e for e in lines if e["type"] == "response.drafted"]
    assert "REQ-7" in draft["data"]["text"] and "66685" not in draft["data"]["text"]  # the title, masked
    [sent_line] = [e for e in lines if e["type"] == "response.sent"]
    assert sent_line["data"]["sha256"] == sha256_text(draft["data"]["text"])


# --- the console ------------------------------------------------------------------------------


async def _open_responses(pilot: Any, app: Any) -> Any:
    from screens.responses import ResponsesScreen
    from tests._console_helpers import wait_for
    from tests.test_actions import select_incident, started

    main = await started(pilot, app, [INC])
    await select_incident(pilot, main, INC)
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(app.screen, ResponsesScreen) and app.screen.values is not None,
                   what="the responses screen")  # fmt: skip
    await pilot.pause()
    return app.screen


async def test_pilot_draft_then_review_by_a_second_person_then_sent(tmp_path: Path) -> None:
    """Amara drafts from a template in the console (the filled text edited in its TextArea),
    cannot review it herself, Ben (the legal role) approves it from his console, Amara marks
    it sent; the journal has each step and the final text's sha256."""
    from textual.widgets import Input, Select, Static, TextArea

    from app.console import WarRoom
    from screens.responses import DraftDialog, ReviewDialog, SendDialog
    from tests._console_helpers import SIZE, journal_lines, new_lines, wait_for

    amara = settings_for(tmp_path, "amara")
    ben = settings_for(tmp_path, "ben")
    ben = type(ben)(ben.journal, tmp_path / "ben.db", "ben")
    await seed(amara, [opened(INC, title="EDR: threat from account 66685"),
                       scoped("incident.role_set", INC, role="legal", person="ben"),
                       scoped("incident.action", INC, kind="note", text="Request received", ref="REQ-9")])  # fmt: skip

    app = WarRoom(amara)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_responses(pilot, app)
        before = len(journal_lines(amara.journal))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DraftDialog), what="the draft dialog")
        dialog = app.screen
        dialog.query_one("#agency", Input).value = "Springfield PD [@click=app.quit]x[/]"  # text, not markup
        dialog.query_one("#country", Input).value = "us"
        dialog.query_one("#template", Select).value = "preservation"  # refills the text
        area = dialog.query_one("#text", TextArea)
        await wait_for(pilot, lambda: "preservation request" in area.text and "Springfield PD" in area.text,
                       what="the text filled")  # fmt: skip
        assert "REQ-9" in area.text and "Springfield PD" in area.text and "66685" not in area.text
        area.text = area.text + "\nEdited by hand."
        final = area.text
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(journal_lines(amara.journal)) > before,
                       what="the draft written")  # fmt: skip
        (line,) = new_lines(amara.journal, before)
        assert (line["type"], line["actor"]) == ("response.drafted", "amara")
        assert line["data"]["text"] == final and line["data"]["country"] == "US"
        await wait_for(pilot, lambda: len(screen.rows) == 1, what="the draft shown")
        await pilot.pause()
        from tests._console_helpers import screen_text

        assert "To: Springfield PD [@click=app.quit]x[/]" in screen_text(app)

        # the drafter's own review is refused, in the form
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewDialog), what="the review dialog")
        dialog = app.screen
        await pilot.press("ctrl+s")
        error = dialog.query_one("#general-error", Static)
        await wait_for(pilot, lambda: "drafted this response" in str(error.render()), what="the refusal")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back")
        # not sent without a review
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SendDialog), what="the send dialog")
        dialog = app.screen
        await pilot.press("ctrl+s")
        error = dialog.query_one("#general-error", Static)
        await wait_for(pilot, lambda: "no approving review" in str(error.render()), what="the refusal")
        await pilot.press("escape")

    app = WarRoom(ben)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_responses(pilot, app)
        before = len(journal_lines(ben.journal))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewDialog), what="the review dialog")
        app.screen.query_one("#note", Input).value = "Fine to send"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(journal_lines(ben.journal)) > before,
                       what="the review written")  # fmt: skip
        (line,) = new_lines(ben.journal, before)
        assert line["type"] == "response.reviewed" and line["actor"] == "ben"
        assert line["data"] == {
            "response": "r1",
            "reviewer": "ben",
            "verdict": "approved",
            "note": "Fine to send",
        }

    app = WarRoom(amara)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_responses(pilot, app)
        await wait_for(pilot, lambda: screen.rows and screen.rows[0].approved, what="the approval shown")
        before = len(journal_lines(amara.journal))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SendDialog), what="the send dialog")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(journal_lines(amara.journal)) > before,
                       what="the sending written")  # fmt: skip
        (line,) = new_lines(amara.journal, before)
        assert line["type"] == "response.sent"
        assert line["data"]["sha256"] == hashlib.sha256(final.encode()).hexdigest()
        await wait_for(pilot, lambda: screen.rows[0].sent_at is not None, what="the sending shown")

        # the disclosure that went with it; its account is masked on screen
        from screens.responses import DisclosureDialog

        before = len(journal_lines(amara.journal))
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, DisclosureDialog), what="the disclosure dialog")
        dialog = app.screen
        for field, value in (("categories", "subscriber, ip_logs"), ("account", "66685"), ("agency", "Springfield PD"),
                             ("country", "us"), ("basis", "18 U.S.C. 2702(c)(4)"), ("approved-by", "ben, amara")):  # fmt: skip
            dialog.query_one(f"#{field}", Input).value = value
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and len(journal_lines(amara.journal)) > before,
                       what="the disclosure written")  # fmt: skip
        (line,) = new_lines(amara.journal, before)
        assert line["type"] == "disclosure.recorded" and line["data"]["response"] == "r1"
        assert line["data"]["categories"] == ["subscriber", "ip_logs"] and line["data"]["country"] == "US"
        await wait_for(pilot, lambda: len(screen.ledger) == 1, what="the ledger shown")
        await pilot.pause()
        shown = screen_text(app)
        assert "6***" in shown and "66685" not in shown
