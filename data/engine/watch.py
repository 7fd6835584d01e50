"""Waiting for a file to change, without a fixed wait: Linux's inotify on the event loop.

``watchfiles`` (the portable watcher, used where this is not available) runs a thread that
sleeps ``step`` milliseconds at a time and hands a change over only after a ``step`` with no
new one: a change reaches the event loop 10-20 ms late (with ``step=10``), and the thread
takes the interpreter's lock every ``step`` even when nothing happens. Here the inotify
descriptor is registered with the event loop (``add_reader``): the loop wakes when the
kernel has an event, and never otherwise.

Linux only (``inotify_init1`` through ``ctypes``); :func:`open_inotify` returns None
elsewhere or when the kernel refuses (the per-user limit of instances or watches), and the
caller falls back to ``watchfiles``.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import struct
import sys
from pathlib import Path

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = 0o2000000

#: what may change a file of the folder (written, truncated, replaced, removed)
FOLDER_MASK = (
    IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
    | IN_DELETE_SELF | IN_MOVE_SELF
)  # fmt: skip
#: the watch itself is gone (the folder removed or moved), or events were lost
GONE = IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED
_HEADER = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)


class FolderWatch:
    """An inotify watch of one folder, read on the running event loop.

    :meth:`wait` returns the names of the folder's entries that changed since the last
    call (``None`` among them when events were lost, or the watch ended: assume anything
    changed), or an empty set after ``timeout`` seconds with no event."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.ended = False  # the folder was removed or moved: no more events
        self._ready = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(fd, self._ready.set)

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
                data = os.read(self.fd, 64 * 1024)
            except BlockingIOError:
                return names
            except OSError:
                self.ended = True
                names.add(None)
                return names
            if not data:
                return names
            pos = 0
            while pos + _HEADER.size <= len(data):
                _wd, mask, _cookie, size = _HEADER.unpack_from(data, pos)
                pos += _HEADER.size
                raw = data[pos : pos + size].rstrip(b"\0")
                pos += size
                if mask & (GONE | IN_Q_OVERFLOW):
                    names.add(None)
                    if mask & GONE:
                        self.ended = True
                if raw:
                    names.add(os.fsdecode(raw))

    def close(self) -> None:
        if self.fd < 0:
            return
        try:
            self._loop.remove_reader(self.fd)
        except (RuntimeError, ValueError):  # the loop is closed already
            pass
        os.close(self.fd)
        self.fd = -1


def open_inotify(folder: Path) -> FolderWatch | None:
    """A :class:`FolderWatch` of ``folder`` on the running loop, or None where inotify
    cannot be had (not Linux, no ``inotify_init1``, the kernel's limits reached)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        init, add = libc.inotify_init1, libc.inotify_add_watch
    except (OSError, AttributeError):
        return None
    init.argtypes, init.restype = [ctypes.c_int], ctypes.c_int
    add.argtypes, add.restype = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32], ctypes.c_int
    fd = init(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        return None
    if add(fd, os.fsencode(folder), FOLDER_MASK) < 0:
        os.close(fd)
        return None
    try:
        return FolderWatch(fd)
    except BaseException:
        os.close(fd)
        raise
