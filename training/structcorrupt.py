"""Structural corruption: a clean function made buggy by one of the search's own edit operators,
so that the model learns where insertions, deletions, wraps and statement edits are needed.

A fix of kind K is drawn as often as the train fixes show it: K's hits per candidate on the
train split (`repair.operator_priors.KIND_PRIORS`, in units where `repair.edits`' kinds pooled
are 1; not the search's priors, which scale the corpus kinds down) times how many candidates of K
the function offers (its clean version's count plus the one the corruption makes). The corruption is
K's inverse applied to the clean function (`insert_statement` for a fix that deletes one,
`unwrap_call` for one that wraps a call), and it is kept only if the search, run on the corrupted
function, offers an operation that gives the clean text back. That operation's `focus` (the span
`repair.rank` reads P(wrong) from) holds the tokens labelled wrong: what the model is asked is
exactly what the search asks it. There is no replacement target: the token head learns nothing
from these nodes.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.operators import lines_around, search_operations
from repair.policy import SearchPolicy
from repair.rank import KIND_OF_REAL, real_kind_ratio
from repair.source import apply_edits, parse

K = EditKind
_PAIRS = (
    (K.INSERT_NOT, K.REMOVE_NOT),
    (K.INSERT_SLICE_BOUND, K.REMOVE_SLICE_BOUND),
    (K.INSERT_NEGATION, K.REMOVE_NEGATION),
    (K.INSERT_NONE_CHECK, K.REMOVE_NONE_CHECK),
    (K.INSERT_ARGUMENT, K.DELETE_ARGUMENT),
    (K.PARENTHESIZE, K.REMOVE_PARENTHESES),
    (K.WRAP_CALL, K.UNWRAP_CALL),
    (K.APPEND_METHOD, K.REMOVE_METHOD),
    (K.INSERT_STATEMENT, K.DELETE_STATEMENT),
    (K.IF_TO_WHILE, K.WHILE_TO_IF),
    (K.IF_TO_ELIF, K.ELIF_TO_IF),
    (K.INSERT_CALL, K.REMOVE_CALL),
    (K.INSERT_CONJUNCT, K.DROP_OPERAND),
    (K.SUBSCRIPT_TO_GET, K.GET_TO_SUBSCRIPT),
    (K.EQUALS_TO_IS, K.IS_TO_EQUALS),
)
_SELF = (
    K.SWAP_OPERANDS,
    K.SWAP_ARGUMENTS,
    K.REPLACE_ATTRIBUTE,
    K.SWAP_STATEMENTS,
    K.REPLACE_EXCEPTION,
    K.STRING_EDIT,
    K.STRING_PREFIX,
)
# corruption kind -> the kind of the fix that undoes it (kinds without one never corrupt:
# insert_return, insert_comma)
FIX_OF: dict[EditKind, EditKind] = {
    **{a: b for a, b in _PAIRS},
    **{b: a for a, b in _PAIRS},
    **{kind: kind for kind in _SELF},
    K.ADD_ONE: K.REMOVE_OFFSET,
    K.SUBTRACT_ONE: K.REMOVE_OFFSET,
    K.REMOVE_OFFSET: K.ADD_ONE,
}


@dataclass(frozen=True)
class StructuralBug:
    source: bytes  # the corrupted text
    tree: tree_sitter.Tree
    fix: EditOperation  # the search's operation on `source` that gives the clean text back


def fix_ratio(kind: EditKind) -> float:
    """A fix kind's train-split hits per candidate, against `repair.edits`' kinds pooled."""
    return real_kind_ratio(kind) if kind in KIND_OF_REAL else 1.0


def kind_weights(clean: list[EditOperation]) -> dict[EditKind, float]:
    """Per corruption kind present in `clean`: how likely the fix that undoes it is."""
    counts = Counter(operation.kind for operation in clean)
    return {
        kind: fix_ratio(FIX_OF[kind]) * (counts[FIX_OF[kind]] + 1)
        for kind in counts
        if kind in FIX_OF
    }


def corrupt_structural(
    source: bytes,
    rng: random.Random,
    policy: SearchPolicy | None = None,
    tree: tree_sitter.Tree | None = None,
    tries: int = 3,
) -> StructuralBug | None:
    """One structural bug in `source`, or None when no drawn corruption parses and is undone by
    an operation the search offers (`tries` draws at most)."""
    policy = policy or SearchPolicy()
    tree = tree or parse(source)
    clean = search_operations(source, tree, None, policy)
    weights = kind_weights(clean)
    if not weights:
        return None
    by_kind: dict[EditKind, list[EditOperation]] = {}
    for operation in clean:
        by_kind.setdefault(operation.kind, []).append(operation)
    kinds = sorted(weights, key=lambda kind: kind.value)
    for _ in range(tries):
        kind = rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
        edit = rng.choice(by_kind[kind]).edit
        corrupted = apply_edits(source, [edit])
        corrupted_tree = parse(corrupted)
        if corrupted_tree.root_node.has_error:
            continue
        end = edit.start + len(edit.new.encode())
        region = lines_around(corrupted, edit.start, end)
        for operation in search_operations(corrupted, corrupted_tree, region, policy):
            if operation.focus[0] < operation.focus[1] and _undoes(operation, corrupted, source):
                return StructuralBug(corrupted, corrupted_tree, operation)
    return None


def _undoes(operation: EditOperation, corrupted: bytes, clean: bytes) -> bool:
    edit = operation.edit
    grown = len(edit.new.encode()) - (edit.end - edit.start)
    return len(corrupted) + grown == len(clean) and apply_edits(corrupted, [edit]) == clean
