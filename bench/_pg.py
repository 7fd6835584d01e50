"""A throwaway PostgreSQL cluster for the benchmarks' PostgreSQL modes: tests/pg.py's
cluster (Debian's initdb and pg_ctl, run as ``nobody``, on loopback), with durable
commits (``synchronous_commit = on``, as the file journal's fsync is; the test cluster
turns them off), removed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def throwaway_cluster(flag: str) -> Iterator[Any]:
    """The cluster, started; ``flag`` names the option that asked for it (for the message
    when there is no server here)."""
    from tests.pg import PgCluster, server_bin

    bindir = server_bin()
    if bindir is None:
        raise SystemExit(f"{flag}: no PostgreSQL server here (apt-get install postgresql)")
    cluster = PgCluster(bindir)
    cluster.init()  # (and starts it)
    try:
        cluster.psql("ALTER SYSTEM SET synchronous_commit = on")
        cluster.psql("SELECT pg_reload_conf()")
        yield cluster
    finally:
        cluster.remove()
