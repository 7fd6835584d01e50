"""Who may read the files warroom creates: the owner only, unless the team opts in to
group access for the journal; the console warns when the journal or the store is readable
by others."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from data.config import permission_warnings
from data.engine.config import journal_group_access
from data.engine.journal import FileJournal
from tests._console_helpers import opened, seed, settings_for, wait_for
from tests.helpers import run_cli


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture(autouse=True)
def _no_group_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARROOM_JOURNAL_GROUP", raising=False)


def test_a_new_journal_is_the_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "team" / "journal.jsonl"
    asyncio.run(FileJournal(path).append([opened("INC-1") | {"v": 1, "id": "A1", "ts": "2026-11-22T03:00:00Z",
                                                              "actor": "amara"}]))  # fmt: skip
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_group_opt_in_by_environment_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[files]\njournal_group = true\n")
    assert journal_group_access(config) is True
    config.write_text("[files]\njournal_group = 'yes'\n")  # not a boolean: no opt-in
    assert journal_group_access(config) is False
    assert journal_group_access(tmp_path / "missing.toml") is False
    monkeypatch.setenv("WARROOM_JOURNAL_GROUP", "1")
    assert journal_group_access(tmp_path / "missing.toml") is True
    monkeypatch.setenv("WARROOM_JOURNAL_GROUP", "0")
    config.write_text("[files]\njournal_group = true\n")
    assert journal_group_access(config) is False  # the environment wins


def test_group_opt_in_creates_a_shared_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_JOURNAL_GROUP", "1")
    old = os.umask(0o077)  # as the command line sets it
    try:
        path = tmp_path / "shared" / "journal.jsonl"
        event = opened("INC-1") | {"v": 1, "id": "A1", "ts": "2026-11-22T03:00:00Z", "actor": "amara"}
        asyncio.run(FileJournal(path).append([event]))
        assert mode(path) == 0o660 and mode(path.parent) == 0o2770
        # an existing journal keeps the mode its team gave it
        os.chmod(path, 0o640)
        asyncio.run(FileJournal(path).append([event | {"id": "A2"}]))
        assert mode(path) == 0o640
    finally:
        os.umask(old)


def test_permission_warnings(tmp_path: Path) -> None:
    journal, store = tmp_path / "journal.jsonl", tmp_path / "store.db"
    assert permission_warnings(journal, store, group_ok=False) == []  # not there yet
    for p in (journal, store):
        p.write_bytes(b"")
        p.chmod(0o600)
    assert permission_warnings(journal, store, group_ok=False) == []
    journal.chmod(0o640)
    (w,) = permission_warnings(journal, store, group_ok=False)
    assert "journal" in w and "group" in w and "WARROOM_JOURNAL_GROUP=1" in w
    assert permission_warnings(journal, store, group_ok=True) == []
    store.chmod(0o644)
    (w,) = permission_warnings(journal, store, group_ok=True)
    assert w.startswith(f"The store {store} is readable by every user") and "644" in w
    store.chmod(0o640)  # the store is personal: its group is never fine
    assert len(permission_warnings(journal, store, group_ok=True)) == 1


async def test_console_warns_at_start(tmp_path: Path) -> None:
    from app.console import WarRoom

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    settings.journal.chmod(0o644)
    app = WarRoom(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.sync_state.synced_at is not None)
        messages = [n.message for n in app.told]
        assert any("readable by every user of this machine" in m and "journal" in m for m in messages), (
            messages
        )


def test_cli_export_file_is_the_owners_only(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    asyncio.run(seed(settings, [opened("INC-1")]))
    env = {"WARROOM_JOURNAL": str(settings.journal), "WARROOM_DB": str(tmp_path / "cli.db"),
           "WARROOM_ACTOR": "amara", "HOME": str(tmp_path)}  # fmt: skip
    out = tmp_path / "incidents.csv"
    r = run_cli(["export", "incidents", "--format", "csv", "-o", str(out)], env, umask=0o022)
    assert r.returncode == 0, r.stderr
    assert mode(out) == 0o600 and mode(tmp_path / "cli.db") == 0o600
