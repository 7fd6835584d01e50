"""Whether a screen can be reached now.

A screen's own handlers and timers run in its message loop, which ends before its panes
are taken down, so they always find them. Code that runs elsewhere does not: a worker
resuming after an await (a worker is a task of its own, cancelled only once the panes are
gone), the App's workers and timers telling every screen of a change (a screen pushed a
moment ago is on the stack before it is composed; while the console closes, every screen
is on it while its panes go). Such code asks :func:`live` before it reaches a pane.
"""

from __future__ import annotations

from textual.widget import Widget


def live(node: Widget) -> bool:
    """Mounted (its panes composed), attached to the app, and not being taken down."""
    return node.is_mounted and node.is_attached and not (node._pruning or node._closing or node._closed)
