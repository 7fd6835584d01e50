"""Opening the journal a location names: a PostgreSQL URL (data/engine/pg_journal.py) or a
file path (data/engine/journal.py). Here, not in either, so that neither imports the other's
module back."""

from __future__ import annotations

import os

from data.engine.envconfig import is_url
from data.engine.journal import FileJournal, Journal


def open_journal(spec: str | os.PathLike[str], *, group: bool | None = None) -> Journal:
    """The journal at ``spec``: a PostgreSQL URL (``postgresql://…``, data/engine/pg_journal.py)
    or a file path (``group``: whether a file it creates is shared with its group; None:
    as the config file says)."""
    if isinstance(spec, str) and is_url(spec):
        from data.engine.pg_journal import PgJournal

        return PgJournal(spec)
    return FileJournal(spec, group=group)
