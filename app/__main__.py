"""``python -m app`` is the ``warroom`` command."""

from app.cli import run

run()
