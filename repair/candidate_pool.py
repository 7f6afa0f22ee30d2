"""The search's queue of untried candidates: this round's, and what earlier rounds left.

A round alternates between the new states' candidates and earlier rounds' leftovers, so a spurious
partial fix (fewer failing tests by coincidence) cannot starve the candidates of the state that
holds the real one. This round's candidates are taken by (fewest failing tests of their state,
score, discovery order); earlier rounds' by (score, discovery order) with the policy's
`older_by_score`, else as this round's.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator

from repair.rank import Candidate
from repair.states import State

# (failing tests of the state, -score, discovery order, state, candidate)
Entry = tuple[int, float, int, State, Candidate]


class CandidatePool:
    def __init__(self, older_by_score: bool):
        self.older_by_score = older_by_score
        self.fresh: list[Entry] = []  # this round's expansions (a heap)
        self.older: list[Entry] = []  # what earlier rounds left untried (a heap)
        self.take_fresh = True
        self.order = itertools.count()

    def start_round(self) -> None:
        """This round's untried candidates become earlier rounds' leftovers."""
        for entry in self.fresh:
            heapq.heappush(self.older, (0, *entry[1:]) if self.older_by_score else entry)
        self.fresh = []

    def add(self, state: State, candidates: Iterable[Candidate]) -> None:
        """`state`'s candidates, best first, into this round's queue."""
        for candidate in candidates:
            heapq.heappush(
                self.fresh,
                (len(state.failing), -candidate.score, next(self.order), state, candidate),
            )

    def __bool__(self) -> bool:
        return bool(self.fresh or self.older)

    def next(self) -> tuple[State, Candidate] | None:
        """Alternate between this round's candidates and earlier rounds' leftovers."""
        pools = [self.fresh, self.older] if self.take_fresh else [self.older, self.fresh]
        self.take_fresh = not self.take_fresh
        for pool in pools:
            if pool:
                _, _, _, state, candidate = heapq.heappop(pool)
                return state, candidate
        return None

    def any_fresh_as_likely(self, probability: float) -> bool:
        """Whether an untried candidate of this round has at least this model probability."""
        return any(entry[4].model_probability >= probability for entry in self.fresh)

    def untried_of(self, state: State) -> Iterator[tuple[int, Candidate]]:
        """(discovery order, candidate) of every untried candidate of `state`."""
        for pool in (self.fresh, self.older):
            for _, _, order, parent, candidate in pool:
                if parent is state:
                    yield order, candidate
