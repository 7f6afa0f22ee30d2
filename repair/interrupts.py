"""SIGTERM and SIGHUP handled as Ctrl-C is: raised as an exception where the program was, so
every `with` and `finally` on the way out runs (test processes killed, temporary folders
removed, the user's files left whole) and the command can say what happened.

Python's default for SIGTERM and SIGHUP is to die at once, leaving all that behind. The command
line wraps a command in `interrupted_by_signals()`; `Terminated` is a KeyboardInterrupt, so the
code that handles Ctrl-C handles these too.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by a signal other than SIGINT."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """What a shell reports for a process that this signal ended (128 + its number)."""
        return 128 + self.signum


@contextmanager
def interrupted_by_signals(signals: tuple[int, ...] = SIGNALS) -> Iterator[None]:
    """While inside, each of `signals` raises `Terminated` once; later ones are ignored while the
    program cleans up (a second SIGTERM must not cut the clean-up short). Outside the main thread
    it does nothing: only that thread may handle signals."""
    previous = {}

    def handler(signum, frame):
        for number in signals:  # the clean-up runs to the end
            signal.signal(number, signal.SIG_IGN)
        raise Terminated(signum)

    try:
        for number in signals:
            previous[number] = signal.signal(number, handler)
    except ValueError:  # not the main thread
        for number, old in previous.items():
            signal.signal(number, old)
        previous.clear()
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
