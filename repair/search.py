"""Beam search over program states: validate ranked candidates, keep the states the tests say are
no worse, expand them in the next round.

A state is the project with some edits applied, and the tests failing in it (as the validator
runs them; `repair.states`). Expanding a state (a callback: coverage run, localisation, model,
ranking) adds its candidates to one pool (`repair.candidate_pool`). Candidates are validated best
first, `jobs` at a time: the state's failing tests first, then the rest of the suite, stopping as
soon as the candidate is worse than its state or changes nothing the failing tests see
(`repair.search_round`). A candidate that passes everything is verified once more and ends the
search. Otherwise the round's complete runs that are no worse than their state become partial
states; the best `beam` of them (fewest failing tests, then score) are expanded for the next
round, with the iteration feature advanced; a round without any goes on from the least worse
complete runs instead. Earlier states' untried candidates are kept, and a round alternates between
the new states' candidates and those. Every knob is a field of `repair.policy.SearchPolicy`.

Order is deterministic: results of a batch are read in the pool's order. Only the wall-clock
budget and timeouts of candidates can make two runs differ.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from repair.candidate_pool import CandidatePool
from repair.policy import SearchPolicy
from repair.rank import Candidate
from repair.search_budget import Budget, Ledger, Progress, SearchOutcome
from repair.search_round import Round, Verify
from repair.states import (
    AppliedEdit,
    State,
    StateTracker,
    behaviour,
    describe,
    state_key,
    timed_out,
)
from repair.validate import Validator

__all__ = [
    "AppliedEdit",
    "Budget",
    "Expand",
    "Search",
    "SearchOutcome",
    "State",
    "select_beam",
    "state_key",
    "timed_out",
]

Expand = Callable[[State, int], list[Candidate]]  # (state, iteration) -> ranked candidates


class Search:
    """One repair search; `run()` once."""

    def __init__(
        self,
        start: State,
        originals: Mapping[str, bytes],
        validator: Validator,
        expand: Expand,
        verify: Verify,
        budget: Budget,
        policy: SearchPolicy,
        progress: Progress | None = None,
    ):
        self.start = start
        self.expand_callback = expand
        self.budget = budget
        self.policy = policy
        self.outcome = SearchOutcome(fixed=None, best=start)
        self.pool = CandidatePool(policy.older_by_score)
        self.tracker = StateTracker(originals, start)
        self.ledger = Ledger(budget, self.outcome, validator, policy.looping_first, progress)
        self.round = Round(self.pool, self.tracker, self.ledger, verify, policy)

    def run(self) -> SearchOutcome:
        outcome, rounds = self.outcome, self.policy.rounds
        frontier = [self.start]
        for round_index in range(rounds):
            if self.ledger.out_of_budget():
                break
            outcome.rounds = round_index + 1
            self.pool.start_round()
            for state in frontier:
                self._expand(state, round_index)
                if self.ledger.out_of_budget():
                    break
            if not self.pool and not self.pool.open_reserve():
                outcome.stop_reason = "no candidates left"
                break
            left = self.budget.max_candidates - outcome.candidates_tried
            quota = math.ceil(left / (rounds - round_index))
            partial, worse = self.round.run(quota, last=round_index == rounds - 1)
            if outcome.fixed is not None:  # a plausible patch: look on for a likelier one
                self.round.run(self.budget.max_candidates, last=True, tail=True)
                outcome.stop_reason = "fixed"
                return outcome
            frontier = self.select_beam(partial) or self.select_beam(worse)
            if not frontier and not self.pool and not self.pool.reserve:
                outcome.stop_reason = "no candidates left"
                break
        if not outcome.stop_reason:
            outcome.stop_reason = self.ledger.budget_reason() or "rounds exhausted"
        return outcome

    def _expand(self, state: State, iteration: int) -> None:
        self.ledger.report(
            f"round {iteration + 1}: ranking edits of a state with {describe(state)}", force=True
        )
        self.pool.add(state, self.expand_callback(state, iteration))

    def select_beam(self, partial: Sequence[tuple[State, State]]) -> list[State]:
        """The states to expand next (at most `beam`, one per behaviour)."""
        return select_beam(partial, self.policy)


def select_beam(partial: Sequence[tuple[State, State]], policy: SearchPolicy) -> list[State]:
    """The states to expand next, from (parent, child) pairs: the children with fewer failing
    tests than the state they came from if there are any (fewest first), else those no worse;
    then by score. One per behaviour (`policy.distinct_beam`), at most `policy.beam`."""
    better = [
        (parent, child) for parent, child in partial if len(child.failing) < len(parent.failing)
    ]
    chosen = better or list(partial)
    ranked = sorted(
        enumerate(child for _, child in chosen),
        key=lambda item: (len(item[1].failing), -item[1].score, item[0]),
    )
    beam: list[State] = []
    seen: set = set()
    for _, state in ranked:
        key = behaviour(state, policy.distinct_beam)
        if key in seen:
            continue  # the tests cannot tell it from a likelier state already in the beam
        seen.add(key)
        beam.append(state)
        if len(beam) == policy.beam:
            break
    return beam
