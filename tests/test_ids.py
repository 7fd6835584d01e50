"""Incident ids: one format (data/engine/ids.py) for the new-incident form, the demo's history and
its simulator; `warroom demo` acting as who the user says; the demo's texts."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import TypeAdapter

from data.engine import ids
from data.engine.ids import PATTERN, event_id, incident_id
from data.engine.models import IncidentId

VALID = TypeAdapter(IncidentId)


def test_ids_are_short_valid_and_sort_in_the_order_incidents_were_opened() -> None:
    rng = random.Random(5)
    day = datetime(2026, 11, 22, tzinfo=UTC)
    times = sorted(day + timedelta(seconds=rng.uniform(0, 86400 * 3)) for _ in range(300))
    ids = [incident_id(t, rng=rng) for t in times]
    for i in ids:
        assert PATTERN.match(i) and len(i) == 15
        VALID.validate_python(i)  # the journal's rule for `incident`
    # ordered by time (ids of the same 84-second step may come in either order)
    for (a, ta), (b, tb) in itertools.pairwise(zip(ids, times, strict=True)):
        if (ta.date(), _step(ta)) != (tb.date(), _step(tb)):
            assert a[:13] < b[:13], (a, b)
    last = incident_id(day.replace(hour=23, minute=59, second=59))
    assert ids[0].startswith("INC-261122-") and last.startswith("INC-261122-ZZ")


def _step(t: datetime) -> int:
    midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
    return int((t - midnight).total_seconds() // 84.375)


def test_an_id_in_use_is_never_given_again() -> None:
    at = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    taken: set[str] = set()
    for _ in range(1000):  # nearly every id of one step
        taken.add(incident_id(at, taken))
    assert len(taken) == 1000


def test_the_simulator_opens_incidents_with_the_one_format() -> None:
    from app.demo import Simulator

    sim = Simulator(None, None, seed=3)  # type: ignore[arg-type]  # next_events needs neither
    sim.taken = {"INC-000000-0000"}
    opened = []
    for _ in range(400):
        opened += [e["incident"] for e in sim.next_events() if e["type"] == "incident.opened"]
    assert len(opened) >= 3
    assert all(PATTERN.match(i) for i in opened), opened
    assert len(set(opened)) == len(opened) and opened[0] in sim.taken


def test_the_demo_history_uses_the_one_format_and_hands_over_to_the_actor(tmp_path: Path) -> None:
    from app.demo import seed
    from data.engine.journal import FileJournal
    from data.engine.store import Store
    from tests._console_helpers import journal_lines

    async def run() -> None:
        store = await Store.open(tmp_path / "store.db")
        try:
            assert await seed(FileJournal(tmp_path / "journal.jsonl"), store, "zoe") > 0
        finally:
            await store.close()

    asyncio.run(run())
    lines = journal_lines(tmp_path / "journal.jsonl")
    opened = {e["incident"]: e for e in lines if e["type"] == "incident.opened"}
    assert len(opened) > 50 and all(PATTERN.match(i) for i in opened), sorted(opened)[:5]
    for e in opened.values():  # the date in the id is the day it was opened
        assert e["incident"][4:10] == e["ts"][2:4] + e["ts"][5:7] + e["ts"][8:10]
    assert {e["incident"] for e in lines if "incident" in e} <= set(opened)
    # the intake's promotions and attachments name the incidents by their ids too
    triaged = [e["data"] for e in lines if e["type"] == "signal.triaged"]
    assert {t["incident"] for t in triaged if "incident" in t} <= set(opened)
    assert {t["outcome"] for t in triaged} == {"promoted", "attached", "dismissed", "snoozed"}
    received = [e["data"]["signal"] for e in lines if e["type"] == "signal.received"]
    assert len(received) - len(triaged) >= 5  # waiting for triage
    pending = [e for e in lines if e["type"] == "handoff.submitted" and e["data"]["to"] == "zoe"]
    assert len(pending) == 1 and pending[0]["data"]["from"] != "zoe"
    assert {i["incident"] for i in pending[0]["data"]["incidents"]} <= set(opened)
    summaries = [i["summary"] for i in pending[0]["data"]["incidents"]]
    assert len(summaries) == len(set(summaries)) > 1  # each incident's own words
    for e in opened.values():  # no summary says a sentence twice
        sentences = [x for x in e["data"].get("summary", "").split(". ") if x]
        assert len(sentences) == len(set(sentences)), e["data"]["summary"]


@pytest.mark.parametrize(
    ("args", "env", "actor"),
    [
        (["demo", "--actor", "kim"], {}, "kim"),
        (["--actor", "kim", "demo"], {}, "kim"),
        (["demo"], {"WARROOM_ACTOR": "lee"}, "lee"),
        (["demo", "--actor", "kim"], {"WARROOM_ACTOR": "lee"}, "kim"),
        (["demo"], {}, "demo-ic"),
    ],
)
def test_demo_honours_actor_and_warroom_actor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], actor: str
) -> None:
    import app.console
    from app.cli import main

    seen: list[Any] = []
    monkeypatch.setattr(app.console, "run_console", lambda settings, **kw: seen.append(settings))
    monkeypatch.delenv("WARROOM_ACTOR", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = CliRunner().invoke(main, [*args, "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert [s.actor for s in seen] == [actor]


def test_demo_refuses_an_invalid_actor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.console
    from app.cli import main

    monkeypatch.setattr(app.console, "run_console", lambda settings, **kw: None)
    monkeypatch.setenv("WARROOM_ACTOR", "bad\x07actor")
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 2 and "actor" in result.output


def test_the_sample_summaries_never_repeat_a_sentence() -> None:
    from data.sample import Generator

    opened = [e for e in Generator(seed=7).events(3000, per_incident=20) if e["type"] == "incident.opened"]
    assert len(opened) > 50
    lengths = set()
    for e in opened:
        sentences = [x for x in e["data"]["summary"].split(". ") if x]
        assert len(sentences) == len(set(sentences)), e["data"]["summary"]
        lengths.add(len(sentences))
    assert lengths == {1, 2, 3}
    assert len({e["data"]["summary"] for e in opened}) > 6  # not one text for all


def test_event_ids_are_ulids_of_now_that_increase_within_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

    def ms_of(eid: str) -> int:  # the first 10 characters: 48 bits of milliseconds
        return int("".join(f"{crockford.index(c):05b}" for c in eid), 2) >> 80

    before = datetime.now(UTC).timestamp() * 1000
    many = [event_id() for _ in range(5000)]
    after = datetime.now(UTC).timestamp() * 1000
    for eid in many:
        assert len(eid) == 26 and set(eid) <= set(crockford)
        assert before - 1 <= ms_of(eid) <= after + 1
    assert many == sorted(many) and len(set(many)) == len(many)  # same millisecond: the last one's + 1

    # the clock stepping back (or standing still) does not make an id sort before the last one
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_000_000_000 * 1_000_000)
    later = [event_id() for _ in range(3)]
    assert many[-1] < later[0] < later[1] < later[2]
    # a new millisecond: a new random part
    monkeypatch.setattr(ids.time, "time_ns", lambda: 10_000_000_000_000 * 1_000_000)
    new = event_id()
    assert ms_of(new) == 10_000_000_000_000 and new > later[-1]
