"""User identifiers masked by default (docs/privacy.md): the masker against a table of
identifiers and of things that are not; every display path of a seeded journal; the
Markdown reports and the JSON/CSV exports; revealing one entry (a reason, one audit.reveal,
that screen only); ``--unmasked`` exports (audited)."""

from __future__ import annotations

import json
import timeit
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.widgets import Input, Select

from app.console import WarRoom
from data.engine.models import EventError, validate_event
from data.incidents import queries as incident_queries
from data.privacy.mask import kinds, mask, mask_value
from data.privacy.text import clean, unmasked
from tests._console_helpers import (
    SIZE,
    journal_lines,
    log_text,
    new_lines,
    opened,
    scoped,
    screen_text,
    seed,
    settings_for,
    settle,
    wait_for,
)
from tests.helpers import HOSTILE, HOSTILE_IDS, TEN_KB_LINE

# --- the masker ------------------------------------------------------------------------

IDENTIFIERS = [
    # (text, masked, kinds)
    ("j@x.com", "j***@***.com", ["email"]),
    ("mail jane.doe+tips@example.co.uk now", "mail j***@***.uk now", ["email"]),
    ("[red]j@x.com[/]", "[red]j***@***.com[/]", ["email"]),
    ("联系jane@example.com谢谢", "联系j***@***.com谢谢", ["email"]),
    ("مرحبا jane@example.com شكرا", "مرحبا j***@***.com شكرا", ["email"]),
    ("\u202ejane@example.com", "\u202ej***@***.com", ["email"]),
    ("reported by @abuser_99.", "reported by @a***.", ["handle"]),
    ("@a", "@a***", ["handle"]),
    ("[bold]@someone[/]", "[bold]@s***[/]", ["handle"]),
    ("from 203.0.113.7", "from 203.0.113.***", ["ip"]),
    ("ip:203.0.113.7.", "ip:203.0.113.***.", ["ip"]),
    ("203.0.113.0/24", "203.0.113.***/24", ["ip"]),
    ("2001:db8::1", "2001:db8:***", ["ip"]),
    ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:443", "[2001:db8:***]:443", ["ip"]),
    ("::ffff:192.0.2.1", "::ffff:192.0.2.***", ["ip"]),
    ("fe80::1%eth0", "fe80:0:***%eth0", ["ip"]),
    ("dead::beef", "dead:0:***", ["ip"]),
    ("+44 20 7946 0958", "+44 ** **** **58", ["phone"]),
    ("+61 412 345 678", "+61 *** *** *78", ["phone"]),
    ("+1 (555) 123-4567", "+1 (***) ***-**67", ["phone"]),
    ("(555) 123-4567", "(***) ***-**67", ["phone"]),
    ("call 555-123-4567.", "call ***-***-**67.", ["phone"]),
    ("+441234567890", "+**********90", ["phone"]),
    ("+33 1 23 45 67 89", "+33 * ** ** ** 89", ["phone"]),
    (
        "Hash match on uploaded media, account 66685",
        "Hash match on uploaded media, account 6***",
        ["account"],
    ),
    ("acct:66685", "acct:6***", ["account"]),
    ("uid:u-77", "uid:u***", ["account"]),
    ("user id 123", "user id 1***", ["account"]),
    ("Account ID: 99", "Account ID: 9***", ["account"]),
    ("account #4242", "account #4***", ["account"]),
    ("user_id=abc123", "user_id=a***", ["account"]),
    (
        "j@x.com, @bob, 203.0.113.9, +44 20 7946 0958, account 1234",
        "j***@***.com, @b***, 203.0.113.***, +44 ** **** **58, account 1***",
        ["email", "handle", "phone", "ip", "account"],
    ),
]

