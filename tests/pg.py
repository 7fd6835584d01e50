"""A throwaway PostgreSQL cluster for the tests of the database journal.

``pg_cluster`` (session): a cluster of its own, made with Debian's ``initdb`` and
``pg_ctl`` (/usr/lib/postgresql/*/bin) in a temporary folder, listening on 127.0.0.1 on a
free port with its unix socket inside that folder, trust authentication, fsync off;
removed after the session. PostgreSQL refuses to run as root, so as root the cluster runs
as ``nobody`` (``runuser``). It has ``.url(dbname)``, ``.stop()``, ``.start()`` and
``.restart()`` (the fault tests stop and restart the server under a running console).

``pg_url`` (function): a fresh, empty database in that cluster, as a ``postgresql://`` URL.

Without the server binaries these tests skip, saying what to install, unless
``WARROOM_REQUIRE_PG=1`` (CI, where .ci/run installs them): then they fail.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SKIP_REASON = (
    "PostgreSQL tests need Debian's postgresql package (apt-get install postgresql): "
    "no initdb/pg_ctl in /usr/lib/postgresql/*/bin"
)


def server_bin() -> Path | None:
    """The newest PostgreSQL server's bin folder on this machine, if any."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")]
    found = [p for p in found if (p / "initdb").exists() and (p / "postgres").exists()]
    if not found:
        which = shutil.which("pg_ctl")
        if which and shutil.which("initdb"):
            return Path(which).parent
        return None

    def version(p: Path) -> float:
        try:
            return float(p.parent.name)
        except ValueError:
            return 0.0

    return max(found, key=version)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """One throwaway PostgreSQL cluster (see the module's docstring)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="warroom-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.user = "postgres"  # the superuser initdb makes
        self._as: list[str] = []
        self._counter = itertools.count(1)
        self.running = False
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.root, nobody.pw_uid, nobody.pw_gid)
            self._as = ["runuser", "-u", "nobody", "--"]
        os.chmod(self.root, 0o700)

    def _run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as, *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
        )

    def init(self) -> None:
        for sub in (self.socket_dir,):
            self._run("mkdir", "-p", str(sub))
        try:
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                self.user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed: {exc.stderr.strip() or exc.stdout.strip()}") from None
        self.start()

    def url(self, dbname: str = "postgres", *, user: str | None = None) -> str:
        """The cluster's database ``dbname`` as a ``postgresql://`` URL (TCP on 127.0.0.1)."""
        return f"postgresql://{user or self.user}@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        opts = (
            f"-k {self.socket_dir} -p {self.port} -c listen_addresses=127.0.0.1 -F "
            "-c max_connections=100 -c shared_buffers=16MB -c full_page_writes=off "
            "-c synchronous_commit=off"
        )
        try:
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                opts,
                "-w",
                "-t",
                "30",
                "start",
            )
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {exc.stderr.strip()}\n{log}") from None
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``mode``: smart, fast or immediate)."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run ``sql`` as the superuser over the unix socket; its output."""
        out = self._run(
            str(self.bindir / "psql"),
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            dbname,
            "-v",
            "ON_ERROR_STOP=1",
            "-X",
            "-q",
            "-A",
            "-t",
            "-c",
            sql,
        )
        return out.stdout.strip()

    def create_database(self) -> str:
        """A fresh empty database; its name."""
        name = f"t{os.getpid()}_{next(self._counter)}_{uuid.uuid4().hex[:6]}"
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def remove(self) -> None:
        if self.running:
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _missing() -> None:
    if os.environ.get("WARROOM_REQUIRE_PG") == "1":
        pytest.fail(SKIP_REASON + " (WARROOM_REQUIRE_PG=1: they must run)", pytrace=False)
    pytest.skip(SKIP_REASON)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL cluster for the session (see the module's docstring)."""
    bindir = server_bin()
    if bindir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        _missing()
    assert bindir is not None
    cluster = PgCluster(bindir)
    started = time.monotonic()
    try:
        cluster.init()
    except Exception as exc:
        cluster.remove()
        if os.environ.get("WARROOM_REQUIRE_PG") == "1":
            pytest.fail(f"the PostgreSQL test cluster did not start: {exc}", pytrace=False)
        pytest.skip(f"the PostgreSQL test cluster did not start: {exc}")
    cluster.started_in = time.monotonic() - started  # type: ignore[attr-defined]
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh, empty database of the session's cluster, as a ``postgresql://`` URL."""
    if not pg_cluster.running:  # a test that stopped the server and failed before restarting it
        pg_cluster.start()
    return pg_cluster.url(pg_cluster.create_database())
