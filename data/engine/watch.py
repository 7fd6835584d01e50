"""Waiting for a file to change, without a fixed wait: Linux's inotify on the event loop.

``watchfiles`` (the portable watcher, used where this is not available) runs a thread that
sleeps ``step`` milliseconds at a time and hands a change over only after a ``step`` with no
new one: a change reaches the event loop 10-20 ms late (with ``step=10``), and the thread
takes the interpreter's lock every ``step`` even when nothing happens. Here the inotify
descriptor (from the ``inotify_simple`` library) is registered with the event loop
(``add_reader``): the loop wakes when the kernel has an event, and never otherwise.

Linux only: :func:`open_inotify` returns None elsewhere or when the kernel refuses (the
per-user limit of instances or watches), and the caller falls back to ``watchfiles``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

#: what may change a file of the folder (written, truncated, replaced, removed), and the
#: watch itself gone (the folder removed or moved): inotify_simple's ``flags`` names
_FOLDER = ("MODIFY", "ATTRIB", "CLOSE_WRITE", "MOVED_FROM", "MOVED_TO", "CREATE", "DELETE", "DELETE_SELF",
           "MOVE_SELF")  # fmt: skip
_GONE = ("DELETE_SELF", "MOVE_SELF", "IGNORED")


class FolderWatch:
    """An inotify watch of one folder, read on the running event loop.

    :meth:`wait` returns the names of the folder's entries that changed since the last
    call (``None`` among them when events were lost, or the watch ended: assume anything
    changed), or an empty set after ``timeout`` seconds with no event."""

    def __init__(self, inotify: Any) -> None:
        from inotify_simple import flags

        self.inotify = inotify
        self.fd = inotify.fileno()
        self.ended = False  # the folder was removed or moved: no more events
        self._gone = sum(flags[name] for name in _GONE)
        self._lost = int(flags.Q_OVERFLOW)
        self._ready = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.fd, self._ready.set)

    async def wait(self, timeout: float) -> set[str | None]:
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return set()
        self._ready.clear()
        return self._drain()

    def _drain(self) -> set[str | None]:
        names: set[str | None] = set()
        while True:
            try:
                events = self.inotify.read(timeout=0)
            except BlockingIOError:
                return names
            except OSError:
                self.ended = True
                names.add(None)
                return names
            if not events:
                return names
            for event in events:
                if event.mask & (self._gone | self._lost):
                    names.add(None)
                    if event.mask & self._gone:
                        self.ended = True
                if event.name:
                    names.add(event.name)

    def close(self) -> None:
        if self.fd < 0:
            return
        try:
            self._loop.remove_reader(self.fd)
        except (RuntimeError, ValueError):  # the loop is closed already
            pass
        self.inotify.close()
        self.fd = -1


def open_inotify(folder: Path) -> FolderWatch | None:
    """A :class:`FolderWatch` of ``folder`` on the running loop, or None where inotify
    cannot be had (not Linux, the library's libc calls missing, the kernel's limits reached)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        from inotify_simple import INotify, flags

        inotify = INotify(nonblocking=True)
    except (ImportError, OSError, AttributeError):
        return None
    try:
        inotify.add_watch(folder, sum(flags[name] for name in _FOLDER))
        return FolderWatch(inotify)
    except OSError:
        inotify.close()
        return None
    except BaseException:
        inotify.close()
        raise