NOT_IDENTIFIERS = [
    "03:00:00Z",
    "2026-11-22T03:00:00.123Z",
    "2026-11-22T03:00:00+05:30",
    "due 09:00–17:00, 1:2:3",
    "version 1.2.3",
    "v1.2.3.4",
    "INC-0101",
    "S1 for 3h05m (+3h05m)",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "01JDQ8K9Z3X4Y5W6V7T8S9R0QP",
    "amara: Called the officer back",
    "handoff h-20261122-0300 by demo-ic",
    "[@click=app.quit]x[/]",
    "@03:00",
    "std::vector and ::",
    "account holder notified",
    "discount 50, 12 345 678 reports",
    "2026-11-22",
    "jane@localhost",
    "00:1a:2b:3c:4d:5e",
]


@pytest.mark.parametrize(("text", "masked", "found"), IDENTIFIERS, ids=[t[:30] for t, _, _ in IDENTIFIERS])
def test_identifiers_are_masked(text: str, masked: str, found: list[str]) -> None:
    assert mask(text) == masked
    assert kinds(text) == found
    assert mask(masked) == masked  # masking is idempotent


@pytest.mark.parametrize("text", NOT_IDENTIFIERS)
def test_what_is_not_an_identifier_is_left_alone(text: str) -> None:
    assert mask(text) == text
    assert kinds(text) == []


