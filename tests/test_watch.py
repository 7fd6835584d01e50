"""Waiting for the journal file to change (``FileJournal.changes``; data/engine/watch.py):
on Linux, inotify read on the event loop, with no thread and no fixed wait; a folder that
goes away falls back to the size probe; elsewhere watchfiles."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

import pytest

from data.engine import watch as watch_module
from data.engine.journal import FileJournal

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
PATIENCE = 20.0


async def _next(changes: object) -> None:
    await asyncio.wait_for(changes.__anext__(), PATIENCE)  # type: ignore[attr-defined]


async def _close(changes: object, waiter: asyncio.Future[None]) -> None:
    waiter.cancel()
    with suppress(asyncio.CancelledError, StopAsyncIteration):
        await waiter
    await changes.aclose()  # type: ignore[attr-defined]


def _append(path: Path, text: str) -> None:
    with open(path, "a") as f:
        f.write(text)


@linux
async def test_changes_waits_on_the_event_loop_without_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text("")
    journal = FileJournal(path)
    threads = threading.active_count()
    changes = journal.changes(poll=60)
    try:
        waiter = asyncio.ensure_future(changes.__anext__())
        for _ in range(5):
            await asyncio.sleep(0)  # the watch in place
        assert not waiter.done()
        assert threading.active_count() == threads  # no watcher thread waking every few ms
        _append(path, "x\n")
        await asyncio.wait_for(waiter, PATIENCE)  # an event, not the probe (poll=60)
        _append(path, "y\n")
        await _next(changes)
        assert threading.active_count() == threads
    finally:
        await _close(changes, waiter)


@linux
async def test_changes_ignores_other_files_of_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text("")
    changes = FileJournal(path).changes(poll=60)
    try:
        waiter = asyncio.ensure_future(changes.__anext__())
        for _ in range(5):
            await asyncio.sleep(0)
        _append(tmp_path / "store.db-wal", "other\n")
        # the event for the other file is read (the loop wakes), and nothing is yielded
        deadline = time.monotonic() + PATIENCE
        while (tmp_path / "store.db-wal").stat().st_size == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0)
        for _ in range(50):
            await asyncio.sleep(0)
        assert not waiter.done()
        _append(path, "x\n")
        await asyncio.wait_for(waiter, PATIENCE)
    finally:
        await _close(changes, waiter)


@linux
async def test_a_folder_that_goes_away_falls_back_to_the_probe(tmp_path: Path) -> None:
    folder = tmp_path / "j"
    folder.mkdir()
    path = folder / "journal.jsonl"
    path.write_text("a\n")
    changes = FileJournal(path).changes(poll=0.05)
    try:
        waiter = asyncio.ensure_future(changes.__anext__())
        for _ in range(5):
            await asyncio.sleep(0)
        path.unlink()
        folder.rmdir()
        await asyncio.wait_for(waiter, PATIENCE)  # the file is gone: a change
        folder.mkdir()
        path.write_text("b\nc\n")
        await _next(changes)  # seen by the probe: the watch of the old folder has ended
    finally:
        await _close(changes, waiter)


@linux
async def test_folder_watch_reports_names_and_lost_events(tmp_path: Path) -> None:
    watch = watch_module.open_inotify(tmp_path)
    assert watch is not None
    try:
        assert await watch.wait(0.01) == set()  # nothing happened: the timeout
        (tmp_path / "a").write_text("1")
        (tmp_path / "b").write_text("2")
        names: set[str | None] = set()
        deadline = time.monotonic() + PATIENCE
        while not {"a", "b"} <= names and time.monotonic() < deadline:
            names |= await watch.wait(PATIENCE)
        assert {"a", "b"} <= names
        assert None not in names
        tmp_path.rename(tmp_path.with_name(tmp_path.name + "-moved"))
        names = set()
        while not watch.ended and time.monotonic() < deadline:
            names |= await watch.wait(PATIENCE)
        assert watch.ended and None in names  # the folder moved: anything may have changed
    finally:
        watch.close()
        watch.close()  # twice is harmless


async def test_without_inotify_changes_uses_watchfiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch_module, "open_inotify", lambda folder: None)
    path = tmp_path / "journal.jsonl"
    path.write_text("")
    changes = FileJournal(path).changes(poll=60)
    try:
        waiter = asyncio.ensure_future(changes.__anext__())
        # watchfiles' thread starts when it starts: append until it has seen one
        deadline = time.monotonic() + PATIENCE
        while not waiter.done():
            assert time.monotonic() < deadline, "watchfiles never saw an append"
            _append(path, "x\n")
            await asyncio.wait([waiter], timeout=0.1)
        waiter.result()
    finally:
        await _close(changes, waiter)
