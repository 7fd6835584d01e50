"""Writing an export or a report to a file (``-o``): readable by its owner only.

Exports hold what the journal holds (docs/security.md, "Files"), so the file is 0600 also
when it replaces an existing file of another mode. A regular file (or a new one) is written
to a temporary file created 0600 in the same folder, flushed to disk, then renamed over the
path: nobody who could read the old file, or held it open, ever reads the new text, and an
interrupted write leaves the old file whole. What is not a regular file (``/dev/stdout``, a
pipe, a device, a symbolic link) is written through as it is: a link's target, if it is a
regular file, is made 0600 before anything is written to it; so is an existing file in a
folder where no new file can be created.
"""

from __future__ import annotations

import os
import stat
import tempfile


def write_private(path: str | os.PathLike[str], data: bytes) -> None:
    """``data`` into the file at ``path``, which is left with mode 0600 (see the module's
    docstring). Raises OSError (nothing written, the old file untouched) when it fails."""
    name = os.fspath(path)
    try:
        st = os.lstat(name)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_through(name, data)
        return
    folder = os.path.dirname(os.path.abspath(name))
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(name)}.", suffix=".tmp", dir=folder)  # 0600
    except PermissionError:
        if st is None:
            raise
        _write_through(name, data)  # a writable file in a folder we may not add to
        return
    try:
        with open(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, name)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _write_through(name: str, data: bytes) -> None:
    fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o600)
    with open(fd, "wb") as f:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            try:
                os.fchmod(fd, 0o600)  # before the text is in it
            except PermissionError as exc:
                raise PermissionError(
                    exc.errno,
                    f"it cannot be made readable by its owner only ({exc.strerror}); nothing was written",
                ) from None
            f.truncate(0)
        f.write(data)
