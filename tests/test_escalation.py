"""Escalation (data/comms/escalation.py, ``warroom pager``): which pages are due (pure),
and that several notifiers on one journal page exactly once per step, through a real
JSON webhook."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from data.comms.escalation import (
    Escalation,
    EscalationError,
    Policy,
    Step,
    due_pages,
    escalation_of,
    next_wakeup,
    page_pass,
    schedule,
    sent_pages,
)
from data.config import Settings
from data.engine.config import load_config
from data.engine.models import (
    Draft,
    IncidentOpened,
    IncidentRoleSet,
    IncidentStatusSet,
    PageSent,
    RosterRotation,
)
from data.engine.store import Store
from data.roster.rotation import Rotation
from tests._receivers import Received, webhook
from tests.helpers import cli_env, incident_record, read_lines, run_cli, run_cli_many

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)

POLICY = Policy(
    "1", (Step(5 * MIN, "person:amara"), Step(10 * MIN, "on_call"), Step(15 * MIN, "rotation:uk-ic"))
)
ESC = Escalation({"1": POLICY}, "oncall", {"eli": "eli-phone"}, 10 * MIN)
ALWAYS = {"team": "emergency_response", "tz": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
          "start": "00:00", "hours": 24, "anchor": "2026-01-05"}  # fmt: skip
ROTATIONS = [
    Rotation.from_row({**ALWAYS, "rotation": "us-ic", "region": "US", "members": ["eli"]}),
    Rotation.from_row({**ALWAYS, "rotation": "uk-ic", "region": "UK", "members": ["hugo"]}),
]


def _due(at: datetime, sent: set[str] = frozenset(), **over: Any) -> list[tuple[str, str | None, str]]:  # type: ignore[assignment]
    inc = incident_record(status="new", regions=("US",), opened_at=T0.isoformat(), **over)
    return [(p.id, p.person, p.channel) for p in due_pages([inc], ROTATIONS, [], ESC, sent, at)]


# --- the pure evaluation -------------------------------------------------------------


def test_steps_fall_due_one_after_the_other_from_t0() -> None:
    assert _due(T0 + 4 * MIN) == []
    assert _due(T0 + 5 * MIN) == [("page:INC-1:1:0", "amara", "oncall")]
    # step 2 is due 10 minutes after step 1 was: the region's on-call person, on their own channel
    assert _due(T0 + 15 * MIN) == [
        ("page:INC-1:1:0", "amara", "oncall"),
        ("page:INC-1:2:0", "eli", "eli-phone"),
    ]
    assert _due(T0 + 15 * MIN, {"page:INC-1:1:0"}) == [("page:INC-1:2:0", "eli", "eli-phone")]
    assert _due(T0 + 30 * MIN, {"page:INC-1:1:0", "page:INC-1:2:0"}) == [("page:INC-1:3:0", "hugo", "oncall")]


def test_the_last_step_repeats_and_only_the_latest_repeat_is_due() -> None:
    sent = {"page:INC-1:1:0", "page:INC-1:2:0", "page:INC-1:3:0"}
    assert _due(T0 + 39 * MIN, sent) == []
    assert _due(T0 + 40 * MIN, sent) == [("page:INC-1:3:1", "hugo", "oncall")]
    # a pager that was down an hour sends the latest repeat, not every one it missed
    assert _due(T0 + 95 * MIN, sent) == [("page:INC-1:3:6", "hugo", "oncall")]
    assert schedule(POLICY, T0, None, T0 + 95 * MIN)[-1] == (3, 0, T0 + 30 * MIN)  # no repeat: no more


def test_acknowledging_stops_the_escalation() -> None:
    assert _due(T0 + 95 * MIN, acknowledged_at=(T0 + MIN).isoformat()) == []
    inc = incident_record(opened_at=T0.isoformat(), acknowledged_at=(T0 + MIN).isoformat())
    assert next_wakeup([inc], ESC, T0 + 2 * MIN) is None
    assert next_wakeup([incident_record(opened_at=T0.isoformat())], ESC, T0 + 2 * MIN) == T0 + 5 * MIN


def test_a_region_policy_wins_and_t0_is_the_detection_time() -> None:
    esc = Escalation({"1": POLICY, "1/US": Policy("1/US", (Step(MIN, "person:dana"),))}, "oncall")
    inc = incident_record(regions=("US",), detected_at=(T0 - 10 * MIN).isoformat())
    [page] = due_pages([inc], ROTATIONS, [], esc, set(), T0)
    assert (page.id, page.person, page.policy, page.due) == ("page:INC-1:1:0", "dana", "1/US", T0 - 9 * MIN)
    assert (
        due_pages(
            [incident_record(severity=2, opened_at=T0.isoformat())], ROTATIONS, [], esc, set(), T0 + 99 * MIN
        )
        == []
    )


def test_nobody_on_call_pages_the_channel_alone() -> None:
    inc = incident_record(regions=("AU",), opened_at=T0.isoformat())
    pages = due_pages([inc], ROTATIONS, [], ESC, {"page:INC-1:1:0"}, T0 + 15 * MIN)
    assert [(p.person, p.channel) for p in pages] == [(None, "oncall")]


def test_the_config_section(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[escalation]\nchannel = "oncall"\nrepeat_minutes = 10\npeople = { eli = "eli-phone" }\n'
        '[escalation.policies]\n"1" = [{ after_minutes = 5, notify = "on_call" }, '
        '{ after_minutes = 10, notify = "rotation:uk-ic" }]\n"2/UK" = [{ after_minutes = 30, notify = "person:hugo" }]\n'
    )
    esc = escalation_of(load_config(path))
    assert esc.policies["1"].steps == (Step(5 * MIN, "on_call"), Step(10 * MIN, "rotation:uk-ic"))
    assert esc.policy_for(2, ("UK",)) == esc.policies["2/UK"] and esc.policy_for(2, ("US",)) is None
    assert esc.repeat == 10 * MIN and esc.channel_of("eli") == "eli-phone" and esc.channel_of("x") == "oncall"
    path.write_text('[escalation.policies]\n"1" = [{ after_minutes = 5, notify = "on_call" }]\n')
    with pytest.raises(EscalationError, match="no channel"):
        escalation_of(load_config(path))
    path.write_text(
        '[escalation]\nchannel = "oncall"\n[escalation.policies]\n"1" = [{ after_minutes = 5, notify = "boss" }]\n'
    )
    with pytest.raises(EscalationError, match=r"escalation\.policies"):
        escalation_of(load_config(path))


# --- notifiers on one journal ----------------------------------------------------------


@contextmanager
def _two_hooks() -> Iterator[tuple[str, Received, Received]]:
    """A config file with the channels oncall and eli-phone (real webhooks) and a policy
    for severity 1: amara at 5 minutes, then the US on-call person (eli) 10 minutes later."""
    with ExitStack() as stack:
        url1, got1 = stack.enter_context(webhook())
        url2, got2 = stack.enter_context(webhook())
        config = (
            f'[notify.channels]\noncall = ["{url1}"]\neli-phone = ["{url2}"]\n'
            '[escalation]\nchannel = "oncall"\npeople = { eli = "eli-phone" }\n'
            '[escalation.policies]\n"1" = [{ after_minutes = 5, notify = "person:amara" }, '
            '{ after_minutes = 10, notify = "on_call" }]\n'
        )
        yield config, got1, got2


def _seed(tmp_path: Path, config: str, detected: datetime) -> Settings:
    return asyncio.run(_aseed(tmp_path, config, detected))


async def _aseed(tmp_path: Path, config: str, detected: datetime) -> Settings:
    """A journal with the US rotation (eli, always) and INC-1 (severity 1, US) detected at ``detected``."""
    from data.commands import append_events, build_events

    (tmp_path / "config.toml").write_text(config)
    settings = Settings(
        tmp_path / "j.jsonl", tmp_path / "seed.db", "seeder", config=load_config(tmp_path / "config.toml")
    )
    rotation = RosterRotation.model_validate(
        {**ALWAYS, "rotation": "us-ic", "region": "US", "members": ["eli"]}
    )
    opened = IncidentOpened(title="EDR: welfare", category="edr", severity=1, source="law_enforcement",
                            regions=["US"], detected_at=detected.isoformat().replace("+00:00", "Z"))  # fmt: skip
    events = build_events([("r", Draft(rotation)), ("o", Draft(opened, incident="INC-1"))], "seeder")
    await append_events(settings, events)
    return settings


def _types(journal: Path) -> list[tuple[str, str]]:
    return [
        (e["type"], e["id"]) for e in map(json.loads, read_lines(journal)) if e["type"].startswith("page.")
    ]


def _env(tmp_path: Path, name: str, observer: bool = False) -> dict[str, str]:
    env = cli_env(tmp_path, tmp_path / "j.jsonl", tmp_path / f"{name}.db", actor=name)
    env["WARROOM_CONFIG"] = str(tmp_path / "config.toml")
    if observer:
        env["WARROOM_OBSERVER"] = "1"
    return env


def test_two_pagers_and_a_console_pass_page_exactly_once_per_step(tmp_path: Path) -> None:
    with _two_hooks() as (config, got1, got2):
        settings = _seed(tmp_path, config, datetime.now(UTC) - 20 * MIN)

        async def console_pass() -> Any:  # what a console's worker does, on its own store
            async with await Store.open(tmp_path / "console.db") as store:
                return await page_pass(
                    settings.open_journal(), store, settings.config, "console", datetime.now(UTC)
                )

        done = run_cli_many([(["pager", "--once", "--json"], _env(tmp_path, "p1")),
                             (["pager", "--once", "--json"], _env(tmp_path, "p2"))])  # fmt: skip
        for r in done:
            assert r.returncode == 0, r.stderr
        console = asyncio.run(console_pass())
        again = run_cli(["pager", "--once"], _env(tmp_path, "p1"))
        assert again.returncode == 0 and again.stdout == b"", again.stderr
        msgs1, msgs2 = got1.all(), got2.all()
    # one message per step, to the step's person's channel
    assert len(msgs1) == 1 and "Paging amara: step 1" in msgs1[0]["json"]["message"]
    assert len(msgs2) == 1 and "Paging eli: step 2" in msgs2[0]["json"]["message"]
    assert "welfare" not in msgs1[0]["json"]["message"]  # the incident's title is not sent
    passes = [json.loads(r.stdout) for r in done]
    assert sorted(s["page"] for p in passes for s in p["sent"]) == ["page:INC-1:1:0", "page:INC-1:2:0"]
    assert console.sent == []
    # the journal has each page once, and what delivering it did
    assert sorted(_types(tmp_path / "j.jsonl")) == [
        ("page.delivered", "page:INC-1:1:0:d"), ("page.delivered", "page:INC-1:2:0:d"),
        ("page.sent", "page:INC-1:1:0"), ("page.sent", "page:INC-1:2:0"),
    ]  # fmt: skip

    async def pages() -> list[Any]:
        async with await Store.open(tmp_path / "seed.db") as store:
            await store.sync(settings.open_journal())
            return await sent_pages(store, "INC-1")

    assert [(p.step, p.person, p.channel, p.delivered) for p in asyncio.run(pages())] == [
        (1, "amara", "oncall", True), (2, "eli", "eli-phone", True)
    ]  # fmt: skip


@pytest.mark.parametrize("their_actor", ["other", "mine"])  # a different event, or the same one
def test_a_page_another_notifier_wrote_first_is_not_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, their_actor: str
) -> None:
    """The race itself: another notifier appends the page after this one read which pages
    the journal has, and before it appends its own (refused as another event with its id,
    or skipped as the same event: either way not sent here)."""
    import data.comms.escalation as escalation
    from data.commands import append_to, build_events

    real = escalation.sent_pages

    with _two_hooks() as (config, got1, got2):
        settings = _seed(tmp_path, config, datetime.now(UTC) - 6 * MIN)
        journal = settings.open_journal()

        async def read_then_lose_the_race(store: Any, incident: str | None = None) -> list[Any]:
            found = await real(store, incident)
            other = PageSent(
                step=1, repeat=0, policy="1", notify="person:amara", person="amara", channel="oncall"
            )
            async with await Store.open(tmp_path / "other.db") as theirs:
                events = build_events(
                    [("p", Draft(other, incident="INC-1", id="page:INC-1:1:0"))], their_actor
                )
                await append_to(journal, theirs, events)
            return found

        monkeypatch.setattr(escalation, "sent_pages", read_then_lose_the_race)

        async def mine() -> Any:
            async with await Store.open(tmp_path / "mine.db") as store:
                return await page_pass(journal, store, settings.config, "mine", datetime.now(UTC))

        result = asyncio.run(mine())
        assert got1.all() == [] and got2.all() == []
    assert [p.id for p in result.taken] == ["page:INC-1:1:0"] and result.sent == [] and result.problems == []
    assert _types(tmp_path / "j.jsonl") == [("page.sent", "page:INC-1:1:0")]


def test_acknowledging_stops_the_pager(tmp_path: Path) -> None:
    from data.commands import append_events, build_events

    with _two_hooks() as (config, got1, got2):
        settings = _seed(tmp_path, config, datetime.now(UTC) - 20 * MIN)
        took = build_events(
            [("a", Draft(IncidentRoleSet(role="commander", person="dana"), incident="INC-1"))], "dana"
        )
        asyncio.run(append_events(settings, took))
        r = run_cli(["pager", "--once"], _env(tmp_path, "p1"))
        assert r.returncode == 0, r.stderr
        assert got1.all() == [] and got2.all() == []
    assert _types(tmp_path / "j.jsonl") == []


def test_a_status_acknowledges_too(tmp_path: Path) -> None:
    from data.commands import append_events, build_events

    with _two_hooks() as (config, got1, _got2):
        settings = _seed(tmp_path, config, datetime.now(UTC) - 6 * MIN)
        st = build_events([("s", Draft(IncidentStatusSet(status="investigating"), incident="INC-1"))], "dana")
        asyncio.run(append_events(settings, st))
        assert run_cli(["pager", "--once"], _env(tmp_path, "p1")).returncode == 0
        assert got1.all() == []


def test_an_observer_never_pages(tmp_path: Path) -> None:
    with _two_hooks() as (config, got1, got2):
        _seed(tmp_path, config, datetime.now(UTC) - 20 * MIN)
        before = read_lines(tmp_path / "j.jsonl")
        r = run_cli(["pager", "--once"], _env(tmp_path, "watcher", observer=True))
        assert r.returncode == 2 and b"observer" in r.stderr
        assert got1.all() == [] and got2.all() == []
    assert read_lines(tmp_path / "j.jsonl") == before


def test_a_failed_delivery_is_recorded(tmp_path: Path) -> None:
    with _two_hooks() as (config, got1, _got2):
        got1.status = 500
        _seed(tmp_path, config, datetime.now(UTC) - 6 * MIN)
        r = run_cli(["pager", "--once"], _env(tmp_path, "p1"))
        assert r.returncode == 0 and b"not sent to oncall" in r.stdout, r.stderr
    [delivered] = [
        e for e in map(json.loads, read_lines(tmp_path / "j.jsonl")) if e["type"] == "page.delivered"
    ]
    assert delivered["data"]["ok"] is False and "did not accept" in delivered["data"]["error"]


def test_the_pager_without_policies_says_so(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("")
    r = run_cli(["pager", "--once"], _env(tmp_path, "p1"))
    assert r.returncode == 2 and b"no policies" in r.stderr


# --- the console -----------------------------------------------------------------------


async def test_a_console_pages_and_an_observer_console_never_does(tmp_path: Path) -> None:
    import dataclasses

    from textual.widgets import DataTable, Static

    from app.console import WarRoom
    from screens.escalation import EscalationScreen
    from tests._console_helpers import SIZE, plain_cells, wait_for
    from widgets.queue import IncidentQueue

    with _two_hooks() as (config, got1, got2):
        settings = await _aseed(tmp_path, config, datetime.now(UTC) - 20 * MIN)
        watcher = WarRoom(
            dataclasses.replace(settings, db=tmp_path / "watcher.db", actor="boss", observer=True)
        )
        async with watcher.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: watcher.sync_state.synced_at is not None, what="the first sync")
            assert not [w for w in watcher.workers if w.group == "pager"]
        assert got1.all() == [] and got2.all() == [] and _types(tmp_path / "j.jsonl") == []

        app = WarRoom(dataclasses.replace(settings, db=tmp_path / "console.db", actor="dana"))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: len(_types(tmp_path / "j.jsonl")) == 4, what="the pages")
            await wait_for(pilot, lambda: app.page_passes >= 1, what="the pass to end")
            # the queue shows who was paged last, and when (in the commander's column)
            queue = app.screen.query_one(IncidentQueue)
            await wait_for(
                pilot, lambda: any("⚑eli" in c for c in plain_cells(queue)), what="the page marker"
            )
            # E: the incident's pages, each delivered
            await wait_for(pilot, lambda: app.screen.selected == "INC-1", what="the selection")
            await pilot.press("E")
            await wait_for(pilot, lambda: isinstance(app.screen, EscalationScreen), what="the pages screen")
            screen = app.screen
            await wait_for(pilot, lambda: screen.view is not None, what="the pages to load")
            cells = plain_cells(screen.query_one("#pages", DataTable))
            assert cells == ["1", "amara", "oncall", cells[3], "dana", "delivered",
                             "2", "eli", "eli-phone", cells[9], "dana", "delivered"]  # fmt: skip
            assert "Not acknowledged" in str(screen.query_one("#pages-summary", Static).render())
        assert len(got1.all()) == 1 and len(got2.all()) == 1


async def test_a_console_with_policies_but_no_channel_says_so_and_pages_nobody(tmp_path: Path) -> None:
    import dataclasses

    from app.console import WarRoom
    from tests._console_helpers import SIZE, wait_for

    with _two_hooks() as (config, got1, got2):
        settings = await _aseed(
            tmp_path, config.replace('channel = "oncall"\n', ""), datetime.now(UTC) - 20 * MIN
        )
        app = WarRoom(dataclasses.replace(settings, db=tmp_path / "console.db", actor="dana"))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(
                pilot, lambda: any("Escalation is off" in t.message for t in app.told), what="the toast"
            )
            await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
            assert not [w for w in app.workers if w.group == "pager"]
            [said] = [t.message for t in app.told if "Escalation is off" in t.message]
            assert "no channel" in said
        assert got1.all() == [] and got2.all() == [] and _types(tmp_path / "j.jsonl") == []


def test_what_the_escalation_screen_is_given(tmp_path: Path) -> None:
    """``incident_escalation``: the pages sent with their outcome, then the steps to come
    (the repeat last); nothing to come once acknowledged."""
    from data.commands import append_events, build_events
    from data.comms.escalation import incident_escalation

    with _two_hooks() as (config, _got1, _got2):
        settings = _seed(tmp_path, config.replace("[escalation]\n", "[escalation]\nrepeat_minutes = 30\n"),
                         datetime.now(UTC) - 6 * MIN)  # fmt: skip
        assert run_cli(["pager", "--once"], _env(tmp_path, "p1")).returncode == 0

        async def view() -> Any:
            async with await Store.open(tmp_path / "seed.db") as store:
                await store.sync(settings.open_journal())
                return await incident_escalation(store, settings.config, "INC-1", datetime.now(UTC))

        before = asyncio.run(view())
        ack = build_events(
            [("s", Draft(IncidentStatusSet(status="investigating"), incident="INC-1"))], "dana"
        )
        asyncio.run(append_events(settings, ack))
        after = asyncio.run(view())
    assert before.policy == "1" and before.acknowledged_at is None
    assert [(p.step, p.person, p.delivered) for p in before.pages] == [(1, "amara", True)]
    assert [(p.step, p.notify) for p in before.planned] == [(2, "on_call"), (2, "on_call")]
    assert before.planned[1].due - before.planned[0].due == 30 * MIN  # the repeat, after the last step
    assert before.pages[0].id == "page:INC-1:1:0"
    assert after.acknowledged_at is not None and after.planned == [] and len(after.pages) == 1


def test_a_bad_escalation_section_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[escalation]\nchannel = "oncall"\nrepeat_minutes = -5\n')
    r = run_cli(["pager", "--once"], _env(tmp_path, "p1"))
    assert r.returncode == 2 and b"escalation.repeat_minutes must be a positive number of minutes" in r.stderr


def test_the_pager_keeps_running_and_pages_what_falls_due(tmp_path: Path) -> None:
    """Without --once: it pages, then sleeps until the next page falls due (here step 2,
    made due a few seconds on by a policy of fractions of a minute)."""
    import subprocess
    import time

    from tests.helpers import warroom_command

    with _two_hooks() as (config, got1, got2):
        quick = config.replace("after_minutes = 10", "after_minutes = 0.05")
        _seed(tmp_path, quick, datetime.now(UTC) - 5 * MIN)
        proc = subprocess.Popen([*warroom_command(), "pager", "--every", "600"], env=_env(tmp_path, "p1"),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not (got1.all() and got2.all()):
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
                assert time.monotonic() < deadline, "the pager did not page step 2 when it fell due"
                time.sleep(0.1)  # (polling for a condition, with a deadline)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        assert len(got1.all()) == 1 and len(got2.all()) == 1
