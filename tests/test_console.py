"""The console end to end: it shows the journal and follows another process's appends."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from data.config import Settings
from tests.helpers import HOSTILE

OPEN = {
    "title": "EDR: welfare concern",
    "category": "edr",
    "severity": 1,
    "source": "law_enforcement",
    "regions": ["US"],
}


def cli(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "--journal", str(settings.journal), "--db", str(settings.db) + ".cli",
         "--actor", "other-console", *args],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


async def wait_for(pilot, predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the console")
        await pilot.pause(0.05)


def table_ids(app) -> list[str]:  # type: ignore[no-untyped-def]
    from widgets.queue import IncidentQueue

    table = app.screen.query_one(IncidentQueue)
    return [str(r.key.value) for r in table.ordered_rows]


async def test_console_shows_incidents_and_follows_another_process(tmp_path: Path) -> None:
    from app.console import WarRoom

    settings = Settings(tmp_path / "j.jsonl", tmp_path / "s.db", "ic-test")
    r = cli(
        settings, "append", "--type", "incident.opened", "--incident", "INC-1", "--data", json.dumps(OPEN)
    )
    assert r.returncode == 0, r.stderr
    app = WarRoom(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: table_ids(app) == ["INC-1"])
        # another process appends while the console runs: it appears without a key press
        data = dict(OPEN, title="Second incident", severity=2)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "--journal", str(settings.journal), "--db", str(tmp_path / "other.db"),
            "--actor", "other", "append", "--type", "incident.opened", "--incident", "INC-2", "--data", json.dumps(data),
        )  # fmt: skip
        assert await proc.wait() == 0
        await wait_for(pilot, lambda: table_ids(app) == ["INC-1", "INC-2"])


async def test_console_hostile_titles_render_literally(tmp_path: Path) -> None:
    from app.console import WarRoom
    from widgets.queue import IncidentQueue

    settings = Settings(tmp_path / "j.jsonl", tmp_path / "s.db", "ic-test")
    lines = []
    for n, title in enumerate(HOSTILE[:8], 1):
        lines.append(json.dumps({"type": "incident.opened", "incident": f"INC-{n}",
                                 "data": dict(OPEN, title=title[:200] or "x")}))  # fmt: skip
    r = cli(settings, "append", stdin="\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    app = WarRoom(settings)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: len(table_ids(app)) == len(lines))
        table = app.screen.query_one(IncidentQueue)
        titles = [table.get_cell(f"INC-{n}", "title").plain for n in range(1, len(lines) + 1)]
        assert "[/foo]" in titles and "[red]x[/]" in titles and "[@click=app.quit]x[/]" in titles
        assert not any("\x1b" in t or "\x00" in t for t in titles)
        assert app.is_running  # the click markup did not quit it


async def test_console_marks_stale_when_journal_unreadable(tmp_path: Path) -> None:
    from app.console import WarRoom
    from widgets.status import StatusBar

    settings = Settings(tmp_path / "j.jsonl", tmp_path / "s.db", "ic-test")
    r = cli(
        settings, "append", "--type", "incident.opened", "--incident", "INC-1", "--data", json.dumps(OPEN)
    )
    assert r.returncode == 0, r.stderr
    app = WarRoom(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: table_ids(app) == ["INC-1"])
        moved = tmp_path / "moved.jsonl"
        settings.journal.rename(moved)  # unmounted, moved away: the journal is missing
        bar = app.screen.query_one(StatusBar)
        await wait_for(pilot, lambda: bar.state.error is not None)
        assert "missing" in bar.state.error
        assert table_ids(app) == ["INC-1"]  # the last good state stays on screen
        assert "STALE" in str(bar.render())
        moved.rename(settings.journal)  # back: live again, nothing rebuilt or lost
        await wait_for(pilot, lambda: bar.state.error is None)
        assert table_ids(app) == ["INC-1"]
        assert (await app.store.status()).rebuilt_at is None
