"""What a search may spend (`Budget`), what it spent and found (`SearchOutcome`), and `Ledger`,
through which every validation goes: it runs a batch, counts candidates, test runs and how each
validation ended, says when the budget is spent, and reports progress (`SearchProgress`: a message
that also carries the counts, for a live display)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from repair.policy import SearchPolicy
from repair.rank import Candidate
from repair.states import State, timed_out
from repair.validate import Request, Validation, Validator

Progress = Callable[[str], None]


class SearchProgress(str):
    """A progress message with the search's counts at the time, for a live display
    (`repair.progress_line`); any other reader of `Progress` sees the message, a plain `str`."""

    candidates_tried: int
    test_runs: int
    best_failing: int  # tests failing in the best state so far

    def __new__(cls, message: str, candidates_tried: int, test_runs: int, best_failing: int):
        report = super().__new__(cls, message)
        report.candidates_tried = candidates_tried
        report.test_runs = test_runs
        report.best_failing = best_failing
        return report


@dataclass(frozen=True)
class Budget:
    deadline: float  # time.monotonic() by which the search stops
    max_candidates: int
    jobs: int


@dataclass
class SearchOutcome:
    fixed: State | None  # the verified state, or None
    best: State  # the state with the fewest failing tests seen (the start when none is better)
    candidates_tried: int = 0
    test_runs: int = 0  # pytest sessions here: validations and verifications
    rounds: int = 0  # rounds started
    stop_reason: str = ""
    rejected_by_verification: int = 0
    # how validations ended: "passed", "failed", "worse", "unchanged", "test timeout",
    # "crashed", "timeout" (the candidate's own limit), "collection error"
    outcomes: dict[str, int] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    # every verified passing state, in the order found (`fixed` is the first; the search goes on
    # after it for `SearchPolicy.plausible_share` of its candidates, `repair.patch_choice` ranks)
    passing: list[State] = field(default_factory=list)
    # tests that only timed out and pass when given longer (`repair.slow_tests`): no targets
    slow: list[str] = field(default_factory=list)


class Ledger:
    def __init__(
        self,
        budget: Budget,
        outcome: SearchOutcome,
        validator: Validator,
        looping_first: int,
        progress: Progress | None = None,
    ):
        self.budget = budget
        self.outcome = outcome
        self.validator = validator
        self.looping_first = looping_first  # SearchPolicy.looping_first
        self.progress = progress or (lambda message: None)
        self.last_report = 0.0
        self.after_fix_limit: int | None = None  # candidates tried at most once a fix is found
        self.after_fix_deadline = math.inf  # ... and the time by which the search then stops

    def validate(
        self, batch: Sequence[tuple[State, Candidate, dict[str, bytes]]], stop_after: int | None
    ) -> list[Validation]:
        """Validate a batch (each candidate stops after `stop_after` failures, None: once worse
        than its state) and count it: candidates, test runs, how each validation ended."""
        requests = [
            Request(
                files=files,
                first=state.first_tests(self.looping_first),
                rest=True,
                only=candidate.tests,
                max_failures=len(state.failing) if stop_after is None else stop_after,
                baseline=state.messages,
            )
            for state, candidate, files in batch
        ]
        results = self.validator.validate_many(requests)
        outcome = self.outcome
        outcome.candidates_tried += len(batch)
        outcome.test_runs += len(batch)
        for (state, _, _), result in zip(batch, results):
            kind = classify(result, len(state.failing))
            outcome.outcomes[kind] = outcome.outcomes.get(kind, 0) + 1
        return results

    def limit_after_fix(self, policy: SearchPolicy) -> None:
        """A fix was found: go on for `plausible_share` of the candidates spent so far (at
        least `plausible_min_candidates`) and at most that share of the time left."""
        tried = self.outcome.candidates_tried
        extra = math.ceil(policy.plausible_share * tried)
        if policy.plausible_share > 0:
            extra = max(extra, policy.plausible_min_candidates)
        self.after_fix_limit = tried + extra
        now = time.monotonic()
        self.after_fix_deadline = now + policy.plausible_share * max(
            0.0, self.budget.deadline - now
        )

    def budget_reason(self) -> str:
        if time.monotonic() > self.budget.deadline:
            return "time budget spent"
        if self.outcome.candidates_tried >= self.budget.max_candidates:
            return "candidate budget spent"
        if self.after_fix_limit is not None and (
            self.outcome.candidates_tried >= self.after_fix_limit
            or time.monotonic() > self.after_fix_deadline
        ):
            return "fixed"
        return ""

    def out_of_budget(self) -> bool:
        return bool(self.budget_reason())

    def report(self, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last_report >= 1.0:
            self.last_report = now
            self.outcome.log.append(message)
            outcome = self.outcome
            self.progress(
                SearchProgress(
                    message, outcome.candidates_tried, outcome.test_runs, len(outcome.best.failing)
                )
            )


def classify(result: Validation, failing_before: int) -> str:
    """How a validation ended (the keys of `SearchOutcome.outcomes`)."""
    if result.status.startswith("crashed") or result.status == "worker lost":
        return "crashed"
    if result.status == "timeout":
        return "timeout"
    if result.collection_errors:
        return "collection error"
    if timed_out(result):
        return "test timeout"
    if result.all_passed:
        return "passed"
    if not result.complete:
        return "worse" if len(result.failed) > failing_before else "unchanged"
    return "failed"
