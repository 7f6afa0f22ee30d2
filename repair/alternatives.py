"""When a candidate passes every test, try the likelier untried edits of its state too.

Weak tests pass several edits, and the one the scorer finds most natural is most often the
intended fix (`x <= y` rather than `x < y + 1`): up to `SearchPolicy.natural_alternatives`
untried candidates of the same state with a higher model probability are validated as well. When
the passing edit inserts tokens (`repair.edits.INSERTIONS`), the token replacements on its line
come first (the comparison operator that says the same, `<=` for `x < y + 1`, first of all), and
a passing replacement is kept over it: the smaller change, and the usual fix.
"""

from __future__ import annotations

from collections.abc import Sequence

from repair.candidate_pool import CandidatePool
from repair.edits import INSERTIONS, EditKind
from repair.rank import Candidate
from repair.search_budget import Ledger
from repair.states import State, StateTracker, describe


def likeliest_passing(
    state: State,
    found: Candidate,
    child: State,
    *,
    limit: int,
    pool: CandidatePool,
    tracker: StateTracker,
    ledger: Ledger,
) -> list[State]:
    """`child` (`found` applied to `state`; all tests pass) and the passing ones among up to
    `limit` untried candidates of `state`, best first: a passing replacement before a passing
    insertion (the smaller change), then likeliest."""
    if limit <= 0 or found.model_probability <= 0:
        return [child]
    inserted = found.kind in INSERTIONS

    def smaller(candidate: Candidate) -> bool:
        return (
            inserted
            and candidate.kind == EditKind.REPLACE_TOKEN
            and (candidate.path, candidate.line) == (found.path, found.line)
        )

    untried = list(pool.untried_of(state))
    same = _same_comparison(found, [candidate for _, candidate in untried if smaller(candidate)])
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
        if len(batch) == limit or ledger.out_of_budget():
            break
        files = tracker.unseen(state, candidate)
        if files is not None:
            batch.append((state, candidate, files))
    if not batch:
        return [child]
    results = ledger.validate(batch, stop_after=0)  # only a pass matters
    passing = [(inserted, -found.model_probability, child)]
    for (_, candidate, files), result in zip(batch, results):
        alternative = tracker.child(state, candidate, files, result)
        if alternative is not None and not alternative.failing:
            passing.append(
                (candidate.kind in INSERTIONS, -candidate.model_probability, alternative)
            )
    passing.sort(key=lambda item: item[:2])  # stable: the first found wins a tie
    if len(passing) > 1:
        ledger.report(f"another edit also passes: {describe(passing[0][2])}", force=True)
    return [alternative for *_, alternative in passing]


_COMPARISONS = frozenset({"<", "<=", ">", ">="})
# (comparison operator, the side `+ 1` / `- 1` is on, edit kind) -> the operator that says the
# same over integers: `a < b + 1` is `a <= b`, `a - 1 < b` is `a <= b`, ...
_SAME_COMPARISON = {
    ("<", "right", EditKind.ADD_ONE): "<=",
    ("<=", "right", EditKind.SUBTRACT_ONE): "<",
    (">", "right", EditKind.SUBTRACT_ONE): ">=",
    (">=", "right", EditKind.ADD_ONE): ">",
    (">", "left", EditKind.ADD_ONE): ">=",
    ("<", "left", EditKind.SUBTRACT_ONE): "<=",
    ("<=", "left", EditKind.ADD_ONE): "<",
    (">=", "left", EditKind.SUBTRACT_ONE): ">",
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
