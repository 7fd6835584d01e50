"""The watched folder (docs/intake.md, "A watched folder"): other systems drop ``.json``
(one signal object) or ``.eml`` files (an e-mail) into it; each file, once recorded, is moved
to ``done/``, and one that cannot be a signal to ``refused/`` with ``<name>.reason.txt``
beside it. A file is read only when it is whole: its name does not start with ``.`` nor
end with ``.tmp`` (write it so, then rename it), and its size and time have not changed
since the previous look. Files and folders warroom makes here are its owner's only."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from data.commands import AppendRefused
from data.engine.models import SIGNAL_RAW_MAX
from data.intake.record import Recorded, record
from data.intake.ways import Incoming, Refused, from_email, from_json

DONE = "done"
REFUSED = "refused"
SUFFIXES = (".json", ".eml")


@dataclass(frozen=True)
class Taken:
    """What became of one file: recorded (``recorded``; ``moved_to`` in done/), refused
    (``reason``; ``moved_to`` in refused/), or left where it is (``error``: the journal or the
    folder could not be written; it is tried again at the next look)."""

    name: str
    recorded: Recorded | None = None
    reason: str | None = None
    moved_to: Path | None = None
    error: str | None = None


def waiting(folder: Path) -> list[Path]:
    """The files in ``folder`` to take, oldest first: not hidden (``.``), not ``.tmp``, not
    the done/ and refused/ folders. Anything else is taken (and refused if it is not a
    regular ``.json`` or ``.eml`` file)."""
    out: list[tuple[float, str, Path]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or entry.name.endswith(".tmp"):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            out.append((st.st_mtime, entry.name, Path(entry.path)))
    return [p for _, _, p in sorted(out)]


@dataclass
class Watch:
    """Which files of a folder are whole: a file is ready when its size and modification
    time are those it had at the previous look (:meth:`ready`)."""

    folder: Path
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)

    def ready(self) -> list[Path]:
        now: dict[str, tuple[int, int]] = {}
        out = []
        for path in waiting(self.folder):
            try:
                st = path.lstat()
            except OSError:
                continue
            key = (st.st_size, st.st_mtime_ns)
            now[path.name] = key
            if self.seen.get(path.name) == key:
                out.append(path)
        self.seen = now
        return out


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner may enter (created 0700 when missing)."""
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _free(target: Path) -> Path:
    """``target``, or ``name.1.ext``, ``name.2.ext`` ... when it is taken."""
    if not target.exists() and not target.with_name(target.name + ".reason.txt").exists():
        return target
    n = 1
    while True:
        candidate = target.with_name(f"{target.stem}.{n}{target.suffix}")
        if not candidate.exists() and not candidate.with_name(candidate.name + ".reason.txt").exists():
            return candidate
        n += 1


def _move(path: Path, folder: Path) -> Path:
    target = _free(private_dir(folder) / path.name)
    os.replace(path, target)
    if not target.is_symlink():
        os.chmod(target, 0o600)
    return target


def refuse(path: Path, reason: str) -> Taken:
    """Move ``path`` to refused/ with ``<name>.reason.txt`` saying why."""
    from data.engine import clock
    from data.privacy.outfile import write_private

    try:
        target = _move(path, path.parent / REFUSED)
        when = clock.utc_text(clock.now())
        write_private(target.with_name(target.name + ".reason.txt"),
                      f"{path.name} was refused at {when}:\n{reason}\n".encode())  # fmt: skip
    except OSError as exc:
        return Taken(
            path.name, reason=reason, error=f"it could not be moved to {REFUSED}/: {exc.strerror or exc}"
        )
    return Taken(path.name, reason=reason, moved_to=target)


def read(path: Path, channel: str) -> Incoming:
    """The file's signal (Refused: why it cannot be one)."""
    st = path.lstat()
    if not stat.S_ISREG(st.st_mode):
        raise Refused("not a regular file (a link, a device or a pipe is never read)")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise Refused(f"only .json and .eml files are read, not {path.suffix or 'a file without a suffix'}")
    if st.st_size > SIGNAL_RAW_MAX:  # not even read
        raise Refused(f"it is {st.st_size} bytes, over the {SIGNAL_RAW_MAX}-byte limit of a signal")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with open(fd, "rb") as f:
        data = f.read()
    if suffix == ".json":
        return from_json(data, channel=channel)
    mtime = datetime.fromtimestamp(st.st_mtime, UTC)
    return from_email(data, channel=channel, fallback_at=mtime)


async def take(settings: Any, path: Path, channel: str) -> Taken:
    """Record the file ``path`` as a signal and move it to done/ (or refused/, with the
    reason). The journal unreachable: the file stays, ``error`` says why."""
    from data.engine.journal import JournalError
    from data.engine.store import StoreError

    try:
        incoming = read(path, channel)
    except Refused as exc:
        return refuse(path, str(exc))
    except OSError as exc:
        return refuse(path, f"it could not be read: {exc.strerror or exc}")
    try:
        recorded, _ = await record(settings, [(path.name, incoming)])
    except AppendRefused as exc:
        return refuse(path, "\n".join(exc.lines))
    except (JournalError, StoreError) as exc:  # WriteUnknown too: tried again, a repeat if it was written
        return Taken(path.name, error=f"it was not recorded: {exc}")
    done = recorded[0]
    try:
        target = _move(path, path.parent / DONE)
    except OSError as exc:
        return Taken(path.name, recorded=done,
                     error=f"recorded, but it could not be moved to {DONE}/: {exc.strerror or exc}")  # fmt: skip
    return Taken(path.name, recorded=done, moved_to=target)
