"""How long each test may run while candidates are validated: what tests take when they pass.

A candidate that still loops should be dropped in milliseconds, not after the per-test timeout
of the first run. So each test gets a short limit from the first (coverage) run: a test that
passed there, `own_factor` times its own time; any other (it failed, looped, or did not run),
`slowest_factor` times the slowest passing test; never less than `floor`, never more than the
full per-test timeout. The short limit is on the CPU time the test spends (a loop spends it; a
test that sleeps or waits, or that a busy machine's scheduler holds back, does not), the full
per-test timeout stays on the wall clock. The first run's durations are wall-clock times under
coverage, at least the CPU time the same test spends while validating: a margin of their own.

A test cut at its short limit is reported as "timeout", never "failed" (`repair.validate`): it
counts as not passing for the early-stop rules, so a looping candidate stops at once; and when a
candidate's run ends with every other test passing, the cut tests run again with the full
per-test timeout before the answer is given, so a slow test that passes is not what keeps a fix
from passing. A candidate stopped early by a cut test is dropped as a failing one would be
(presumed to loop, as the first run presumes of a test stuck where another one looped).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from repair.testrun import SuiteRun


@dataclass(frozen=True)
class LimitPolicy:
    """The knobs of the short limits; each default says which data chose it."""

    # Chosen on the development split (`bench/time_limits_fit.py`: the 31 realbugs dev bugs and
    # 15 of the fixtures, bench/results/time_limits_fit.txt), where no test passing in the first
    # run took more than max(0.01 s, 2x its first-run time) in a validation (3 repetitions;
    # wall-clock times, so at least their CPU times), and the human fix's tests at most 6.6x
    # the slowest passing test of the buggy run (more-itertools-3; 5x would have cut it). Each
    # with a margin of 2x or more: 5x, 10x, 0.02 s. The floor sets what a candidate that still
    # loops costs on fast suites (two looping tests, the search's looping_first, then it stops):
    # on the looping programs (`bench/validate_bench.py --looping`, 2 jobs, load 4-6) 0.02 s
    # took 42-95 ms of CPU per candidate against 51-90 ms at 0.03 s (bench/results/
    # validate_bench.txt).
    own_factor: float = 5.0  # a test that passed in the first run: times its own time
    slowest_factor: float = 10.0  # any other: times the slowest passing test
    floor: float = 0.02  # CPU seconds, at least: timer granularity, a test's own noise
    enabled: bool = True  # False: every test gets the full per-test timeout (as before)
    # Slow, not failing: when some tests fail outright and others only time out, the latter run
    # once more (no coverage) with slow_timeout_factor times the per-test timeout each, all of
    # them within slow_budget_share of the time left; those that pass are slow tests, not
    # targets, and keep slow_factor times that run's time as their wall limit. Dev real bugs
    # more-itertools-1 / -2: one test each takes 5.0 s / 9.7 s under plain pytest (the per-test
    # timeout is 5 s), so the search had a target no edit could make pass. On a slower machine
    # (5.8 s / 14.9 s, the coverage run leaving 16-21 s / 34-39 s of 60) a quarter of the time
    # left was too short for them: 2 runs each, --no-model, 6 / 6 and 10 / 18 candidates in 60 s
    # at 0.25, 348 / 36 and 510 / 768 at 0.5, their slow tests found in every run at 0.5 and in
    # none at 0.25 (neither bug's fix is in reach: no outcome changes).
    slow_timeout_factor: float = 4.0
    slow_budget_share: float = 0.5
    slow_factor: float = 2.0


@dataclass(frozen=True)
class TestLimits:
    """Seconds each test may run in a candidate before it is cut (then run again with the full
    per-test timeout if its outcome decides the answer)."""

    __test__ = False  # not a pytest test class

    default: float  # a test with no passing time
    own: dict[str, float] = field(default_factory=dict)  # node id -> seconds
    # node id -> wall seconds, above the per-test timeout, for a test known to be slow: it timed
    # out in the first run and passed when given longer (`slow_limits`); no short limit
    slow: dict[str, float] = field(default_factory=dict)

    def of(self, nodeid: str) -> float:
        return self.own.get(nodeid, self.default)

    def to_json(self) -> dict:
        return {"default": self.default, "own": self.own, "slow": self.slow}


def limits_from_run(run: SuiteRun, policy: LimitPolicy, full: float) -> TestLimits | None:
    """The short limits the first run's durations give (None: the policy turns them off); none
    above `full`, the per-test timeout."""
    if not policy.enabled:
        return None
    passing = {r.nodeid: r.duration for r in run.results if r.outcome == "passed"}
    slowest = max(passing.values(), default=0.0)
    default = min(full, max(policy.floor, policy.slowest_factor * slowest))
    own = {
        nodeid: min(full, max(policy.floor, policy.own_factor * seconds))
        for nodeid, seconds in passing.items()
    }
    return TestLimits(default, own)


def slow_limits(
    limits: TestLimits,
    durations: dict[str, float],
    policy: LimitPolicy,
    full: float,
    longest: float,
) -> TestLimits:
    """`limits` with the tests that passed in `durations` (seconds) as slow tests: each may run
    `policy.slow_factor` times its time on the wall clock, at least `full`, at most `longest`."""
    slow = {
        nodeid: min(longest, max(full, policy.slow_factor * seconds))
        for nodeid, seconds in durations.items()
    }
    own = {nodeid: seconds for nodeid, seconds in limits.own.items() if nodeid not in slow}
    return TestLimits(limits.default, own, {**limits.slow, **slow})
