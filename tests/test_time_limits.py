"""Short time limits while validating (`repair.time_limits`): what they are from a first run, and
what the validator makes of a test cut at one: a "timeout", never "failed"; run again with the
full per-test timeout when it alone keeps a candidate from passing; and the budget of `repair
fix` holding while the model loads."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from repair import fix as fix_module
from repair.fix import NOT_FOUND, RepairConfig, fix
from repair.testrun import SuiteRun, TestResult
from repair.time_limits import LimitPolicy, TestLimits, limits_from_run
from repair.validate import Request, Validator

COUNTDOWN = "def count_down(n):\n    while n != 0:\n        n -= 2\n    return n\n"
COUNTDOWN_TESTS = """\
import time

from countdown import count_down


def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_odd_loops():
    assert count_down(3) == 0


def test_slow_but_passes():
    burn(0.3)  # CPU time: more than its short limit here, less than the full one
    assert count_down(4) == 0


def test_sleeps_and_passes():
    time.sleep(0.3)  # no CPU time: never cut by a short limit
    assert count_down(6) == 0


def test_odd_loops_again():
    assert count_down(5) == 0
"""
TESTS = "tests/test_countdown.py::"
LOOPS, SLOW, SLEEPS = (
    TESTS + name for name in ("test_odd_loops", "test_slow_but_passes", "test_sleeps_and_passes")
)


@pytest.fixture(scope="module")
def countdown(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("countdown")
    (root / "tests").mkdir()
    (root / "countdown.py").write_text(COUNTDOWN)
    (root / "tests" / "test_countdown.py").write_text(COUNTDOWN_TESTS)
    (root / "pytest.ini").write_text("[pytest]\n")
    return root


def suite(*results: tuple[str, str, float]) -> SuiteRun:
    return SuiteRun(
        results=[TestResult(nodeid, outcome, seconds, "") for nodeid, outcome, seconds in results],
        line_coverage={},
        collection_errors=[],
        wall_time=1.0,
        crashed=False,
        timed_out=False,
    )


def test_limits_follow_passing_times():
    run = suite(("fast", "passed", 0.001), ("slow", "passed", 0.4), ("bad", "failed", 0.002))
    policy = LimitPolicy(own_factor=5.0, slowest_factor=10.0, floor=0.05)
    limits = limits_from_run(run, policy, full=3.0)
    assert limits is not None
    assert limits.of("fast") == 0.05  # 5 x 1 ms, raised to the floor
    assert limits.of("slow") == pytest.approx(2.0)  # 5 x its own 0.4 s
    assert limits.of("bad") == 3.0  # 10 x the slowest pass (4 s), cut to the full limit
    assert limits.of("never ran") == limits.of("bad")
    assert limits_from_run(run, LimitPolicy(enabled=False), full=3.0) is None


def test_no_passing_test_gives_the_floor():
    run = suite(("loops", "timeout", 5.0), ("bad", "failed", 0.1))
    limits = limits_from_run(run, LimitPolicy(floor=0.07), full=2.0)
    assert limits is not None and limits.of("loops") == 0.07 and limits.own == {}


@pytest.fixture(scope="module")
def cutting(countdown):
    """Every test cut at 0.1 s of CPU time (the slow test spends 0.3 s), 10 s in full."""
    with Validator(
        countdown, ["tests"], jobs=1, per_test_timeout=10.0, candidate_timeout=60.0,
        limits=TestLimits(default=0.1),
    ) as validator:  # fmt: skip
        yield validator


def test_a_looping_candidate_is_cut_at_the_short_limit(cutting):
    looped = cutting.validate(Request({}, (LOOPS,), max_failures=0))
    assert looped.outcomes == {LOOPS: ("timeout", "timed out")}
    assert looped.cut == {LOOPS}  # at 0.2 s: not run again, the run stopped at it
    assert not looped.complete


def test_a_slow_test_that_decides_the_answer_runs_again_in_full(cutting):
    fixed = COUNTDOWN.replace("n -= 2", "n -= 1").encode()
    result = cutting.validate(Request({"countdown.py": fixed}, (LOOPS,), max_failures=None))
    assert result.all_passed  # the slow test, cut at 0.1 s of CPU, passed in full
    assert result.outcomes[SLOW][0] == "passed" and result.cut == frozenset()


def test_a_cut_test_is_a_timeout_not_a_failure(cutting):
    # count_down(3) now returns 1 (fails at once); count_down(4) still reaches 0, slowly
    stops_early = COUNTDOWN.replace("n != 0", "n > 1").encode()
    result = cutting.validate(Request({"countdown.py": stops_early}, (), max_failures=None))
    assert result.complete and result.outcomes[LOOPS][0] == "failed"
    # another test failed: the slow one is not run again, and is not called failing
    assert result.outcomes[SLOW] == ("timeout", "timed out") and result.cut == {SLOW}
    # waiting spends no CPU time: 0.3 s of sleep is not cut at 0.1 s
    assert result.outcomes[SLEEPS][0] == "passed"


def test_limits_set_later_reach_every_worker(countdown):
    with Validator(
        countdown, ["tests"], jobs=2, per_test_timeout=10.0, candidate_timeout=60.0
    ) as validator:
        request = Request({}, (SLOW,), rest=False, max_failures=None)
        assert [r.outcomes[SLOW][0] for r in validator.validate_many([request] * 2)] == [
            "passed",
            "passed",
        ]
        validator.limits = TestLimits(default=10.0, own={SLOW: 0.1})
        first = validator.validate_many([Request({}, (SLOW, LOOPS), rest=False)] * 2)
        assert all(r.cut == {SLOW} for r in first)  # cut at 0.1 s, then the run stopped
        validator.limits = None  # the full limit again
        again = validator.validate_many([request] * 2)
        assert all(r.outcomes[SLOW][0] == "passed" and not r.cut for r in again)


def test_the_budget_holds_while_the_model_loads(tmp_path, monkeypatch):
    def slow_load(config):
        time.sleep(30)
        raise AssertionError("not reached")

    monkeypatch.setattr(fix_module, "_load_scorer", slow_load)
    root = Path(__file__).parent / "data" / "hostile" / "base"
    result = fix([root / "src"], [root / "tests"], RepairConfig(timeout=4.0, jobs=1))
    assert result.status == NOT_FOUND
    assert result.stop_reason == "time budget spent loading the model"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the start from /proc")
def test_the_command_counts_its_budget_from_the_process_start():
    script = (
        "import time; time.sleep(0.5); from repair.cli import process_age; print(process_age())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    age = float(done.stdout)
    assert age >= 0.5  # the sleep before the import counts
    assert age < 600


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the start from /proc")
def test_a_shell_that_execs_repair_does_not_spend_its_budget():
    # `bash -c 'sleep 12 && exec python ...'`: the process keeps the shell's start time, 12 s
    # before Python started; only the capped pre-entry time counts against the budget.
    script = (
        "import time, repair.cli as cli; cli.entry.__globals__['app'] = lambda **k: None; "
        "start = time.monotonic(); "
        "import sys; sys.argv = ['repair', 'localize']\n"
        "try:\n    cli.entry()\nexcept SystemExit:\n    pass\n"
        "print(start - cli._process_started, cli.process_age())"
    )
    done = subprocess.run(
        ["bash", "-c", 'sleep 12 && exec "$0" -c "$1"', sys.executable, script],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    counted, age = map(float, done.stdout.split())
    assert age >= 12 and counted <= 10.0 + 1.0
