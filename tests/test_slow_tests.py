"""Slow, not failing (`repair.slow_tests`): a test that only times out while another fails
outright is run again with a longer limit, and one that then passes is no target of the search."""

from __future__ import annotations

from pathlib import Path

import pytest

from repair.fix import FIXED, RepairConfig, fix
from repair.slow_tests import slow_tests
from repair.time_limits import LimitPolicy, TestLimits, slow_limits
from repair.validate import Validation

CALC = "def add(a, b):\n    return a - b\n"
CALC_TESTS = """\
import time

from calc import add


def test_add():
    assert add(2, 3) == 5


def test_slow():  # CPU time past the per-test timeout, under coverage or not
    end = time.process_time() + 1.2
    while time.process_time() < end:
        pass
    assert add(0, 0) == 0
"""


class _NoValidator:
    per_test_timeout = 0.5
    candidate_timeout = 10.0
    limits = None

    def validate(self, request):
        raise AssertionError("nothing should run again")


def test_a_lone_timeout_is_the_bug_and_runs_no_more():
    baseline = Validation({"t::loops": ("timeout", "timed out")}, collected=1)
    assert slow_tests(_NoValidator(), baseline, ["t::loops"], LimitPolicy(), 1e12) == {}


def test_no_time_left_runs_nothing_again():
    baseline = Validation({"t::a": ("failed", "x"), "t::b": ("timeout", "")}, collected=2)
    # half of what is left (0.45 s) is no more than the per-test timeout (0.5 s)
    import time

    deadline = time.monotonic() + 0.9
    assert slow_tests(_NoValidator(), baseline, ["t::a", "t::b"], LimitPolicy(), deadline) == {}


class _Recorder(_NoValidator):
    def validate(self, request):
        self.seen = (self.per_test_timeout, self.candidate_timeout, self.limits, request.first)
        return Validation({nodeid: ("passed", "") for nodeid in request.first}, collected=3)


def test_the_tests_run_again_share_one_part_of_the_time_left():
    import time

    baseline = Validation(
        {"t::a": ("failed", "x"), "t::b": ("timeout", ""), "t::c": ("timeout", "")}, collected=3
    )
    validator, policy = _Recorder(), LimitPolicy(slow_timeout_factor=4.0, slow_budget_share=0.5)
    found = slow_tests(validator, baseline, ["t::a", "t::b", "t::c"], policy, time.monotonic() + 3)
    assert set(found) == {"t::b", "t::c"}  # passed when given longer: slow, not failing
    per_test, per_candidate, limits, first = validator.seen
    assert first == ("t::b", "t::c") and limits is None  # the timed-out ones, no short limits
    # each up to 4 x 0.5 s, but both within half of the ~3 s left, on top of the usual 10 s
    assert per_test == pytest.approx(1.5, abs=0.05)
    assert per_candidate == pytest.approx(10.0 + 1.5, abs=0.05)
    assert (validator.per_test_timeout, validator.candidate_timeout) == (0.5, 10.0)  # restored


def test_slow_limits_are_wall_limits_of_their_own():
    limits = TestLimits(default=0.2, own={"t::slow": 2.0, "t::fast": 0.05})
    policy = LimitPolicy(slow_factor=2.0)
    out = slow_limits(limits, {"t::slow": 1.5, "t::quick": 0.1}, policy, full=0.5, longest=2.5)
    assert out.slow == {"t::slow": 2.5, "t::quick": 0.5}  # 2 x 1.5 cut to 2.5; 0.2 raised to 0.5
    assert out.own == {"t::fast": 0.05} and out.default == 0.2  # no short limit for slow tests
    assert out.to_json()["slow"] == out.slow


@pytest.fixture()
def calc(tmp_path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "calc.py").write_text(CALC)
    (tmp_path / "tests" / "test_calc.py").write_text(CALC_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return tmp_path


def test_a_slow_test_is_no_target_and_the_bug_is_fixed(calc):
    messages = []
    config = RepairConfig(use_model=False, timeout=60.0, test_timeout=0.5, jobs=1)
    result = fix([calc / "calc.py"], [calc / "tests"], config, progress=messages.append)
    assert any("slow test(s)" in m and "test_slow" in m for m in messages), messages
    # without it test_slow stays a target that times out whatever the edit, and nothing passes
    assert result.status == FIXED and result.verified
    assert "a + b" in result.diff
    # the first run's fact stays in failing_before; slow_tests says which of them were only slow
    slow = [nodeid for nodeid in result.failing_before if nodeid.endswith("test_slow")]
    assert slow and result.slow_tests == slow and result.to_json()["slow_tests"] == slow
