"""Program states of the search: the project with some edits applied, and what its tests say.

`StateTracker` turns a candidate into the files it leads to (once per distinct program: a program
already validated is not validated again) and a validated candidate into its child state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from repair.edits import EditKind
from repair.rank import Candidate
from repair.source import apply_edits
from repair.validate import Validation


@dataclass(frozen=True)
class AppliedEdit:
    path: str
    line: int
    kind: EditKind
    start: int  # byte span in the file as it was when the edit was applied
    end: int
    old: str
    new: str
    probability: float = 0.0  # the candidate's model probability (`Candidate.model_probability`)


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

    def first_tests(self, looping_first: int) -> tuple[str, ...]:
        """The tests a candidate runs first: the failing ones, but at most `looping_first` of
        those that timed out (a candidate that still loops is then known as unchanged after
        those, instead of after every looping test's time limit)."""
        looping = [nodeid for nodeid in self.failing if nodeid in self.timed_out]
        skip = set(looping[looping_first:])
        return tuple(nodeid for nodeid in self.failing if nodeid not in skip)


def state_key(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


def timed_out(result: Validation) -> frozenset[str]:
    """The tests of `result` that ran into their time limit."""
    return frozenset(
        nodeid for nodeid, (outcome, _) in result.outcomes.items() if outcome == "timeout"
    )


def behaviour(state: State, distinct: bool) -> object:
    """What the tests see of a state: each failing test and its message (with `distinct`, the
    policy's `distinct_beam`), else the state itself, so that no two states count as one."""
    return tuple(sorted(state.messages.items())) if distinct else id(state)


def describe(state: State) -> str:
    edits = ", ".join(f"{edit.path}:{edit.line} {edit.old!r}->{edit.new!r}" for edit in state.edits)
    return f"{len(state.failing)} failing" + (f" after {edits}" if edits else "")


class StateTracker:
    """Applies candidates to states, remembering every program handed out for validation."""

    def __init__(self, originals: Mapping[str, bytes], start: State):
        self.originals = originals  # path -> the user's bytes, for files a candidate edits
        self.seen = {state_key(start.files)}

    def unseen(self, state: State, candidate: Candidate) -> dict[str, bytes] | None:
        """The files of `candidate` applied to `state`, or None if it does not apply or leads
        to a program already validated (it is then marked as seen)."""
        files = self.apply(state, candidate)
        if files is None:
            return None
        key = state_key(files)
        if key in self.seen:
            return None
        self.seen.add(key)
        return files

    def apply(self, state: State, candidate: Candidate) -> dict[str, bytes] | None:
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

    @staticmethod
    def child(
        state: State, candidate: Candidate, files: dict[str, bytes], result: Validation
    ) -> State | None:
        """The state a validated candidate leads to (it may fail more tests than `state`), or
        None if its run did not finish (it was worse early, or changed nothing)."""
        if not result.complete or result.collection_errors:
            return None
        failing = result.failed
        edit = candidate.edit
        applied = AppliedEdit(
            candidate.path,
            candidate.line,
            candidate.kind,
            edit.start,
            edit.end,
            edit.old,
            edit.new,
            candidate.model_probability,
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
