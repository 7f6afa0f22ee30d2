"""Beam search over program states: validate ranked candidates, keep the states the tests say are
no worse, expand them in the next round.

A state is the project with some edits applied, and the tests failing in it (as the validator
runs them). Expanding a state (a callback: coverage run, localisation, model, ranking) adds its
candidates to one pool. Candidates are validated best first, `jobs` at a time: the state's failing
tests first, then the rest of the suite, stopping as soon as the candidate is worse than its state
or changes nothing the failing tests see. A candidate that passes everything is verified once more
(a callback: a fresh pytest run under the user's configuration) and ends the search. Otherwise the
round's complete runs that are no worse than their state become partial states; the best `beam`
of them (fewest failing tests, then score) are expanded for the next round, with the iteration
feature advanced; a round without any goes on from the least worse complete runs instead. A round
ends soon after its first partial fix (`ROUND_PATIENCE`; with a model, sooner once nothing left in
it is nearly as likely, `PATIENCE_PROBABILITY`).
Earlier states' untried candidates are kept: a round alternates between the new states'
candidates and those, so a spurious partial fix (fewer failing tests by coincidence) cannot
starve the candidates of the state that holds the real one.

Order is deterministic: this round's candidates are taken by (fewest failing tests of their
state, score, discovery order), earlier rounds' by (score, discovery order) (`OLDER_BY_SCORE`);
results of a batch are read in that order. Only the
wall-clock budget and timeouts of candidates can make two runs differ.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from repair.rank import REPLACE, Candidate
from repair.source import apply_edits
from repair.validate import Request, Validation, Validator


@dataclass(frozen=True)
class AppliedEdit:
    path: str
    line: int
    kind: str
    start: int  # byte span in the file as it was when the edit was applied
    end: int
    old: str
    new: str


LOOPING_FIRST = 2  # failing tests that timed out, run first: a still-looping candidate stops there


@dataclass
class State:
    """The project with `edits` applied: `files` holds every changed file's full contents."""

    files: dict[str, bytes]
    edits: tuple[AppliedEdit, ...]
    failing: tuple[str, ...]  # node ids, in the order to run them
    messages: dict[str, str]  # failing test -> its failure message, as the validator saw it
    score: float = 0.0  # of the candidate that led here
    round: int = 0  # the round that found it; its candidates come from round + 1
    timed_out: frozenset[str] = frozenset()  # failing tests that ran into their time limit
    parent_key: str = ""  # state_key of the state it came from ("" for the start)
    retest: frozenset[str] | None = None  # tests its last edit can change (None: any test)

    def first_tests(self) -> tuple[str, ...]:
        """The tests a candidate runs first: the failing ones, but at most
        `LOOPING_FIRST` of those that timed out (a candidate that still loops is then known as
        unchanged after those, instead of after every looping test's time limit)."""
        looping = [nodeid for nodeid in self.failing if nodeid in self.timed_out]
        skip = set(looping[LOOPING_FIRST:])
        return tuple(nodeid for nodeid in self.failing if nodeid not in skip)


@dataclass(frozen=True)
class Budget:
    deadline: float  # time.monotonic() by which the search stops
    max_candidates: int
    rounds: int
    beam: int
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


# When a candidate passes every test, up to this many untried candidates of the same state that the
# model finds likelier (a higher model probability) are validated too, and the likeliest passing
# one is kept: weak tests pass several edits, and the one the model finds most natural is most
# often the intended fix (`x <= y` rather than `x < y + 1`). One batch at two jobs; 0 turns it off;
# without a model there is no such order and nothing changes.
NATURAL_ALTERNATIVES = 2
# Edits that add tokens. When one passes, the token replacements on its line are among those
# alternatives (ahead of the likelier ones; first of all the comparison operator that says the same,
# `<=` for `x < y + 1`), and a passing replacement is kept over it: the smaller change, and the
# usual fix (`x <= y` rather than `x < y + 1`).
INSERTIONS = frozenset({"insert_not", "add_one", "subtract_one", "insert_slice_bound"})

# Earlier rounds' untried candidates are taken by score alone, not fewest failing tests first: a
# spurious partial fix (fewer failing tests by coincidence) would otherwise push the candidates of
# the state that holds the real fix behind those of every state derived from it.
OLDER_BY_SCORE = True

# A round that finds no partial fix goes on from the least worse of its candidates whose runs
# finished (fewest failing tests, then score): a two-token bug can hide behind a test that passes
# only by coincidence (`a[i] + a[i * 1]` is right for `[11, 11]`), and each half of its fix then
# fails one more test than the bug does.
WORSE_FALLBACK = True
# The beam keeps one state per behaviour (its failing tests and their messages): `x if hexdigest`
# with `hexdigest` replaced by six different names that all happen to be truthy fails the same test
# the same way six times, and filled the beam of four.
DISTINCT_BEAM = True

