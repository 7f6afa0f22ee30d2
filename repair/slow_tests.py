"""Slow, not failing: a test that timed out may only be slow (a threaded or numeric test that
takes longer than the per-test timeout even without coverage), and a target no edit can make
pass starves the search. When some tests fail outright and others only time out, the latter run
once more with a longer limit (each at most `slow_timeout_factor` times the per-test timeout,
all together at most `slow_budget_share` of the time left); those that pass are slow tests: not
targets, and validated from then on with a wall limit of their own
(`repair.time_limits.slow_limits`). With no outright failure every timeout is the bug's symptom
(a loop), and nothing is run again."""

from __future__ import annotations

import time
from collections.abc import Sequence

from repair.time_limits import LimitPolicy
from repair.validate import Request, Validation, Validator


def slow_tests(
    validator: Validator,
    baseline: Validation,
    failing: Sequence[str],
    policy: LimitPolicy,
    deadline: float,
) -> dict[str, float]:
    """Node id -> seconds of the timed-out tests in `failing` that pass given longer."""
    outcomes = {nodeid: baseline.outcomes.get(nodeid, ("", ""))[0] for nodeid in failing}
    timed_out = [nodeid for nodeid, outcome in outcomes.items() if outcome == "timeout"]
    if not timed_out or not any(o in ("failed", "error") for o in outcomes.values()):
        return {}
    share = policy.slow_budget_share * (deadline - time.monotonic())  # all of them together
    longest = min(policy.slow_timeout_factor * validator.per_test_timeout, share)
    if longest <= validator.per_test_timeout:
        return {}
    saved = validator.per_test_timeout, validator.candidate_timeout, validator.limits
    validator.per_test_timeout = longest
    validator.candidate_timeout = min(longest * len(timed_out), share) + saved[1]
    validator.limits = None  # no short limits: the full, longer one for each
    try:
        again = validator.validate(Request({}, tuple(timed_out), rest=False, max_failures=None))
    finally:
        validator.per_test_timeout, validator.candidate_timeout, validator.limits = saved
    return {
        nodeid: again.durations.get(nodeid, longest)
        for nodeid, (outcome, _) in again.outcomes.items()
        if outcome == "passed"
    }