@pytest.mark.parametrize("h", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_strings_are_left_alone_and_identifiers_inside_them_masked(h: str) -> None:
    assert mask(h) == h
    text = clean(f"{h} jane@example.com {h}")
    assert "jane@" not in text and "j***@***.com" in text


def test_clean_masks_unless_revealed() -> None:
    title = "Report from jane@example.com at 203.0.113.7"
    assert clean(title) == "Report from j***@***.com at 203.0.113.***"
    assert clean(title, reveal=True) == title
    with unmasked():
        assert clean(title) == title
        assert clean(title, reveal=False) != title
    assert clean(title) != title
    # the cut comes after the mask: no part of an identifier survives a limit
    assert clean("x jane.doe@example.com", 12) == "x j***@***.…"


def test_mask_value_masks_strings_deep() -> None:
    value = {"title": "a@b.co", "data": {"notes": ["@bob", 3, None]}, "n": 1}
    assert mask_value(value) == {"title": "a***@***.co", "data": {"notes": ["@b***", 3, None]}, "n": 1}


def test_masking_is_cheap() -> None:
    """Not a timed assertion (style.md): a bound loose enough for a slow CI machine, to
    catch a pattern gone quadratic. bench figures: docs/privacy.md."""
    n = 20
    per_line = timeit.timeit(lambda: mask(TEN_KB_LINE), number=n) / n
    busy = ("Called back at 03:00:00Z, INC-0101 S1 3h05m v1.2.3 j@x.com ") * 170
    per_busy = timeit.timeit(lambda: mask(busy), number=n) / n
    assert per_line < 0.05 and per_busy < 0.2


# --- the events ------------------------------------------------------------------------


def _ev(etype: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"v": 1, "id": "a1", "ts": "2026-11-01T09:00:00Z", "actor": "amara", "type": etype, "data": data,
            "prev": None}  # fmt: skip


def test_audit_events_validate() -> None:
    ok = validate_event(
        _ev("audit.reveal", {"incident": "INC-1", "entry": "e1", "reason": "LE request", "kinds": ["email"]})
    )
    assert ok.known and ok.incident is None
    validate_event(
        _ev("audit.reveal", {"incident": "INC-1", "fields": ["title"], "reason": "r", "kinds": ["ip"]})
    )
    validate_event(_ev("audit.unmasked_export", {"kind": "timeline", "format": "csv"}))
    for bad in (
        {"incident": "INC-1", "reason": "r", "kinds": ["email"]},  # no target
        {"incident": "INC-1", "entry": "e1", "fields": ["title"], "reason": "r", "kinds": ["email"]},
        {"incident": "INC-1", "entry": "e1", "reason": "  ", "kinds": ["email"]},
        {"incident": "INC-1", "entry": "e1", "reason": "r", "kinds": []},
        {"incident": "INC-1", "entry": "e1", "reason": "r", "kinds": ["name"]},
        {"entry": "e1", "reason": "r", "kinds": ["email"]},
    ):
        with pytest.raises(EventError):
            validate_event(_ev("audit.reveal", bad))


# --- a seeded war room full of identifiers -------------------------------------------------

INC = "INC-PII"
EMAIL, PHONE, IP4, IP6 = "jane.doe+tips@example.co.uk", "+44 20 7946 0958", "203.0.113.77", "2001:db8::1"
HANDLE, ACCOUNT = "@abuser_99", "account 66685"
#: what must never be seen while masked (the parts a mask hides)
SECRETS = ("jane.doe", "example.co", "7946", "0958", "203.0.113.77", "2001:db8::1", "abuser_99", "66685")


def _seen(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def pii_events() -> list[dict[str, Any]]:
    return [
        opened(
            INC,
            title=f"Hash match, {ACCOUNT}, mail {EMAIL}",
            summary=f"Seen from {IP4} and {IP6}; phone {PHONE}",
            severity=1,
            regions=["UK"],
        ),
        scoped("incident.role_set", INC, role="commander", person="ic-test"),
        scoped("incident.note", INC, text=f"User {HANDLE} messaged from {IP4}", pinned=True),
        scoped(
            "incident.action", INC, kind="account_restricted", text=f"Restricted {ACCOUNT}", ref="NCMEC-1"
        ),
        scoped(
            "checklist.added",
            INC,
            item="verify",
            text=f"Verify {EMAIL} with the requester",
            team="legal",
            due="2026-11-01T12:00:00Z",
        ),
        scoped("checklist.added", INC, item="call", text=f"Call {PHONE} back", team="emergency_response"),
        scoped("checklist.set", INC, item="call", state="blocked", note=f"No answer on {PHONE}"),
    ]


async def _started(pilot: Any, app: WarRoom) -> Any:
    from tests.test_actions import select_incident, started

    main = await started(pilot, app, [INC])
    await select_incident(pilot, main, INC)
    await pilot.pause()
    return main


async def test_no_identifier_on_any_screen(tmp_path: Path) -> None:
    from screens.handoff import HandoffScreen
    from screens.incident import IncidentScreen
    from screens.postmortem import PostmortemScreen
    from widgets.timeline import Timeline

    settings = settings_for(tmp_path)
    await seed(settings, pii_events())
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _started(pilot, app)
        assert "account 6***" in screen_text(app)
        assert _seen(screen_text(app)) == []
        assert "j***@***.uk" in log_text(main.query_one(Timeline)) or "@a***" in log_text(
            main.query_one(Timeline)
        )
        assert _seen(log_text(main.query_one(Timeline))) == []
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.row is not None,
                       what="the incident screen")  # fmt: skip
        await settle(pilot)
        assert _seen(screen_text(app)) == [], screen_text(app)
        assert "203.0.113.***" in screen_text(app)
        assert _seen(log_text(app.screen.query_one(Timeline))) == []
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.pm is not None,
                       what="the post-mortem screen")  # fmt: skip
        await settle(pilot)
        assert _seen(screen_text(app)) == [], screen_text(app)
        await pilot.press("escape")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, what="back to the war room")
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HandoffScreen) and app.screen.report is not None,
                       what="the handoff screen")  # fmt: skip
        await settle(pilot)
        assert _seen(screen_text(app)) == [], screen_text(app)
        # toasts: every notification shown in the run
        app.notify(clean(f"Clock: {EMAIL} is at risk"), markup=False)
        assert all(_seen(n.message) == [] for n in app.told)


