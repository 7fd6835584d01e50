"""The cached first screen (data/incidents/first_screen.py): written 0600 with what the
actor saw, painted marked "cached" before the store is opened, nothing written meanwhile,
and replaced by the store's picture; a foreign or spoiled cache is never shown."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from app.console import CACHED_MESSAGE, WarRoom
from data.config import Settings
from data.engine.store import Store
from data.incidents import first_screen
from data.incidents.views import IncidentRow, Snapshot, SyncState
from screens.main import MainScreen
from tests._console_helpers import (
    SIZE,
    opened,
    queue_ids,
    scoped,
    screen_text,
    seed,
    settings_for,
    settle,
    wait_for,
)

SECRET = "Codename BLUEBIRD"
PHONE = "+44 20 7946 0958"
PHONE_MASKED = "+44 ** **** **58"


def journal() -> list[dict[str, Any]]:
    return [
        opened("INC-R", title=SECRET, restricted=True, category="data_security", source="employee", severity=1),
        scoped("incident.role_set", "INC-R", role="commander", person="boss"),
        opened("INC-P", title=f"Caller on {PHONE}", severity=2),
        opened("INC-C", title="Closed since", severity=3),
        opened("INC-X", title="Closed before", severity=3),
        scoped("incident.status_set", "INC-X", status="closed"),
    ]  # fmt: skip


async def run_once(settings: Settings, ready: list[str]) -> None:
    """A console that shows ``ready`` and stops (it writes its first screen as it stops)."""
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda a: set(ready) <= set(queue_ids(a)))


def cache_of(settings: Settings) -> Path:
    return first_screen.cache_path(settings.db)


async def test_the_cache_holds_what_the_actor_saw_owner_only(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="zed")  # neither holds a role in INC-R nor takes part
    await seed(settings, journal())
    await run_once(settings, ["INC-R", "INC-P", "INC-C"])
    path = cache_of(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert SECRET not in text  # a restricted incident's title, withheld from an outsider
    assert PHONE not in text and PHONE_MASKED in text  # masked as on screen
    data = json.loads(text)
    rows = {r["id"]: r for r in data["rows"]}
    assert set(rows) == {"INC-R", "INC-P", "INC-C"}  # active only
    assert rows["INC-R"]["commander"] == "boss" and rows["INC-R"]["title"] == ""
    assert data["key"]["actor"] == "zed"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


async def test_a_role_holder_s_cache_keeps_the_title(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="boss")
    await seed(settings, journal())
    await run_once(settings, ["INC-R"])
    assert SECRET in cache_of(settings).read_text()


@pytest.fixture
def store_gate(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Store.open waits while the event is clear: the cached screen stays on until then."""
    gate = asyncio.Event()
    gate.set()
    original = Store.open.__func__  # type: ignore[attr-defined]

    async def gated(cls: type[Store], *args: Any, **kw: Any) -> Store:
        await gate.wait()
        store: Store = await original(cls, *args, **kw)
        return store

    monkeypatch.setattr(Store, "open", classmethod(gated))
    return gate


def queue_title(app: WarRoom) -> str:
    title = app.screen.query_one("#queue-pane").border_title
    return str(getattr(title, "plain", title))


async def test_the_cached_screen_is_marked_refuses_writes_and_gives_way(
    tmp_path: Path, store_gate: asyncio.Event
) -> None:
    settings = settings_for(tmp_path, actor="zed")
    await seed(settings, journal())
    await run_once(settings, ["INC-R", "INC-P", "INC-C"])
    await seed(settings, [scoped("incident.status_set", "INC-C", status="closed")])  # since the cache
    before = settings.journal.read_bytes()
    store_gate.clear()
    app = WarRoom(settings)
    states: list[tuple[bool, float | None]] = []  # (a cached snapshot, the console's state after it)
    original = app.publish

    def publish(snapshot: Snapshot) -> None:
        original(snapshot)
        states.append((snapshot.sync.cached_at is not None, app.sync_state.cached_at))

    app.publish = publish  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: set(queue_ids(app)) == {"INC-R", "INC-P", "INC-C"}, what="the cache")
        assert app.cached_screen and app.store is None
        assert "CACHED FROM" in screen_text(app) and "CACHED FROM" in queue_title(app)
        assert SECRET not in screen_text(app) and PHONE_MASKED in screen_text(app)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.check_action("new_incident", ()) is False  # nothing that writes
        assert screen.check_action("focus_pane", ("1",)) is not False  # moving around does
        await pilot.press("o")  # the new-incident form does not open
        await pilot.pause()
        assert app.screen is screen
        assert await app.act([scoped("incident.note", "INC-P", text="x")]) == CACHED_MESSAGE
        assert settings.journal.read_bytes() == before
        store_gate.set()
        await settle(pilot)
        assert not app.cached_screen
        assert "INC-C" not in queue_ids(app)  # closed since the cache was written: gone
        assert "CACHED" not in screen_text(app) and "CACHED" not in queue_title(app)
        assert screen.check_action("new_incident", ()) is not False
        assert states[0][0] and len(states) > 1
        # once the store's picture is in, the console's state is no longer the cache's (a
        # catch-up's progress, shown between snapshots, is not marked cached)
        assert all(state is None for cached, state in states if not cached)


