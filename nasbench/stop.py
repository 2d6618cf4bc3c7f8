"""Clean ends for long runs: the signals that stop a build or a live search, and workers that
die with their parent.

``stop_on_signals()`` turns SIGTERM, SIGHUP and SIGINT into :class:`Stopped` (a
``KeyboardInterrupt``) in the main thread, so ``kill PID``, a closed terminal and Ctrl-C all
take the Ctrl-C path: workers stopped, finished results flushed to shards, the table
compacted, the lock released. After the first signal the others are ignored until the block
ends, so a second Ctrl-C cannot cut the flush short; ``defer=True`` only records signals.
The previous handlers come back on exit.

``watch_parent(pid)`` (run in each pool worker) exits the worker when its parent is gone, so
a builder killed with SIGKILL leaves no worker behind.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class Stopped(KeyboardInterrupt):
    """A run stopped by signal ``signum`` (exit status 128 + signum, as the shell reports)."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def exit_status(exc: BaseException) -> int:
    """128 + the signal that stopped the run (130 for a plain KeyboardInterrupt)."""
    return 128 + getattr(exc, "signum", signal.SIGINT)


@contextmanager
def stop_on_signals(defer: bool = False):
    """Within the block, SIGTERM / SIGHUP / SIGINT raise :class:`Stopped` (or, with ``defer``,
    are only recorded in the yielded list: for work that must finish, like a compaction).
    Main thread only; elsewhere this does nothing (Python delivers signals there)."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}

    def handler(signum, frame):
        caught.append(signum)
        if not defer:
            for s in STOP_SIGNALS:
                signal.signal(s, signal.SIG_IGN)
            raise Stopped(signum)

    for s in STOP_SIGNALS:
        signal.signal(s, handler)
    try:
        yield caught
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def watch_parent(parent: int, interval: float = 0.5) -> None:
    """Start a daemon thread that ends this process as soon as ``parent`` is no longer its
    parent (the parent died and this process was re-parented)."""
    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
