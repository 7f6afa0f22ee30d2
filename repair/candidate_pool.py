"""The search's queue of untried candidates: this round's, and what earlier rounds left.

A round alternates between the new states' candidates and earlier rounds' leftovers, so a spurious
partial fix (fewer failing tests by coincidence) cannot starve the candidates of the state that
holds the real one. This round's candidates are taken by (fewest failing tests of their state,
score, discovery order); earlier rounds' by (score, discovery order) with the policy's
`older_by_score`, else as this round's. Deferred candidates (beyond the first `max_options` of
their token, `repair.rank`) wait in a reserve, by (turn, score) (`Candidate.turn`: 0 for all
unless `SearchPolicy.reserve_by_kind`), until the last round has tried every
other candidate, or the search would otherwise stop for want of candidates.
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
        self.reserve: list[Entry] = []  # deferred candidates of every round (a heap, by score)
        self.take_fresh = True
        self.order = itertools.count()

    def start_round(self) -> None:
        """This round's untried candidates become earlier rounds' leftovers."""
        for entry in self.fresh:
            heapq.heappush(self.older, (0, *entry[1:]) if self.older_by_score else entry)
        self.fresh = []

    def open_reserve(self) -> bool:
        """With nothing else queued, the reserve becomes the leftovers; False if it is empty."""
        if self.fresh or self.older or not self.reserve:
            return False
        self.older, self.reserve = self.reserve, []
        return True

    def add(self, state: State, candidates: Iterable[Candidate]) -> None:
        """`state`'s candidates, best first, into this round's queue (or the reserve)."""
        for candidate in candidates:
            order = next(self.order)
            if candidate.deferred:
                entry = (candidate.turn, -candidate.score, order, state, candidate)
                heapq.heappush(self.reserve, entry)
            else:
                entry = (len(state.failing), -candidate.score, order, state, candidate)
                heapq.heappush(self.fresh, entry)

    def __bool__(self) -> bool:
        """Whether anything but the reserve is queued."""
        return bool(self.fresh or self.older)

    def next(self, use_reserve: bool = False) -> tuple[State, Candidate] | None:
        """Alternate between this round's candidates and earlier rounds' leftovers; then, with
        `use_reserve`, the reserve's."""
        pools = [self.fresh, self.older] if self.take_fresh else [self.older, self.fresh]
        self.take_fresh = not self.take_fresh
        for pool in [*pools, self.reserve] if use_reserve else pools:
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