def test_the_status_bar_marks_the_cached_screen() -> None:
    from widgets.status import sync_text

    cached = SyncState("j", line=3, cached_at=0.0)
    assert "CACHED FROM 00:00Z" in sync_text(cached, 10.0).plain
    from dataclasses import replace

    assert "catching up 50%" in sync_text(replace(cached, progress=(5, 10)), 10.0).plain
    assert "CACHED" not in sync_text(SyncState("j", line=3, synced_at=5.0), 10.0).plain


def published(app: WarRoom) -> list[Snapshot]:
    """Every snapshot ``app`` publishes, from its start."""
    seen: list[Snapshot] = []
    original = app.publish

    def publish(snapshot: Snapshot) -> None:
        seen.append(snapshot)
        original(snapshot)

    app.publish = publish  # type: ignore[method-assign]
    return seen


async def test_another_actor_s_cache_is_not_shown(tmp_path: Path) -> None:
    boss = settings_for(tmp_path, actor="boss")
    await seed(boss, journal())
    await run_once(boss, ["INC-R"])
    app = WarRoom(settings_for(tmp_path, actor="zed"))  # same store and journal, another actor
    seen = published(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda a: "INC-R" in queue_ids(a))
        assert seen and all(s.sync.cached_at is None for s in seen)
        assert SECRET not in screen_text(app)


async def test_a_spoiled_cache_is_ignored(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, journal())
    await run_once(settings, ["INC-P"])
    cache_of(settings).write_text('{"version": 1, "key": ')  # cut short
    app = WarRoom(settings)
    seen = published(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda a: "INC-P" in queue_ids(a))
        assert seen and all(s.sync.cached_at is None for s in seen)
    assert json.loads(cache_of(settings).read_text())["version"] == 1  # written again as it stopped


# --- reading, alone ------------------------------------------------------------------------


def _written(tmp_path: Path, actor: str = "zed", size: int = 100) -> tuple[Path, first_screen.Key]:
    row = IncidentRow("INC-1", 1, "t", "edr", "open", None, None, False, ("US",), 3)
    key = first_screen.Key.of(actor, tmp_path / "s.db", str(tmp_path / "j"), "1:2")
    path = first_screen.cache_path(tmp_path / "s.db")
    first_screen.write(path, Snapshot((row,), SyncState("j", line=3)), key, size, 1000.0)
    return path, key


def test_read_gives_back_the_rows_marked_cached(tmp_path: Path) -> None:
    path, key = _written(tmp_path)
    cached = first_screen.read(path, key, 100)
    assert [r.id for r in cached.snapshot.incidents] == ["INC-1"]
    assert cached.snapshot.sync.cached_at == 1000.0 and cached.snapshot.sync.synced_at is None


@pytest.mark.parametrize(
    "spoil",
    ["actor", "store", "journal file", "journal shorter", "group-readable", "not json", "missing"],
)
def test_a_foreign_or_spoiled_cache_is_not_shown(tmp_path: Path, spoil: str) -> None:
    path, key = _written(tmp_path)
    size = 100
    if spoil == "actor":
        key = first_screen.Key.of("boss", tmp_path / "s.db", key.journal, key.journal_id)
    elif spoil == "store":
        key = first_screen.Key.of("zed", tmp_path / "other.db", key.journal, key.journal_id)
    elif spoil == "journal file":
        key = first_screen.Key.of("zed", tmp_path / "s.db", key.journal, "1:3")
    elif spoil == "journal shorter":
        size = 99
    elif spoil == "group-readable":
        os.chmod(path, 0o640)
    elif spoil == "not json":
        path.write_bytes(b"\x00garbage")
    elif spoil == "missing":
        path.unlink()
    with pytest.raises(first_screen.NotShown):
        first_screen.read(path, key, size)


# --- the first paint imports no SQLAlchemy ----------------------------------------------------

HEAVY = ("sqlalchemy", "aiosqlite", "data.engine.store", "data.incidents.queries", "data.engine.outbox")

CHILD = """
import asyncio, json, sys
from pathlib import Path
from app.console import WarRoom
from data.config import Settings
imported = sorted(m for m in {heavy!r} if m in sys.modules)
seen = []
async def main():
    app = WarRoom(Settings(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]))
    original = app.publish
    def publish(snapshot):
        seen.append([snapshot.sync.cached_at is not None, [r.id for r in snapshot.incidents],
                     sorted(m for m in {heavy!r} if m in sys.modules)])
        original(snapshot)
    app.publish = publish
    async with app.run_test(size=(140, 40)) as pilot:
        while app.last_snapshot is None or app.last_snapshot.sync.synced_at is None:
            await pilot.pause()
asyncio.run(main())
print(json.dumps({{"imported": imported, "seen": seen}}))
"""


def _child(settings: Settings) -> dict[str, Any]:
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(heavy=HEAVY), str(settings.journal), str(settings.db), settings.actor],
        capture_output=True, text=True, cwd=root, timeout=120, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


async def test_the_cached_first_screen_is_painted_before_sqlalchemy_is_imported(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="zed")
    await seed(settings, journal())
    await run_once(settings, ["INC-R", "INC-P", "INC-C"])
    result = _child(settings)
    assert result["imported"] == []  # importing the console imports none of them
    first, *rest = result["seen"]
    assert first == [True, ["INC-R", "INC-P", "INC-C"], []]  # the cache, before any of them
    assert rest and not rest[-1][0] and "sqlalchemy" in rest[-1][2]  # then the store's picture
