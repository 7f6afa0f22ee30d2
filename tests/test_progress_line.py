"""Progress on stderr: a live line on a terminal (a fake TTY here), plain lines anywhere else."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from repair.fix import RepairConfig, fix
from repair.progress_line import ERASE_LINE, LiveLine, is_live_terminal, progress_display
from repair.search_budget import SearchProgress

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True

    def drawn(self) -> str:
        """What the terminal shows now: the text after the last erase."""
        return self.getvalue().rsplit(ERASE_LINE, 1)[-1]


def test_a_live_line_only_on_a_terminal_outside_ci():
    assert is_live_terminal(FakeTerminal(), environ={})
    assert not is_live_terminal(FakeTerminal(), environ={"CI": "true"})
    assert not is_live_terminal(FakeTerminal(), environ={"TERM": "dumb"})
    assert not is_live_terminal(io.StringIO(), environ={})


def test_the_live_line_shows_counts_time_left_and_the_phase():
    now = [100.0]
    terminal = FakeTerminal()
    line = LiveLine(terminal, deadline=130.0, width=200, clock=lambda: now[0], redraw_seconds=None)
    line("running the test suite under coverage")
    assert terminal.drawn() == "repair | 30 s left | running the test suite under coverage"
    now[0] = 112.4
    line(SearchProgress("round 1: ranking edits", 0, 0, 3))
    line(SearchProgress("40 candidates tried, 41 test runs, best so far: 1 failing", 40, 41, 1))
    assert terminal.drawn() == (
        "repair | 18 s left | 40 candidates, 41 test runs, best: 1 failing | round 1: ranking edits"
    )
    assert "\n" not in terminal.getvalue()
    line.close()
    assert terminal.getvalue().endswith(ERASE_LINE) and terminal.drawn() == ""


def test_the_live_line_fits_the_width_and_ticks_without_messages():
    now = [0.0]
    terminal = FakeTerminal()
    line = LiveLine(terminal, deadline=60.0, width=30, clock=lambda: now[0], redraw_seconds=0.01)
    try:
        line("a message far longer than thirty columns of terminal")
        assert len(terminal.drawn()) == 29
        now[0] = 50.0  # no message comes; the ticker redraws the time left
        waited = time.monotonic()
        while "10 s left" not in terminal.drawn() and time.monotonic() - waited < 5:
            time.sleep(0.01)
        assert terminal.drawn().startswith("repair | 10 s left")
    finally:
        line.close()


def test_plain_lines_elsewhere_and_the_line_erased_on_an_error():
    stream = io.StringIO()
    with progress_display(stream, deadline=None, environ={}) as say:
        say("running the test suite under coverage")
        say(SearchProgress("best so far: 1 failing", 3, 3, 1))
    assert stream.getvalue() == "running the test suite under coverage\nbest so far: 1 failing\n"
    terminal = FakeTerminal()
    with pytest.raises(KeyboardInterrupt):
        with progress_display(terminal, deadline=None, environ={}) as say:
            say("verifying the fix with a fresh pytest run")
            raise KeyboardInterrupt
    assert terminal.drawn() == ""


def test_a_real_repair_feeds_the_live_line_its_counts():
    case = FIXTURES / "text_stats_wrong_arithmetic"
    terminal = FakeTerminal()
    seen: list[str] = []
    line = LiveLine(terminal, deadline=time.monotonic() + 60, width=400, redraw_seconds=None)

    def progress(message: str) -> None:
        line(message)
        seen.append(terminal.drawn())

    config = RepairConfig(timeout=60, use_model=False, jobs=2, test_timeout=1.0)
    result = fix([case], [case / "tests"], config, progress=progress)
    line.close()
    assert result.status == "fixed"
    assert any(" candidates, " in text and "best: 1 failing" in text for text in seen), seen
    assert "best: 0 failing" in seen[-1] and "fixed after" in seen[-1]
