"""Correct over plausible: rank the verified passing patches a search found, and say when the
best one is doubtful.

Weak tests pass several patches, and the first found is not always the intended one. A patch's
score is the product of its edits' model probabilities (`Candidate.model_probability`, kept in
`AppliedEdit.probability`), times `SearchPolicy.size_penalty` per changed token beyond the first,
times `removal_penalty` if it removes behaviour: fewer calls or statements than before, a
recursive call gone, a string emptied or a collection's element replaced by a copy of another
(`repair.literal_loss`), a parameter's read replaced by a builtin or a class
(`repair.input_loss`), or an edit of a removing kind (`repair.edits.REMOVALS`); a patch that
inserts tokens ranks below a passing token replacement on the same line of the same state. The
first patch found (the search's own order: probability and suspiciousness) stays first unless
another scores `incumbent_margin` times as much. The best is doubtful when it removes behaviour,
when the runner-up scores at least `doubt_margin` of its score, or when its edits' probability
is below `doubt_probability`.
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from repair.edits import INSERTIONS, REMOVALS, EditKind
from repair.input_loss import lost_input
from repair.literal_loss import lost_string
from repair.policy import SearchPolicy
from repair.source import common_ends, function_regions, innermost_function, parse, tokens
from repair.states import State

_PROBABILITY_FLOOR = 1e-6  # an edit scored 0 (no scorer) still ranks by size and removals


@dataclass(frozen=True)
class PatchChoice:
    state: State
    score: float
    probability: float  # the product of its edits' model probabilities
    size: int  # tokens inserted, deleted or replaced
    removes: str  # what behaviour it removes ("" if none), e.g. "drops a call to close"
    share: float  # its score over the sum of every passing patch's
    dominated: bool = False  # it inserts tokens where a passing replacement on its line does not


def rank_patches(
    passing: Sequence[State], originals: Mapping[str, bytes], policy: SearchPolicy
) -> list[PatchChoice]:
    """The passing patches, best first (ties: the first found first)."""
    scored = []
    for order, state in enumerate(passing):
        probability = math.prod(max(edit.probability, _PROBABILITY_FLOOR) for edit in state.edits)
        size = sum(_changed_tokens(originals[path], data) for path, data in state.files.items())
        removes = removed_behaviour(state, originals)
        score = probability * policy.size_penalty ** max(0, size - 1)
        if removes:
            score *= policy.removal_penalty
        scored.append((score, order, probability, size, removes, state))
    scored = _replacements_first(scored, policy)
    scored.sort(key=lambda item: (-item[0], item[1]))
    first = next((item for item in scored if item[1] == 0), None)
    if first is not None and scored[0][0] < policy.incumbent_margin * first[0]:
        scored.remove(first)  # the first found stands unless another is clearly likelier
        scored.insert(0, first)
    total = sum(item[0] for item in scored) or 1.0
    return [
        PatchChoice(state, score, probability, size, removes, score / total, dominated)
        for score, _, probability, size, removes, state, dominated in scored
    ]


def _replacements_first(scored: list[tuple], policy: SearchPolicy) -> list[tuple]:
    """A patch whose last edit inserts tokens scores below a passing token replacement on the
    same line of the same parent state (`x < y + 1` against `x <= y`: the smaller change and
    the usual fix, as `repair.alternatives` tries it first)."""
    replacements: dict[tuple, float] = {}
    for score, _, _, _, _, state in scored:
        last = state.edits[-1] if state.edits else None
        if last is not None and last.kind == EditKind.REPLACE_TOKEN:
            key = (state.edits[:-1], last.path, last.line)
            replacements[key] = max(replacements.get(key, 0.0), score)
    adjusted = []
    for score, order, probability, size, removes, state in scored:
        last = state.edits[-1] if state.edits else None
        rival = None
        if last is not None and last.kind in INSERTIONS:
            rival = replacements.get((state.edits[:-1], last.path, last.line))
        if rival is not None:
            score = min(score, rival * policy.size_penalty)
        adjusted.append((score, order, probability, size, removes, state, rival is not None))
    return adjusted


def doubt(choices: Sequence[PatchChoice], policy: SearchPolicy) -> str:
    """Why the best patch is doubtful, or "" if it is not."""
    if not choices:
        return ""
    best, reasons = choices[0], []
    if best.removes:
        reasons.append(f"it {best.removes}")
    rivals = [choice for choice in choices[1:] if not choice.dominated]
    if rivals and rivals[0].score >= policy.doubt_margin * best.score:
        reasons.append(
            f"another passing patch scores nearly as well ({rivals[0].score:.3g} against "
            f"{best.score:.3g})"
        )
    if best.probability < policy.doubt_probability:
        reasons.append(f"its edits are unlikely (probability {best.probability:.2g})")
    return "; ".join(reasons)


def _changed_tokens(before: bytes, after: bytes) -> int:
    """Tokens inserted, deleted or replaced (a replacement of n by m counts max(n, m))."""
    old = [token.text for token in tokens(before) if token.node_type != "comment"]
    new = [token.text for token in tokens(after) if token.node_type != "comment"]
    start, end = common_ends(old, new)
    old, new = old[start : len(old) - end], new[start : len(new) - end]
    size = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, False).get_opcodes():
        if tag != "equal":
            size += max(i2 - i1, j2 - j1)
    return size


def removed_behaviour(state: State, originals: Mapping[str, bytes]) -> str:
    """What the patch removes: a call, a statement, a recursive call, a string
    (`repair.literal_loss`), a parameter's read (`repair.input_loss`), or an edit of a removing
    kind; "" if nothing."""
    for path, after in sorted(state.files.items()):
        before = originals[path]
        calls_before, statements_before = _census(before)
        calls_after, statements_after = _census(after)
        recursive = _enclosing_names(state, path, before)
        for name in sorted(recursive):
            if calls_after[name] < calls_before[name]:
                return f"replaces a recursive call to {name}"
        if sum(calls_after.values()) < sum(calls_before.values()):
            dropped = sorted((calls_before - calls_after).keys())
            return f"drops a call to {dropped[0]}" if dropped else "drops a call"
        if statements_after < statements_before:
            return "deletes a statement"
        lost = lost_string(before, after) or lost_input(before, after)
        if lost:
            return lost
    for edit in state.edits:
        if edit.kind in REMOVALS:
            return f"removes code ({edit.kind}: {edit.old.strip()!r})"
    return ""


def _census(source: bytes) -> tuple[Counter[str], int]:
    """Calls by the callee's text, and the number of statements."""
    calls: Counter[str] = Counter()
    statements = 0
    stack = [parse(source).root_node]
    while stack:
        node = stack.pop()
        if node.type == "call":
            function = node.child_by_field_name("function")
            if function is not None:
                text = (function.text or b"").decode("utf-8", "replace")
                calls[text.rsplit(".", 1)[-1]] += 1
        elif node.type.endswith("_statement") and node.type != "pass_statement":
            statements += 1
        stack.extend(node.children)
    return calls, statements


def _enclosing_names(state: State, path: str, before: bytes) -> set[str]:
    """The names of the functions around the patch's edits in `path` (as they read before)."""
    tree = parse(before)
    spans = function_regions(tree)
    names = set()
    for edit in state.edits:
        if edit.path != path:
            continue
        inner = innermost_function(spans, edit.line)
        if inner is None:
            continue
        header = before[inner[0] : before.find(b"(", inner[0])].split()
        if len(header) >= 2:
            names.add(header[-1].decode("utf-8", "replace"))
    return names