# After a round's first partial fix with fewer failing tests, this many more candidates are tried
# before the round ends and the partial fixes are expanded (their untried siblings stay queued).
ROUND_PATIENCE = 16
# ... but with a model, the round ends sooner: once no untried candidate of this round is at least
# this fraction as likely (model probability) as the edit that made the first partial fix. The
# patience is there to find a likelier half of the fix than the first one found, and a candidate
# the model finds far less likely seldom is. 0 turns it off; the model-free search keeps the count.
PATIENCE_PROBABILITY = 0.25

Expand = Callable[[State, int], list[Candidate]]  # (state, iteration) -> ranked candidates
Verify = Callable[[State], bool]
Progress = Callable[[str], None]


def state_key(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


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
        progress: Progress | None = None,
    ):
        self.start = start
        self.originals = originals  # path -> the user's bytes, for files a candidate edits
        self.validator = validator
        self.expand_callback = expand
        self.verify = verify
        self.budget = budget
        self.progress = progress or (lambda message: None)
        self.outcome = SearchOutcome(fixed=None, best=start)
        # (failing tests of the state, -score, discovery order, state, candidate) heaps: this
        # round's expansions, and what earlier rounds left untried
        self.fresh: list[tuple[int, float, int, State, Candidate]] = []
        self.older: list[tuple[int, float, int, State, Candidate]] = []
        self.take_fresh = True
        self.order = itertools.count()
        self.seen = {state_key(start.files)}
        self.last_report = 0.0

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> SearchOutcome:
        outcome = self.outcome
        frontier = [self.start]
        for round_index in range(self.budget.rounds):
            if self._out_of_budget():
                break
            outcome.rounds = round_index + 1
            for entry in self.fresh:
                heapq.heappush(self.older, (0, *entry[1:]) if OLDER_BY_SCORE else entry)
            self.fresh = []
            for state in frontier:
                self._expand(state, round_index)
                if self._out_of_budget():
                    break
            if not (self.fresh or self.older):
                outcome.stop_reason = "no candidates left"
                break
            rounds_left = self.budget.rounds - round_index
            left = self.budget.max_candidates - outcome.candidates_tried
            quota = math.ceil(left / rounds_left)
            partial, worse = self._validate_round(quota)
            if outcome.fixed is not None:
                outcome.stop_reason = "fixed"
                return outcome
            frontier = self._select_beam(partial) or self._select_beam(worse)
            if not frontier and not (self.fresh or self.older):
                outcome.stop_reason = "no candidates left"
                break
        if not outcome.stop_reason:
            outcome.stop_reason = self._budget_reason() or "rounds exhausted"
        return outcome

    def _expand(self, state: State, iteration: int) -> None:
        self._report(
            f"round {iteration + 1}: ranking edits of a state with {_describe(state)}", force=True
        )
        candidates = self.expand_callback(state, iteration)
        for candidate in candidates:
            heapq.heappush(
                self.fresh,
                (len(state.failing), -candidate.score, next(self.order), state, candidate),
            )

    def _next(self) -> tuple[State, Candidate] | None:
        """Alternate between this round's candidates and earlier rounds' leftovers."""
        pools = [self.fresh, self.older] if self.take_fresh else [self.older, self.fresh]
        self.take_fresh = not self.take_fresh
        for pool in pools:
            if pool:
                _, _, _, state, candidate = heapq.heappop(pool)
                return state, candidate
        return None

    def _validate_round(
        self, quota: int
    ) -> tuple[list[tuple[State, State]], list[tuple[State, State]]]:
        """Validate up to `quota` candidates; returns (parent, child) for each partial fix, and
        for each complete run that was worse than its state (`WORSE_FALLBACK`)."""
        outcome = self.outcome
        partial: list[tuple[State, State]] = []
        worse: list[tuple[State, State]] = []
        improving: set = set()  # behaviours of the states that made progress
        tried = 0
        first_improvement_at: int | None = None
        likely_floor = 0.0  # model probability an untried candidate needs to keep the round going
        best_before = len(outcome.best.failing)
        while tried < quota and not self._out_of_budget():
            batch: list[tuple[State, Candidate, dict[str, bytes]]] = []
            while len(batch) < min(self.budget.jobs, quota - tried):
                picked = self._next()
                if picked is None:
                    break
                state, candidate = picked
                files = self._unseen(state, candidate)
                if files is not None:
                    batch.append((state, candidate, files))
            if not batch:
                break
            results = self._validate(batch, stop_after=None)
            tried += len(batch)
            for (state, candidate, files), result in zip(batch, results):
                child = self._child(state, candidate, files, result)
                if child is None:
                    continue
                if len(child.failing) > len(state.failing):
                    if WORSE_FALLBACK and not child.timed_out:
                        worse.append((state, child))
                    continue
                if not child.failing:
                    for passing in self._likeliest_passing(state, candidate, child):
                        outcome.test_runs += 1
                        if self.verify(passing):
                            outcome.fixed = passing
                            outcome.best = passing
                            self._report(
                                f"fixed after {outcome.candidates_tried} candidates: "
                                f"{_describe(passing)}",
                                force=True,
                            )
                            return partial, worse
                        outcome.rejected_by_verification += 1
                    continue
                partial.append((state, child))
                if len(child.failing) < best_before:  # progress beyond every earlier state
                    improving.add(_behaviour(child))
                    if first_improvement_at is None:
                        first_improvement_at = tried
                        likely_floor = PATIENCE_PROBABILITY * candidate.model_probability
                if len(child.failing) < len(outcome.best.failing):
                    outcome.best = child
                    self._report(f"best so far: {_describe(child)}", force=True)
            self._report(
                f"{outcome.candidates_tried} candidates tried, {outcome.test_runs} test runs, "
                f"best so far: {len(outcome.best.failing)} failing"
            )
            if len(improving) >= self.budget.beam or (
                first_improvement_at is not None
                and (
                    tried - first_improvement_at >= ROUND_PATIENCE
                    or (likely_floor > 0 and not self._any_fresh_as_likely(likely_floor))
                )
            ):
                break  # better states to expand: go on from them
        return partial, worse

    def _any_fresh_as_likely(self, probability: float) -> bool:
        """Whether an untried candidate of this round has at least this model probability."""
        return any(entry[4].model_probability >= probability for entry in self.fresh)

    def _likeliest_passing(self, state: State, found: Candidate, child: State) -> list[State]:
        """`child` (all tests pass) and the passing ones among up to `NATURAL_ALTERNATIVES`
        untried candidates of `state`: those with a higher model probability and, when `found`
        inserts tokens (`INSERTIONS`), the token replacements on its line first (the comparison
        that says the same as `found` first of all). Best first: a passing replacement before a
        passing insertion (the smaller change), then likeliest."""
        if NATURAL_ALTERNATIVES <= 0 or found.model_probability <= 0:
            return [child]
        inserted = found.kind in INSERTIONS

        def smaller(candidate: Candidate) -> bool:
            return (
                inserted
                and candidate.kind == REPLACE
                and (candidate.path, candidate.line) == (found.path, found.line)
            )

        untried = [
            (order, candidate)
            for pool in (self.fresh, self.older)
            for _, _, order, parent, candidate in pool
            if parent is state
        ]
        same = _same_comparison(
            found, [candidate for _, candidate in untried if smaller(candidate)]
        )
        others = sorted(
            (
                (
                    candidate is not same,
                    not smaller(candidate),
                    -candidate.model_probability,
                    order,
                    candidate,
                )
                for order, candidate in untried
                if smaller(candidate) or candidate.model_probability > found.model_probability
            ),
            key=lambda item: item[:4],
        )
        batch = []
        for *_, candidate in others:
            if len(batch) == NATURAL_ALTERNATIVES or self._out_of_budget():
                break
            files = self._unseen(state, candidate)
            if files is not None:
                batch.append((state, candidate, files))
        if not batch:
            return [child]
        results = self._validate(batch, stop_after=0)  # only a pass matters
        passing = [(inserted, -found.model_probability, child)]
        for (_, candidate, files), result in zip(batch, results):
            alternative = self._child(state, candidate, files, result)
            if alternative is not None and not alternative.failing:
                passing.append(
                    (candidate.kind in INSERTIONS, -candidate.model_probability, alternative)
                )
        passing.sort(key=lambda item: item[:2])  # stable: the first found wins a tie
        if len(passing) > 1:
            self._report(f"another edit also passes: {_describe(passing[0][2])}", force=True)
        return [alternative for *_, alternative in passing]

    def _select_beam(self, partial: Sequence[tuple[State, State]]) -> list[State]:
        """The states to expand next: those with fewer failing tests than the state they came
        from if there are any (fewest first), else those no worse; then by score."""
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
            behaviour = _behaviour(state)
            if behaviour in seen:
                continue  # the tests cannot tell it from a likelier state already in the beam
            seen.add(behaviour)
            beam.append(state)
            if len(beam) == self.budget.beam:
                break
        return beam

    def _validate(
        self, batch: Sequence[tuple[State, Candidate, dict[str, bytes]]], stop_after: int | None
    ) -> list[Validation]:
        """Validate a batch (each candidate stops after `stop_after` failures, None: once worse
        than its state) and count it: candidates, test runs, how each validation ended."""
        requests = [
            Request(
                files=files,
                first=state.first_tests(),
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
            kind = _classify(result, len(state.failing))
            outcome.outcomes[kind] = outcome.outcomes.get(kind, 0) + 1
        return results

    # --- states -----------------------------------------------------------------------------

    def _unseen(self, state: State, candidate: Candidate) -> dict[str, bytes] | None:
        """The files of `candidate` applied to `state`, or None if it does not apply or leads
        to a program already validated (it is then marked as seen)."""
        files = self._apply(state, candidate)
        if files is None:
            return None
        key = state_key(files)
        if key in self.seen:
            return None
        self.seen.add(key)
        return files

    def _apply(self, state: State, candidate: Candidate) -> dict[str, bytes] | None:
        current = state.files.get(candidate.path, self.originals.get(candidate.path))
        if current is None:
            return None
        try:
            changed = apply_edits(current, [candidate.edit])
        except ValueError:
            return None
        files = dict(state.files)
        if changed == self.originals.get(candidate.path):
            files.pop(candidate.path, None)  # back to the user's version
        else:
            files[candidate.path] = changed
        return files

    def _child(
        self, state: State, candidate: Candidate, files: dict[str, bytes], result: Validation
    ) -> State | None:
        """The state a validated candidate leads to (it may fail more tests than `state`), or
        None if its run did not finish (it was worse early, or changed nothing)."""
        if not result.complete or result.collection_errors:
            return None
        failing = result.failed
        edit = candidate.edit
        applied = AppliedEdit(
            candidate.path, candidate.line, candidate.kind, edit.start, edit.end, edit.old, edit.new
        )
        messages = result.messages
        # Still-failing tests first next time (they are what a further edit must fix), in the
        # order they ran.
        return State(
            files=files,
            edits=(*state.edits, applied),
            failing=tuple(failing),
            messages={nodeid: messages[nodeid] for nodeid in failing},
            score=candidate.score,
            round=state.round + 1,
            timed_out=timed_out(result),
            parent_key=state_key(state.files),
            retest=candidate.tests,
        )

    # --- budget and progress ----------------------------------------------------------------

    def _budget_reason(self) -> str:
        if time.monotonic() > self.budget.deadline:
            return "time budget spent"
        if self.outcome.candidates_tried >= self.budget.max_candidates:
            return "candidate budget spent"
        return ""

    def _out_of_budget(self) -> bool:
        return bool(self._budget_reason())

    def _report(self, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last_report >= 1.0:
            self.last_report = now
            self.outcome.log.append(message)
            self.progress(message)


_COMPARISONS = frozenset({"<", "<=", ">", ">="})
# (comparison operator, the side `+ 1` / `- 1` is on, edit kind) -> the operator that says the
# same over integers: `a < b + 1` is `a <= b`, `a - 1 < b` is `a <= b`, ...
_SAME_COMPARISON = {
    ("<", "right", "add_one"): "<=",
    ("<=", "right", "subtract_one"): "<",
    (">", "right", "subtract_one"): ">=",
    (">=", "right", "add_one"): ">",
    (">", "left", "add_one"): ">=",
    ("<", "left", "subtract_one"): "<=",
    ("<=", "left", "add_one"): "<",
    (">=", "left", "subtract_one"): ">",
}


def _same_comparison(found: Candidate, replacements: Sequence[Candidate]) -> Candidate | None:
    """Among `replacements` (of `found`'s line), the operator replacement that says what `found`
    (`+ 1` / `- 1` on an operand of the nearest comparison) says, over integers; else None."""
    edit = found.edit
    before = [c for c in replacements if c.edit.end <= edit.start and c.edit.old in _COMPARISONS]
    after = [c for c in replacements if c.edit.start >= edit.end and c.edit.old in _COMPARISONS]
    nearest = [
        ("right", max(before, key=lambda c: c.edit.start)) if before else None,
        ("left", min(after, key=lambda c: c.edit.start)) if after else None,
    ]
    for side, operator in filter(None, nearest):
        target = _SAME_COMPARISON.get((operator.edit.old, side, found.kind))
        same = [
            c
            for c in replacements
            if (c.edit.start, c.edit.old, c.edit.new)
            == (operator.edit.start, operator.edit.old, target)
        ]
        if same:
            return same[0]
    return None


def timed_out(result: Validation) -> frozenset[str]:
    """The tests of `result` that ran into their time limit."""
    return frozenset(
        nodeid for nodeid, (outcome, _) in result.outcomes.items() if outcome == "timeout"
    )


def _classify(result: Validation, failing_before: int) -> str:
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


def _behaviour(state: State) -> object:
    """What the tests see of a state: each failing test and its message (`DISTINCT_BEAM`), else
    the state itself, so that no two states count as one."""
    return tuple(sorted(state.messages.items())) if DISTINCT_BEAM else id(state)


def _describe(state: State) -> str:
    edits = ", ".join(f"{edit.path}:{edit.line} {edit.old!r}->{edit.new!r}" for edit in state.edits)
    return f"{len(state.failing)} failing" + (f" after {edits}" if edits else "")
