"""Coroutines run without an event loop, for a short command: ``warroom append`` of a batch
that needs no procedure drives the write path's coroutines (the journal's lock and append,
data/engine/direct.py's store) itself, so that ``asyncio`` is never imported
(docs/performance.md, "Round two: the command line"). The same coroutines run on the
console's event loop as they are: what waits (the journal's lock) waits with
``asyncio.sleep`` on a loop, with ``time.sleep`` off one; what needs a loop (the
SQLAlchemy store) runs in one of its own (:func:`in_a_loop`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class NeedsALoop(RuntimeError):
    """A coroutine driven by :func:`run_blocking` awaited something only an event loop runs."""


def loop_running() -> bool:
    """Whether this thread runs an asyncio event loop now (never, if asyncio is not imported)."""
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and asyncio.events._get_running_loop() is not None


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end in this thread, without an event loop. It may await only
    coroutines that never suspend on a loop's future (a bare ``yield``, as
    ``asyncio.sleep(0)``'s, is passed over); anything else raises :class:`NeedsALoop`.

    Ctrl-C is taken as ``asyncio.run`` takes it: it stops a wait (:func:`pause`) and
    otherwise comes once the coroutine is done, as a KeyboardInterrupt instead of its result,
    never in the middle of a write."""
    import signal
    import threading

    global _interrupted
    ours = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if ours:
        _interrupted = False
        signal.signal(signal.SIGINT, _on_interrupt)
    try:
        while True:
            if coro.send(None) is not None:
                raise NeedsALoop("a coroutine run without an event loop awaited a future")
    except StopIteration as done:
        result: T = done.value
    finally:
        coro.close()
        if ours:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    if ours and _interrupted:
        raise KeyboardInterrupt
    return result


#: Ctrl-C came while :func:`run_blocking` ran
_interrupted = False


def _on_interrupt(signum: int, frame: Any) -> None:
    global _interrupted
    _interrupted = True


async def pause(seconds: float) -> None:
    """Wait ``seconds``: on the event loop when one runs, else by blocking this thread (a
    Ctrl-C meanwhile raises KeyboardInterrupt at the end of the wait)."""
    if loop_running():
        import asyncio

        await asyncio.sleep(seconds)
        return
    time.sleep(seconds)
    if _interrupted:
        raise KeyboardInterrupt


def in_a_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` in an event loop of its own (``asyncio.run``, which takes Ctrl-C its
    own way meanwhile), from code running without one (:func:`run_blocking`)."""
    import asyncio
    import signal

    if _interrupted:
        coro.close()
        raise KeyboardInterrupt
    mine = signal.getsignal(signal.SIGINT) is _on_interrupt
    if mine:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return asyncio.run(coro)
    finally:
        if mine:
            signal.signal(signal.SIGINT, _on_interrupt)
