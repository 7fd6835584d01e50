"""Stakeholder updates (data/comms/updates.py, ``warroom update``, the console's ``U``):
templates filled from the incident and masked, sent to real local servers (a JSON webhook,
an SMTP server), recorded with their extension members, the update clock restarted."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import app.cli  # noqa: F401  (registers the commands on the group)
from app.cli_base import main
from data.comms.updates import (
    AUDIENCES,
    State,
    UpdateError,
    fill,
    load_templates,
    summarise,
)
from data.engine.config import load_config
from data.engine.models import EventError, check_extension
from data.engine.store import Store
from data.incidents.views import parse_time
from data.procedures.clocks import Policy, update_clock
from tests._console_helpers import journal_lines, opened, scoped, seed, settings_for, wait_for
from tests._receivers import smtp, webhook

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _state(**over: Any) -> State:
    base: dict[str, Any] = dict(
        incident="INC-1", title="Extortion of alice@example.org", category="csea", severity=1,
        status="investigating", regions=("US", "UK"), commander="amara", since=None,
        changes=("Severity: S2 → S1", "2 notes"), steps=(("Preserve account 4242 for bob@example.com", NOW),),
        next_update=NOW + timedelta(minutes=20),
    )  # fmt: skip
    return State(**{**base, **over})


def test_every_audience_has_a_template_that_fills() -> None:
    templates = load_templates(Path("/nonexistent"))
    assert set(templates) == set(AUDIENCES)
    for t in templates.values():
        subject, body = fill(t, _state(), NOW)
        assert "INC-1" in subject and ("S1" in body or "severity 1" in body)
        assert "12:20Z" in body  # the next update time
        assert "- Severity: S2 → S1" in body and "- 2 notes" in body


def test_filled_text_is_masked_and_titles_only_where_the_audience_may_see_them() -> None:
    templates = load_templates(Path("/nonexistent"))
    _, execs = fill(templates["executives"], _state(), NOW)
    assert "Extortion of" in execs and "alice@example.org" not in execs and "bob@example.com" not in execs
    assert "Preserve account" in execs
    _, partners = fill(templates["partners"], _state(), NOW)
    assert "Extortion" not in partners and "Preserve" not in partners
    assert "1 open item (details withheld; the first due 02 Mar 12:00Z)" in partners


def test_changes_are_summarised_by_type_never_quoted() -> None:
    lines = summarise([
        ("incident.severity_set", {"severity": 1, "reason": "victim is a minor"}),
        ("incident.note", {"text": "graphic details here"}),
        ("incident.note", {"text": "more"}),
        ("incident.status_set", {"status": "contained", "reason": "x"}),
        ("incident.updated", {"title": "secret title"}),
        ("checklist.set", {"item": "a", "state": "done", "note": "n"}),
        ("incident.action", {"kind": "stakeholder_update", "text": "t"}),
        ("incident.action", {"kind": "account_locked", "text": "locked bob"}),
    ])  # fmt: skip
    assert lines == ("Severity: S1", "Status: contained", "Details updated: title", "2 notes",
                     "1 action recorded", "1 checklist item done")  # fmt: skip
    assert not any(w in " ".join(lines) for w in ("minor", "graphic", "secret", "bob"))


def test_a_user_file_replaces_an_audience_and_bad_ones_are_named(tmp_path: Path) -> None:
    f = tmp_path / "updates.toml"
    f.write_text('[legal]\nsubject = "L $incident"\nbody = "B $severity"\n')
    t = load_templates(f)["legal"]
    assert fill(t, _state(), NOW) == ("L INC-1", "B 1")
    for text, says in [
        ('[legal]\nsubject = "x"\nbody = "$secret"\n', "unknown placeholder $secret"),
        ('[bosses]\nsubject = "x"\nbody = "y"\n', "[bosses] is no audience"),
        ('[legal]\nsubject = "x"\n', "body must be text"),
        ('[legal]\nsubject = "x"\nbody = "5 $"\n', "write $$ for a dollar sign"),
    ]:
        f.write_text(text)
        with pytest.raises(UpdateError, match=r"updates\.toml") as exc:
            load_templates(f)
        assert says in str(exc.value)


def test_audiences_must_name_configured_channels(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text(
        '[notify.channels]\nmail = ["json://127.0.0.1:9/x"]\n[notify.audiences]\nlegal = ["slack"]\n'
    )
    problem = load_config(f).problem("notify")
    assert problem is not None and "audiences.legal names 'slack'" in problem and "channels: mail" in problem
    f.write_text('[notify.channels]\nmail = ["json://127.0.0.1:9/x"]\n[notify.audiences]\nboard = ["mail"]\n')
    assert "notify.audiences must map audiences" in (load_config(f).problem("notify") or "")
    f.write_text('[notify.channels]\nmail = ["json://127.0.0.1:9/x"]\n[notify.audiences]\nlegal = ["mail"]\n')
    assert load_config(f).notify.audiences == {"legal": ["mail"]}


def test_the_writer_checks_the_extension_members() -> None:
    good = {
        "kind": "stakeholder_update",
        "text": "t",
        "audience": "legal",
        "channels": ["mail"],
        "sha256": "a" * 64,
    }
    check_extension("incident.action", good)
    for bad in ({"audience": "board"}, {"sha256": "xyz"}, {"channels": ["Not A Name"]}, {"channels": "mail"}):
        with pytest.raises(EventError):
            check_extension("incident.action", {**good, **bad})


# --- the command line, to real servers --------------------------------------------------------


def _setup(tmp_path: Path, config: str, *events: dict[str, Any]) -> dict[str, str]:
    (tmp_path / "config.toml").write_text(config)
    settings = settings_for(tmp_path)
    asyncio.run(seed(settings, [opened("INC-1", severity=1, title="Leak of carol@example.net"), *events]))
    return {"WARROOM_CONFIG": str(tmp_path / "config.toml"), "WARROOM_JOURNAL": str(settings.journal),
            "WARROOM_DB": str(tmp_path / "cli.db"), "WARROOM_ACTOR": "amara", "HOME": str(tmp_path),
            "WARROOM_UPDATES_FILE": str(tmp_path / "none.toml")}  # fmt: skip


def _updates(tmp_path: Path) -> list[dict[str, Any]]:
    return [e for e in journal_lines(tmp_path / "journal.jsonl")
            if e["type"] == "incident.action" and e["data"]["kind"] == "stakeholder_update"]  # fmt: skip


def _last_update_at(tmp_path: Path) -> str | None:
    async def read() -> str | None:
        async with await Store.open(tmp_path / "check.db") as store:
            from data.engine.journal import FileJournal

            await store.sync(FileJournal(tmp_path / "journal.jsonl"))
            return (await store.incidents("INC-1"))[0].last_update_at

    return asyncio.run(read())


def test_update_is_sent_to_a_webhook_and_by_mail_then_recorded(tmp_path: Path) -> None:
    with webhook() as (hook, posted), smtp() as (mail, mailed):
        env = _setup(
            tmp_path,
            f'[notify.channels]\nhook = ["{hook}"]\nmail = ["{mail}"]\n[notify.audiences]\nexecutives = ["hook", "mail"]\n',
            scoped("incident.note", "INC-1", text="victim bob@example.com"),
            scoped("incident.severity_set", "INC-1", severity=2, reason="r"),
        )
        r = CliRunner().invoke(main, ["update", "--incident", "INC-1", "--audience", "executives"], env=env)
        assert r.exit_code == 0, r.output
        [post] = posted.all()
        [letter] = mailed.all()
    assert "sent to hook (1 target)" in r.output and "sent to mail (1 target)" in r.output
    body = post["json"]["message"]
    assert post["json"]["title"] == "[INC-1] S2 new: executive update"
    assert "Leak of" in body and "carol@example.net" not in body and "- Severity: S2" in body
    assert (
        "- 1 note" in body
        and "- Incident opened" in body
        and "bob@example.com" not in body
        and "victim" not in body
    )
    assert letter["subject"] == post["json"]["title"] and letter["body"].split() == body.split()
    [entry] = _updates(tmp_path)
    d = entry["data"]
    assert (d["audience"], d["channels"], d["sha256"]) == (
        "executives",
        ["hook", "mail"],
        hashlib.sha256(body.encode()).hexdigest(),
    )
    assert entry["actor"] == "amara" and "sent to hook, mail" in d["text"]
    assert _last_update_at(tmp_path) == entry["ts"]  # the cadence clock restarts from it


def test_update_from_a_text_file_and_a_failed_delivery(tmp_path: Path) -> None:
    text = tmp_path / "mine.txt"
    text.write_text("All contained; details at 14:00.\n")
    with webhook() as (hook, posted):
        posted.status = 500
        env = _setup(
            tmp_path, f'[notify.channels]\nhook = ["{hook}"]\n[notify.audiences]\nlegal = ["hook"]\n'
        )
        r = CliRunner().invoke(
            main,
            ["update", "--incident", "INC-1", "--audience", "legal", "--text-file", str(text), "--json"],
            env=env,
        )
        [post] = posted.all()
    assert r.exit_code == 1 and '"ok": false' in r.output
    assert post["json"]["message"] == "All contained; details at 14:00."
    [entry] = _updates(tmp_path)
    assert entry["data"]["channels"] == ["hook"] and "NOT sent to hook" in entry["data"]["text"]
    assert entry["data"]["sha256"] == hashlib.sha256(b"All contained; details at 14:00.").hexdigest()


def test_without_a_channel_the_update_is_recorded_and_printed(tmp_path: Path) -> None:
    env = _setup(tmp_path, "")
    r = CliRunner().invoke(
        main, ["update", "--incident", "INC-1", "--audience", "partners", "--template"], env=env
    )
    assert r.exit_code == 0, r.output
    assert "no channel for partners" in r.output and "Incident reference INC-1" in r.output
    [entry] = _updates(tmp_path)
    assert entry["data"]["channels"] == [] and entry["data"]["audience"] == "partners"


def test_preview_writes_nothing_and_an_unknown_incident_is_refused(tmp_path: Path) -> None:
    env = _setup(tmp_path, "")
    r = CliRunner().invoke(
        main, ["update", "--incident", "INC-1", "--audience", "legal", "--preview"], env=env
    )
    assert r.exit_code == 0 and "update for Legal" in r.output and not _updates(tmp_path)
    (tmp_path / "t.txt").write_text("x")
    args = [
        "update",
        "--incident",
        "INC-1",
        "--audience",
        "legal",
        "--template",
        "--text-file",
        str(tmp_path / "t.txt"),
    ]
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code == 2 and "give one" in r.output and not _updates(tmp_path)
    r = CliRunner().invoke(main, ["update", "--incident", "INC-9", "--audience", "legal"], env=env)
    assert r.exit_code == 2 and "no incident 'INC-9'" in r.output and not _updates(tmp_path)


def test_the_next_update_time_is_the_update_clock_after_this_one() -> None:
    t0 = NOW - timedelta(hours=3)
    clock = update_clock("INC-1", 1, t0, NOW, Policy())
    assert clock is not None and clock.due == NOW + timedelta(hours=1)
    assert parse_time("2026-03-02T12:00:00Z") == NOW


# --- the console: U ------------------------------------------------------------------------------


async def _console_with(tmp_path: Path, config: str) -> Any:
    from dataclasses import replace

    (tmp_path / "config.toml").write_text(config)
    settings = replace(settings_for(tmp_path), config=load_config(tmp_path / "config.toml"))
    await seed(settings, [
        opened("INC-1", severity=1, title="Leak of carol@example.net"),
        scoped("incident.note", "INC-1", text="victim bob@example.com"),
    ])  # fmt: skip
    return settings


async def _open_update(pilot: Any, app: Any) -> Any:
    from screens.updates import UpdateDialog
    from tests.test_actions import open_dialog, select_incident, started

    main = await started(pilot, app, ["INC-1"])
    await select_incident(pilot, main, "INC-1")
    dialog = await open_dialog(pilot, app, "U", UpdateDialog)
    await wait_for(pilot, lambda: dialog.query_one("#text").text != "", what="the text filled")
    return dialog


async def test_console_u_sends_to_the_audience_and_records_it(tmp_path: Path, monkeypatch: Any) -> None:
    from textual.widgets import Select, TextArea

    from app.console import WarRoom
    from tests._console_helpers import SIZE

    monkeypatch.setenv("WARROOM_UPDATES_FILE", str(tmp_path / "none.toml"))
    with webhook() as (hook, posted):
        settings = await _console_with(
            tmp_path, f'[notify.channels]\nhook = ["{hook}"]\n[notify.audiences]\nlegal = ["hook"]\n'
        )
        app = WarRoom(settings)
        async with app.run_test(size=SIZE) as pilot:
            dialog = await _open_update(pilot, app)
            assert dialog.subject == "[INC-1] S1 new: executive update"
            dialog.query_one("#audience", Select).value = "legal"
            await wait_for(
                pilot, lambda: dialog.subject.endswith("update for Legal"), what="legal's template"
            )
            text = dialog.query_one("#text", TextArea)
            assert "carol@example.net" not in text.text and "- 1 note" in text.text
            assert "Sends to: hook" in str(dialog.query_one("#channels").content)
            text.text = text.text + "\nCall Legal at 14:00."
            text.focus()
            await pilot.press("ctrl+s")
            await wait_for(
                pilot, lambda: app.screen is not dialog and _updates(tmp_path), what="the update written"
            )
            [entry] = _updates(tmp_path)
            [post] = posted.all()
            deadline = asyncio.get_running_loop().time() + 10
            while (await app.store.incidents("INC-1"))[0].last_update_at != entry["ts"]:
                assert asyncio.get_running_loop().time() < deadline, "the update clock never restarted"
                await pilot.pause()
    body = post["json"]["message"]
    assert (
        body.endswith("Call Legal at 14:00.") and post["json"]["title"] == "[INC-1] S1 new: update for Legal"
    )
    d = entry["data"]
    assert (d["audience"], d["channels"], d["sha256"]) == (
        "legal",
        ["hook"],
        hashlib.sha256(body.encode()).hexdigest(),
    )


async def test_console_u_without_a_channel_records_and_offers_the_text(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from app.console import WarRoom
    from screens.updates import CopyDialog
    from tests._console_helpers import SIZE

    monkeypatch.setenv("WARROOM_UPDATES_FILE", str(tmp_path / "none.toml"))
    settings = await _console_with(tmp_path, "")
    copied: list[str] = []
    app = WarRoom(settings)
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await _open_update(pilot, app)
        assert "No channel for executives" in str(dialog.query_one("#channels").content)
        # Enter does not send (it cannot be taken back): ctrl+s or Send does
        assert app.focused is dialog.query_one("#audience")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and not _updates(tmp_path) and dialog.sent is None
        dialog.query_one("#text").focus()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CopyDialog), what="the text offered to copy")
        offer = app.screen
        assert isinstance(offer, CopyDialog)
        [entry] = _updates(tmp_path)
        assert entry["data"]["channels"] == [] and entry["data"]["audience"] == "executives"
        # a file in a folder of the user's choosing, readable by its owner only
        offer.query_one("#folder").value = str(tmp_path / "out")
        await pilot.click("#save")
        await wait_for(pilot, lambda: offer.saved is not None, what="the file saved")
        assert offer.saved is not None and offer.saved.stat().st_mode & 0o777 == 0o600
        saved = offer.saved.read_text()
        assert saved.startswith("[INC-1] S1 new: executive update\n") and "carol@example.net" not in saved
        assert (
            hashlib.sha256(saved.split("\n\n", 1)[1].rstrip("\n").encode()).hexdigest()
            == entry["data"]["sha256"]
        )
        # the clipboard: asked first, copied on the second press
        await pilot.click("#clipboard")
        await pilot.pause()
        assert copied == [] and "Press again" in str(offer.query_one("#done").content)
        button = offer.query_one("#clipboard")  # (a button takes no press while it shows the last one)
        await wait_for(pilot, lambda: not button.has_class("-active"), what="the button ready again")
        await pilot.click("#clipboard")
        await wait_for(pilot, lambda: copied, what="the copy")
        assert copied == [saved]


async def test_console_u_while_the_journal_is_down_sends_then_queues_the_record(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from data.engine import outbox
    from tests._console_helpers import SIZE
    from tests.test_offline import console

    monkeypatch.setenv("WARROOM_UPDATES_FILE", str(tmp_path / "none.toml"))
    with webhook() as (hook, posted):
        settings = await _console_with(
            tmp_path, f'[notify.channels]\nhook = ["{hook}"]\n[notify.audiences]\nexecutives = ["hook"]\n'
        )
        app, double = console(settings)
        async with app.run_test(size=SIZE) as pilot:
            dialog = await _open_update(pilot, app)
            double.down = True
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is not dialog, what="the dialog to close as queued")
            [post] = posted.all()  # sent first
            assert not _updates(tmp_path)
            [queued] = await outbox.entries(app.store)
            body = post["json"]["message"]
            assert queued.events[0]["data"]["sha256"] == hashlib.sha256(body.encode()).hexdigest()
            double.down = False
            app.request_refresh()
            await wait_for(pilot, lambda: _updates(tmp_path), what="the record sent from the outbox")
            [entry] = _updates(tmp_path)
            assert entry["id"] == queued.events[0]["id"] and entry["data"]["channels"] == ["hook"]
            assert len(posted.all()) == 1  # never sent twice


def test_a_malformed_update_member_is_read_leniently(tmp_path: Path) -> None:
    env = _setup(tmp_path, "")
    from data.commands import new_id, now_ts
    from tests.helpers import append_events as raw_append

    ts = now_ts()
    raw_append(tmp_path / "journal.jsonl", [{
        "v": 1, "id": new_id(), "ts": ts, "actor": "bot", "type": "incident.action",
        "incident": "INC-1", "data": {"kind": "stakeholder_update", "text": "t", "audience": "board", "sha256": 5},
    }])  # fmt: skip
    assert _last_update_at(tmp_path) == ts  # applied: the clock restarted
    r = CliRunner().invoke(
        main, ["update", "--incident", "INC-1", "--audience", "legal", "--preview"], env=env
    )
    since = parse_time(ts)
    assert since is not None and r.exit_code == 0 and f"since {since.strftime('%d %b %H:%MZ')}" in r.output


def test_no_send_records_without_sending(tmp_path: Path) -> None:
    with webhook() as (hook, posted):
        env = _setup(
            tmp_path, f'[notify.channels]\nhook = ["{hook}"]\n[notify.audiences]\ncomms = ["hook"]\n'
        )
        r = CliRunner().invoke(
            main, ["update", "--incident", "INC-1", "--audience", "comms", "--no-send"], env=env
        )
        assert r.exit_code == 0, r.output
        assert posted.all() == []
    assert "not sent (--no-send)" in r.output
    [entry] = _updates(tmp_path)
    assert entry["data"]["channels"] == [] and entry["data"]["audience"] == "comms"
    assert entry["data"]["text"] == "Stakeholder update to comms: not sent by warroom (--no-send)."