async def test_reveal_writes_one_audit_event_and_lasts_for_that_screen(tmp_path: Path) -> None:
    from screens.incident import IncidentScreen
    from screens.reveal import FIELDS_TARGET, RevealDialog
    from widgets.timeline import Timeline

    settings = settings_for(tmp_path)
    await seed(settings, pii_events())
    note_id = next(line["id"] for line in journal_lines(settings.journal) if line["type"] == "incident.note")
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _started(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.row is not None,
                       what="the incident screen")  # fmt: skip
        incident_screen = app.screen
        await settle(pilot)
        before = len(journal_lines(settings.journal))
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealDialog), what="the reveal dialog")
        dialog = app.screen
        await pilot.pause()
        assert _seen(screen_text(app)) == [], "the dialog shows the entries masked"
        assert FIELDS_TARGET in dialog.targets and note_id in dialog.targets
        dialog.query_one("#target", Select).value = note_id
        # no reason: refused, nothing written
        dialog.query_one("#reason", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(dialog.query(".error.shown")), what="the refusal")
        await settle(pilot)
        assert app.screen is dialog and len(journal_lines(settings.journal)) == before
        dialog.query_one("#reason", Input).value = "LE request 4411: confirm the user"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is incident_screen, what="the dialog to close")
        lines = new_lines(settings.journal, before)
        assert [line["type"] for line in lines] == ["audit.reveal"]
        audit = lines[0]
        assert audit["actor"] == "ic-test" and "incident" not in audit
        assert audit["data"] == {"incident": INC, "entry": note_id, "reason": "LE request 4411: confirm the user",
                                 "kinds": ["handle", "ip"]}  # fmt: skip
        raw = json.dumps(audit["data"])
        assert _seen(raw) == [] and "abuser" not in raw
        timeline = incident_screen.query_one(Timeline)
        await wait_for(pilot, lambda: "abuser_99" in log_text(timeline), what="the note unmasked")
        text = log_text(timeline)
        assert f"REVEALED User {HANDLE} messaged from {IP4}" in text
        assert "66685" not in text, "only that entry is revealed"
        # the fields: title and summary
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealDialog), what="the reveal dialog")
        dialog = app.screen
        await pilot.pause()
        dialog.query_one("#target", Select).value = FIELDS_TARGET
        dialog.query_one("#reason", Input).value = "case review"
        dialog.query_one("#reason", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is incident_screen and EMAIL in screen_text(app),
                       what="the title unmasked")  # fmt: skip
        second = new_lines(settings.journal, before + 1)
        assert [line["data"].get("fields") for line in second] == [["title", "summary"]]
        assert second[0]["data"]["kinds"] == ["email", "phone", "ip", "account"]
        # the store projects them
        audits = await incident_queries.audits(app.store, INC)
        assert [(a.type, a.entry, a.fields) for a in audits] == [
            ("audit.reveal", note_id, None),
            ("audit.reveal", None, ("title", "summary")),
        ]
        # leaving the screen forgets it; the main screen never showed it
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, what="back to the war room")
        await settle(pilot)
        assert _seen(screen_text(app)) == []
        assert _seen(log_text(main.query_one(Timeline))) == []
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.row is not None,
                       what="the incident screen again")  # fmt: skip
        await settle(pilot)
        assert _seen(screen_text(app)) == []
        assert _seen(log_text(app.screen.query_one(Timeline))) == []


async def test_main_screen_reveal_is_forgotten_on_selecting_another_incident(tmp_path: Path) -> None:
    from screens.reveal import RevealDialog
    from tests.test_actions import select_incident, started
    from widgets.timeline import Timeline

    settings = settings_for(tmp_path)
    await seed(settings, [*pii_events(), opened("INC-OTHER", title="Another one")])
    note_id = next(line["id"] for line in journal_lines(settings.journal) if line["type"] == "incident.note")
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app)
        await wait_for(pilot, lambda: len(main.shown) == 2, what="two incidents")
        await select_incident(pilot, main, INC)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealDialog), what="the reveal dialog")
        dialog = app.screen
        await pilot.pause()
        assert only_entries(dialog)
        dialog.query_one("#target", Select).value = note_id
        dialog.query_one("#reason", Input).value = "triage"
        dialog.query_one("#reason", Input).focus()
        await pilot.press("enter")
        timeline = main.query_one(Timeline)
        await wait_for(
            pilot, lambda: app.screen is main and "abuser_99" in log_text(timeline), what="revealed"
        )
        await select_incident(pilot, main, "INC-OTHER")
        await select_incident(pilot, main, INC)
        await settle(pilot)
        assert _seen(log_text(timeline)) == []


def only_entries(dialog: Any) -> bool:
    """The war room offers timeline entries only (the fields: the incident screen)."""
    from screens.reveal import FIELDS_TARGET

    return FIELDS_TARGET not in dialog.targets and len(dialog.targets) >= 3


