"""A journal path that is not a regular file (a FIFO, a folder, a device such as
/dev/null) is refused at once, with one line: opening a FIFO blocks, so an append or a
sync on one hung, and a device swallows the lines.

A test whose code would hang runs in a thread (in-process) or a subprocess (the command
line) with a bound, and a FIFO left blocked is released by opening its other end.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from data.commands import build_events
from data.engine.chain import verify
from data.engine.copy import copy_journal
from data.engine.journal import START, FileJournal, JournalError
from data.engine.store import Store
from tests.helpers import cli_env, warroom_command

#: the bound on a call that must return at once (it is a failure, not a wait)
HUNG = 20.0


def _kinds(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    return {"fifo": fifo, "folder": folder, "device": Path(os.devnull)}


def _release(path: Path) -> None:
    """Unblock a thread stuck opening the FIFO ``path`` (for reading or for writing)."""
    for flags in (os.O_WRONLY | os.O_NONBLOCK, os.O_RDONLY | os.O_NONBLOCK):
        try:
            os.close(os.open(path, flags))
        except OSError:
            pass


def _at_once(fn: Callable[[], Any], fifo: Path | None = None) -> BaseException | None:
    """Run ``fn``; the exception it raised (None if it returned). Fails if it hangs."""
    out: dict[str, BaseException | None] = {"error": None}

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HUNG)
    if thread.is_alive():
        if fifo is not None:
            _release(fifo)
        raise AssertionError(f"{fn} hung on {fifo}")
    return out["error"]


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_file_journal_refuses_what_is_not_a_file(tmp_path: Path, kind: str) -> None:
    path = _kinds(tmp_path)[kind]
    with pytest.raises(JournalError, match="not a regular file"):
        FileJournal(path)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_journal_that_becomes_a_fifo_or_device_is_refused_when_used(tmp_path: Path, kind: str) -> None:
    """Replaced after the journal was opened: each read, probe and append still refuses at
    once (none blocks on the FIFO, none writes to the device)."""
    path = tmp_path / "journal.jsonl"
    journal = FileJournal(path)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(os.devnull)
    fifo = path if kind == "fifo" else None
    person = {"handle": "ana", "name": "Ana", "team": "legal", "region": "UK", "tz": "Europe/London"}
    event = build_events([("event 1", {"type": "roster.person", "data": person})], "t")
    calls: list[Callable[[], Any]] = [
        lambda: list(journal.read(START)),
        lambda: verify(journal),
        lambda: asyncio.run(journal.append(event)),
    ]
    for call in calls:
        error = _at_once(call, fifo)
        assert isinstance(error, JournalError) and "not a regular file" in str(error), error
    assert _at_once(lambda: asyncio.run(_sync(journal, tmp_path)), fifo) is not None


async def _sync(journal: FileJournal, tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "store.db")
    try:
        await store.sync(journal)
    finally:
        await store.close()


@pytest.mark.parametrize("side", ["source", "destination"])
def test_journal_copy_refuses_a_fifo(tmp_path: Path, side: str) -> None:
    fifo = _kinds(tmp_path)["fifo"]
    other = tmp_path / "other.jsonl"
    if side == "source":
        args = (str(fifo), str(other))
    else:
        other.write_bytes(b"")
        args = (str(other), str(fifo))
    error = _at_once(lambda: copy_journal(*args), fifo)
    assert isinstance(error, JournalError) and "named pipe" in str(error), error


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
@pytest.mark.parametrize("command", ["append", "sync"])
def test_the_command_line_refuses_at_once(tmp_path: Path, kind: str, command: str) -> None:
    path = _kinds(tmp_path)[kind]
    env = cli_env(tmp_path, path, tmp_path / "store.db")
    stdin = b'{"type": "roster.person", "data": {"handle": "ana", "name": "Ana", "team": "legal", ' \
            b'"region": "UK", "tz": "Europe/London"}}\n' if command == "append" else b""  # fmt: skip
    try:
        proc = subprocess.run([*warroom_command(), command], input=stdin, capture_output=True, env=env,
                              timeout=HUNG * 3)  # fmt: skip
    except subprocess.TimeoutExpired:
        if kind == "fifo":
            _release(path)
        raise AssertionError(f"warroom {command} hung on a {kind}") from None
    err = proc.stderr.decode()
    assert proc.returncode == 2, (proc.returncode, err)
    assert len(err.splitlines()) == 1 and "not a regular file" in err and str(path) in err, err
    assert "Traceback" not in err
