"""One round of the search: validate queued candidates, `jobs` at a time, until the round's quota
is spent or it has found what the next round goes on from.

A candidate that passes every test (or one of its likelier alternatives, `repair.alternatives`)
is verified once more (a callback: a fresh pytest run under the user's configuration) and ends
the search (after it, `SearchPolicy.plausible_share` more of the queue is tried for other
passing patches). Otherwise a complete run no worse than its state is a partial fix, and one
worse is kept aside (`SearchPolicy.worse_fallback`); a real-fix operator's candidate
(`repair.operators`) is neither unless `real_partial_fixes`. The round ends `round_patience`
candidates after its first partial fix with fewer failing tests than any state before, or sooner
once nothing left in it is nearly as likely as that partial fix's edit (`patience_probability`),
or as soon as `beam` distinct improving behaviours are found.
"""

from __future__ import annotations

from collections.abc import Callable

from repair.alternatives import likeliest_passing
from repair.candidate_pool import CandidatePool
from repair.policy import SearchPolicy
from repair.rank import KIND_OF_REAL, Candidate
from repair.search_budget import Ledger
from repair.states import State, StateTracker, behaviour, describe

Verify = Callable[[State], bool]
Pairs = list[tuple[State, State]]  # (parent, child)


class Round:
    def __init__(
        self,
        pool: CandidatePool,
        tracker: StateTracker,
        ledger: Ledger,
        verify: Verify,
        policy: SearchPolicy,
    ):
        self.pool = pool
        self.tracker = tracker
        self.ledger = ledger
        self.verify = verify
        self.policy = policy

    def run(self, quota: int, last: bool = False, tail: bool = False) -> tuple[Pairs, Pairs]:
        """Validate up to `quota` candidates (in the `last` round, the pool's reserve too, once
        the rest is tried); returns (parent, child) for each partial fix, and for each complete
        run that was worse than its state (with `worse_fallback`). A verified fix is left in the
        ledger's outcome, and ends the round; with `tail` (after a fix) the round goes on, for
        more passing patches only, until the ledger's budget (its after-fix limit) is spent."""
        outcome, policy = self.ledger.outcome, self.policy
        partial: Pairs = []
        worse: Pairs = []
        improving: set = set()  # behaviours of the states that made progress
        tried = 0
        first_improvement_at: int | None = None
        likely_floor = 0.0  # model probability an untried candidate needs to keep the round going
        best_before = len(outcome.best.failing)
        while tried < quota and not self.ledger.out_of_budget():
            batch = self._batch(min(self.ledger.budget.jobs, quota - tried), last)
            if not batch:
                break
            results = self.ledger.validate(batch, stop_after=None)
            tried += len(batch)
            for (state, candidate, files), result in zip(batch, results):
                child = self.tracker.child(state, candidate, files, result)
                if child is None:
                    continue
                # a real-fix operator's candidate counts only as a whole fix
                builds_on = candidate.kind not in KIND_OF_REAL or policy.real_partial_fixes
                if len(child.failing) > len(state.failing):
                    if policy.worse_fallback and not child.timed_out and builds_on:
                        worse.append((state, child))
                    continue
                if not child.failing:
                    if self._verified(state, candidate, child) and not tail:
                        return partial, worse
                    continue
                if tail:
                    continue  # after a fix only passing patches matter
                if not builds_on:
                    continue
                partial.append((state, child))
                if len(child.failing) < best_before:  # progress beyond every earlier state
                    improving.add(behaviour(child, policy.distinct_beam))
                    if first_improvement_at is None:
                        first_improvement_at = tried
                        likely_floor = policy.patience_probability * candidate.model_probability
                if len(child.failing) < len(outcome.best.failing):
                    outcome.best = child
                    self.ledger.report(f"best so far: {describe(child)}", force=True)
            self.ledger.report(
                f"{outcome.candidates_tried} candidates tried, {outcome.test_runs} test runs, "
                f"best so far: {len(outcome.best.failing)} failing"
            )
            if tail or (last and policy.last_round_to_the_end):
                continue  # no round comes after this one to go on from its partial fixes
            if len(improving) >= policy.beam or (
                first_improvement_at is not None
                and (
                    tried - first_improvement_at >= policy.round_patience
                    or (likely_floor > 0 and not self.pool.any_fresh_as_likely(likely_floor))
                )
            ):
                break  # better states to expand: go on from them
        return partial, worse

    def _batch(self, size: int, use_reserve: bool) -> list[tuple[State, Candidate, dict]]:
        """Up to `size` queued candidates that lead to programs not validated yet."""
        batch: list[tuple[State, Candidate, dict[str, bytes]]] = []
        while len(batch) < size:
            picked = self.pool.next(use_reserve)
            if picked is None:
                break
            state, candidate = picked
            files = self.tracker.unseen(state, candidate)
            if files is not None:
                batch.append((state, candidate, files))
        return batch

    def _verified(self, state: State, candidate: Candidate, child: State) -> bool:
        """Verify `child` (all tests pass) and its likelier passing alternatives, best first;
        each that the fresh run confirms joins the outcome's passing patches, the first is its
        fix. Whether any was confirmed."""
        outcome, policy = self.ledger.outcome, self.policy
        confirmed = False
        for passing in likeliest_passing(
            state,
            candidate,
            child,
            limit=policy.natural_alternatives,
            pool=self.pool,
            tracker=self.tracker,
            ledger=self.ledger,
        ):
            if len(outcome.passing) >= policy.max_plausible:
                break
            outcome.test_runs += 1
            if not self.verify(passing):
                outcome.rejected_by_verification += 1
                continue
            confirmed = True
            outcome.passing.append(passing)
            if outcome.fixed is None:
                outcome.fixed = outcome.best = passing
                self.ledger.limit_after_fix(policy)
                self.ledger.report(
                    f"fixed after {outcome.candidates_tried} candidates: {describe(passing)}; "
                    "looking for a likelier patch",
                    force=True,
                )
            else:
                self.ledger.report(f"another passing patch: {describe(passing)}", force=True)
            if policy.plausible_share <= 0:
                break  # the first verified patch is the answer
        if len(outcome.passing) >= policy.max_plausible:
            self.ledger.after_fix_limit = outcome.candidates_tried  # enough to choose from
        return confirmed