# --- reports and exports -------------------------------------------------------------------


def _cli(settings: Any, *args: str) -> Any:
    from app.cli import main

    result = CliRunner().invoke(
        main, ["--journal", str(settings.journal), "--db", str(settings.db), "--actor", "ic-test", *args]
    )
    assert result.exit_code == 0, result.output
    return result


async def test_reports_and_exports_are_masked_unless_unmasked_which_is_audited(tmp_path: Path) -> None:
    import asyncio

    settings = settings_for(tmp_path)
    await seed(settings, pii_events())
    before = len(journal_lines(settings.journal))

    def run(*args: str) -> str:  # in a thread: the command runs its own event loop
        return str(_cli(settings, *args).output)

    outputs = {}
    for args in (
        ("export", "incidents", "--format", "json"),
        ("export", "incidents", "--format", "csv"),
        ("export", "timeline", "--format", "json"),
        ("export", "timeline", "--format", "csv"),
        ("export", "checklist", "--format", "csv"),
        ("handoff", "--region", "all"),
        ("handoff", "--region", "all", "--format", "json"),
        ("postmortem", INC),
        ("report", "trends", "--format", "json"),
    ):
        outputs[args] = out = await asyncio.to_thread(run, *args)
        assert _seen(out) == [], (args, _seen(out))
    assert "j***@***.uk" in outputs[("export", "incidents", "--format", "json")]
    assert (
        "account 6\\*\\*\\*" in outputs[("postmortem", INC)] or "account 6***" in outputs[("postmortem", INC)]
    )
    assert len(journal_lines(settings.journal)) == before, "a masked export writes nothing"

    for args, kind, fmt in (
        (("export", "timeline", "--format", "csv", "--incident", INC, "--unmasked"), "timeline", "csv"),
        (("handoff", "--region", "all", "--unmasked"), "handoff", "md"),
        (("postmortem", INC, "--unmasked"), "postmortem", "md"),
    ):
        n = len(journal_lines(settings.journal))
        out = await asyncio.to_thread(run, *args)
        assert "66685" in out, args
        lines = new_lines(settings.journal, n)
        assert [line["type"] for line in lines] == ["audit.unmasked_export"], args
        assert lines[0]["actor"] == "ic-test"
        assert lines[0]["data"]["kind"] == kind and lines[0]["data"]["format"] == fmt
        assert _seen(json.dumps(lines[0]["data"])) == []
    out = await asyncio.to_thread(run, "export", "incidents", "--format", "json", "--unmasked")
    assert EMAIL in out and PHONE in out


async def test_audit_events_are_projected_and_bad_ones_quarantined(tmp_path: Path) -> None:
    from data.engine.journal import FileJournal
    from data.engine.store import Store
    from tests.helpers import EventFactory

    ev = EventFactory()
    lines = [
        ev.opened("INC-1"),
        ev(
            "audit.reveal",
            {"incident": "INC-1", "entry": "ev-00001", "reason": "check", "kinds": ["account"]},
        ),
        ev("audit.unmasked_export", {"kind": "timeline", "format": "csv", "incident": "INC-1"}),
        ev("audit.reveal", {"incident": "INC-1", "entry": "ev-00001", "kinds": ["account"]}),  # no reason
    ]
    journal = FileJournal(tmp_path / "j.jsonl")
    await journal.append(lines)
    async with await Store.open(tmp_path / "s.db") as store:
        await store.sync(journal)
        audits = await incident_queries.audits(store)
        assert [(a.type, a.actor, a.incident, a.kinds, a.kind) for a in audits] == [
            ("audit.reveal", "tester", "INC-1", ("account",), None),
            ("audit.unmasked_export", "tester", "INC-1", None, "timeline"),
        ]
        assert [q.line for q in await store.quarantine()] == [4]
        digest = await store.digest()
    async with await Store.open(tmp_path / "s2.db") as other:  # the digest covers the audits
        await other.sync(journal)
        assert await other.digest() == digest
