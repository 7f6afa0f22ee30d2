"""Progress of a repair on stderr: one live line on a terminal, plain lines anywhere else.

On a terminal (the stream is a TTY, `CI` is not set, `TERM` is not `dumb`) one line is redrawn
in place with `\\r` and erase-to-end-of-line: seconds left, candidates tried, test runs, tests
failing in the best state so far, and the latest message, cut to the terminal's width. A ticker
thread redraws it twice a second, so the time left moves while the tests run; the line is
erased when the display closes, before anything else is printed. The counts come from the
search's `SearchProgress` messages (`repair.search_budget`). Anywhere else (a pipe, a file, CI)
each message is a line of its own, as before.

Hand-rolled rather than rich's `Live`: one line needs no layout, and `Live` redirects the
process's stdout and stderr while it runs, which the tests and the signal paths of `repair fix`
would have to know about.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

Progress = Callable[[str], None]
REDRAW_SECONDS = 0.5  # how often the ticker redraws the live line
ERASE_LINE = "\r\x1b[K"  # back to the line's start, erase to its end


def is_live_terminal(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether `stream` is a terminal a live line suits (not in CI, not a dumb terminal)."""
    environ = os.environ if environ is None else environ
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
    return tty and not environ.get("CI") and environ.get("TERM") != "dumb"


class LiveLine:
    """The live line; call it with each progress message, `close()` it when done."""

    def __init__(
        self,
        stream: TextIO,
        deadline: float | None = None,
        width: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        redraw_seconds: float | None = REDRAW_SECONDS,
    ):
        self.stream = stream
        self.deadline = deadline  # clock() time at which the run's budget ends
        self.width = width  # None: the terminal's, read at each redraw
        self.clock = clock
        self.message = ""
        self.counts: tuple[int, int, int] | None = None  # candidates, test runs, best failing
        self.lock = threading.Lock()
        self.closed = threading.Event()
        self.ticker = None
        if redraw_seconds:
            self.ticker = threading.Thread(
                target=self._tick, args=(redraw_seconds,), name="repair-progress", daemon=True
            )
            self.ticker.start()

    def __call__(self, message: str) -> None:
        with self.lock:
            if hasattr(message, "candidates_tried"):  # a SearchProgress
                self.counts = (message.candidates_tried, message.test_runs, message.best_failing)
                if message.startswith(f"{message.candidates_tried} candidates tried"):
                    message = ""  # the periodic count, which the line shows already
            self.message = str(message) or self.message
            self._draw()

    def text(self) -> str:
        """The line as it is drawn now, before cutting it to the width."""
        parts = ["repair"]
        if self.deadline is not None:
            parts.append(f"{max(0.0, self.deadline - self.clock()):.0f} s left")
        if self.counts is not None:
            candidates, runs, failing = self.counts
            parts.append(f"{candidates} candidates, {runs} test runs, best: {failing} failing")
        if self.message:
            parts.append(self.message)
        return " | ".join(parts)

    def close(self) -> None:
        """Stop the ticker and erase the line."""
        self.closed.set()
        if self.ticker is not None:
            self.ticker.join()
        with self.lock:
            self._write(ERASE_LINE)

    def _tick(self, seconds: float) -> None:
        while not self.closed.wait(seconds):
            with self.lock:
                if not self.closed.is_set():
                    self._draw()

    def _draw(self) -> None:
        width = self.width or shutil.get_terminal_size().columns
        self._write(ERASE_LINE + self.text()[: max(1, width - 1)])

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is not worth a crash
            pass


def plain_lines(stream: TextIO) -> Progress:
    """Each message on a line of its own."""

    def say(message: str) -> None:
        stream.write(f"{message}\n")
        stream.flush()

    return say


@contextmanager
def progress_display(
    stream: TextIO, deadline: float | None = None, environ: Mapping[str, str] | None = None
) -> Iterator[Progress]:
    """The progress callback for `stream`: a `LiveLine` on a terminal (erased on leaving, even
    on an exception), plain lines elsewhere."""
    if not is_live_terminal(stream, environ):
        yield plain_lines(stream)
        return
    line = LiveLine(stream, deadline)
    try:
        yield line
    finally:
        line.close()
