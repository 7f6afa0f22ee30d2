"""Suspicious regions → candidate edits, ranked by the model and suspiciousness together.

A region is a function that holds lines a failing test ran (the innermost function of each line),
or a top-level / class-level statement of a file the failing tests ran: such statements run at
import, inside no test, so coverage cannot score them; like training (`training.environment`)
they count as run by every test. The regions of one program state become graphs with the test
signal as a node feature; the model says per token how likely it is wrong and what it should be.

Candidates: same-class token replacements (score P(wrong) · P(option), P(option) smoothed,
`repair.predict.OPTION_SMOOTHING`) and the structural edits of `repair.edits` (score
OPERATION_PRIOR, or SWAP_PRIOR for an argument swap, · the highest P(wrong) among the tokens they
touch), each times (SUSPICIOUSNESS_FLOOR + the line's suspiciousness), and times STATEMENT_PRIOR
in a statement. Without a model (the baseline), the score is the suspiciousness alone. Ties are
broken by a seeded shuffle, so a seed fixes the order.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import tree_sitter

from repair.edits import attribute_names, edit_operations
from repair.localize import formula_named
from repair.source import (
    Edit,
    Token,
    TokenClass,
    candidates,
    function_regions,
    innermost_function,
    is_repair_target,
)

if TYPE_CHECKING:  # the model-free baseline never imports torch
    from repair.score import ModelScorer

# A structural edit's prior, in the units of P(option) of a token replacement: it is tried after a
# token's likeliest replacements and before its unlikely ones. Untuned; the benchmark may adjust.
OPERATION_PRIOR = 0.2
# Candidates from the model's order per candidate from the suspiciousness order. Chosen on the
# bundled model's validation programs, not on the repair benchmark: `bench/rank_dev.py --repair
# --model-turns 2 4 0` (40 seeded bugs, `repair fix` on each) needed a mean of 8.05 / 7.3 / 6.3
# candidates per fix (90th percentile 30 / 28 / 22) at 2:1 / 4:1 / the model alone, all 40 fixed.
# 4:1 rather than the model alone: a bug the model misjudges then costs at most 5x the
# suspiciousness order's position (in the ranking alone, `bench/rank_dev.py`, one such bug sat at
# 164 by the model and 4 by suspiciousness).
# With the bundled pair of models (`repair.score.EnsembleScorer`) the model's order alone: on the
# validation programs the same fixes (40 / 37 single-token, 36 / 32 two-token) for a mean of 8.3
# and 189 test runs per bug against 8.9 and 220 at 4:1; on bugs seeded in six and tabulate
# (`--oss six,tabulate --repair --oss-bugs 6 --model-turns 4 0`) the same 7 / 6 fixes, each one
# 0-20 % cheaper (median 57 test runs per fix against 69). None: the model's order alone.
MODEL_TURNS: int | None = None
# The model's P(wrong) in a statement run at import is scaled by this: such a region is a graph of
# a few tokens, and the model, trained on whole functions that each hold a bug, is sure of some token
# in almost any of them (`_moved_attributes = [...]` in six: 0.99, at the top for every six bug).
# Development split (`bench/rank_dev.py --oss six`, with `repair.predict.OPTION_SMOOTHING` 0.3): the
# exact fix's median position at 4:1 is 66.5 at 0.3, 63.5 at 0.1 and 0.03; 0.1 keeps statements
# in reach of the model's order. The validation programs have no such statements.
STATEMENT_PRIOR = 0.1
# A swap of call arguments: this prior (not OPERATION_PRIOR) times the highest P(wrong) among its
# tokens. The model cannot say that two arguments trade places, only that their tokens look wrong,
# so a swap needs more weight than the other structural edits to come before unlikely replacements.
# Chosen on development splits (`bench/rank_dev.py`, `bench/results/rank_dev.txt`), the exact fix's
# position at 4:1 for 0.2 (before) / 0.4 / 0.8 / 2: 55 swaps seeded in the validation programs
# (`--swaps`), mean 18.5 / 8.1 / 3.0 / 1.7; the 40 token bugs there, mean 7.33 / 7.38 / 7.45 / 7.53
# (median 2 throughout); six 1.17.0 (`--oss six`, 20 bugs, 5 of them swaps), median 63.5 / - / 50
# / 50: its swaps from 44, 24, 73, 19, 5 (0.2 with a swap's replacements scored too, since dropped)
# to 1, 1, 4, 1, 2, and of its token bugs four moved (1 -> 8, 9 -> 11, 76 -> 78, 45 -> 40); at 2,
# five later.
SWAP_PRIOR = 0.8
SUSPICIOUSNESS_FLOOR = 0.05  # lines no failing test ran still rank by the model, far behind
MODULE_STATEMENTS_PER_FILE = 20  # top-level statements of a suspicious file offered as regions
MAX_STATEMENT_LINES = 20  # ... each at most this long
_STATEMENT_TYPES = frozenset({"expression_statement"})  # assignments and bare expressions
REPLACE = "replace_token"
# `x + 0`, `x * 1`, ...: an edit that makes one of these only hides an operation; removing it
# (`repair.edits` remove_offset) or another replacement says the same thing plainly.
_IDENTITIES = frozenset({("+", "0"), ("-", "0"), ("*", "1"), ("/", "1"), ("//", "1"), ("**", "1")})
_BINDS_TIGHTER = frozenset({"*", "/", "//", "%", "**", "@", ".", "(", "["})


@dataclass(frozen=True)
class Region:
    path: str  # relative to the project root
    start: int  # byte span in the file
    end: int
    first_line: int
    last_line: int
    suspiciousness: float  # highest line score inside
    statement: bool = False  # a statement run at import, not a function


@dataclass(frozen=True)
class Candidate:
    path: str
    edit: Edit
    kind: str  # REPLACE or a `repair.edits` operation kind
    line: int
    score: float  # higher is tried first
    suspiciousness: float  # of the edit's line, normalised to [0, 1]
    model_probability: float  # P(wrong) · P(option) or its operation analogue; 0 without a model
    # the tests whose outcome the edit can change (those that ran its function, and those whose
    # run says nothing complete about it); None: every test
    tests: frozenset[str] | None = None

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.edit.old!r} -> {self.edit.new!r} ({self.kind})"


@dataclass
class FileView:
    """One source file of a program state, parsed once."""

    source: bytes
    tree: tree_sitter.Tree
    tokens: list[Token]


def suspicious_regions(
    files: Mapping[str, FileView],
    line_scores: Mapping[str, Mapping[int, float]],
    *,
    import_signal: float,
    top: int,
) -> tuple[list[Region], dict[str, dict[int, float]]]:
    """The `top` most suspicious functions, plus the statements run at import of every file that
    has a suspicious line; and each file's line signal (line scores, import lines included)."""
    functions: list[Region] = []
    statements: dict[str, list[Region]] = {}
    signals: dict[str, dict[int, float]] = {}
    for path in sorted(files):
        scores = {line: score for line, score in line_scores.get(path, {}).items() if score > 0}
        if not scores:
            continue
        view = files[path]
        signal = dict(line_scores.get(path, {}))
        functions += _function_regions(path, view, scores)
        statements[path] = []
        for region in _import_statements(path, view)[:MODULE_STATEMENTS_PER_FILE]:
            if region[3] - region[2] + 1 > MAX_STATEMENT_LINES:
                continue  # a data table: many nodes for the model, rarely the bug
            statements[path].append(
                Region(path, region[0], region[1], region[2], region[3], import_signal, True)
            )
            for line in range(region[2], region[3] + 1):
                signal.setdefault(line, import_signal)
        signals[path] = signal
    top_score = max((s for signal in signals.values() for s in signal.values()), default=0.0)
    if top_score > 1.0:  # DStar is unbounded: scale into [0, 1] as training does
        signals = {
            path: {line: score / top_score for line, score in signal.items()}
            for path, signal in signals.items()
        }
        functions = [replace(r, suspiciousness=r.suspiciousness / top_score) for r in functions]
        statements = {
            path: [replace(r, suspiciousness=r.suspiciousness / top_score) for r in regions]
            for path, regions in statements.items()
        }
    functions.sort(key=lambda region: (-region.suspiciousness, region.path, region.start))
    # Import-time statements of the files that hold a top function, or that hold no function
    # with a suspicious line (a module of constants): not of every file the failing tests ran.
    chosen = functions[:top]
    with_functions = {region.path for region in functions}
    keep = {region.path for region in chosen} | (set(statements) - with_functions)
    return chosen + [r for path in sorted(keep) for r in statements[path]], signals


def _function_regions(path: str, view: FileView, scores: Mapping[int, float]) -> list[Region]:
    spans = function_regions(view.tree)
    best: dict[tuple[int, int, int, int], float] = {}
    for line, score in scores.items():
        inner = innermost_function(spans, line)
        if inner is not None:
            best[inner] = max(best.get(inner, 0.0), score)
    return [Region(path, *span, suspiciousness=score) for span, score in best.items()]


def _import_statements(path: str, view: FileView) -> list[tuple[int, int, int, int]]:
    """Statements at module or class level that run at import (not defs, imports, docstrings)."""
    found = []
    stack = [view.tree.root_node]
    while stack:
        node = stack.pop()
        for child in node.named_children:
            if child.type == "class_definition":
                body = child.child_by_field_name("body")
                if body is not None:
                    stack.append(body)
            elif child.type in _STATEMENT_TYPES:
                if child.named_children and child.named_children[0].type == "string":
                    continue  # a docstring
                found.append(
                    (
                        child.start_byte,
                        child.end_byte,
                        child.start_point[0] + 1,
                        child.end_point[0] + 1,
                    )
                )
    return sorted(found)


def rank_candidates(
    files: Mapping[str, FileView],
    regions: Sequence[Region],
    signals: Mapping[str, Mapping[int, float]],
    *,
    scorer: ModelScorer | None,
    iteration: int,
    max_options: int,
    seed: int,
    model_turns: int | None = MODEL_TURNS,
) -> list[Candidate]:
    """Every candidate edit in `regions`, best first, without duplicates.

    With a model, its order and the baseline's (suspiciousness alone) are interleaved,
    `model_turns` to one (None: the model's order alone); scores then follow the merged order.
    """
    parts = _RegionParts(files, regions)
    ranked = _rank(files, regions, signals, scorer, iteration, max_options, seed, parts)
    if scorer is None or model_turns is None:
        return ranked
    baseline = _rank(files, regions, signals, None, iteration, max_options, seed, parts)
    merged = interleave(ranked, baseline, model_turns)
    count = len(merged)
    return [replace(c, score=(count - i) / count) for i, c in enumerate(merged)]


class _RegionParts:
    """Each region's tokens and structural edits, computed once for both orders."""

    def __init__(self, files: Mapping[str, FileView], regions: Sequence[Region]):
        starts = {path: [token.start for token in view.tokens] for path, view in files.items()}
        attributes = {}
        self.tokens: list[list[Token]] = []
        self.operations = []
        for region in regions:
            view = files[region.path]
            low = bisect.bisect_left(starts[region.path], region.start)
            high = bisect.bisect_left(starts[region.path], region.end)
            self.tokens.append([t for t in view.tokens[low:high] if t.end <= region.end])
            if region.path not in attributes:
                attributes[region.path] = attribute_names(view.tree.root_node, view.source)
            self.operations.append(
                edit_operations(
                    view.source,
                    view.tree,
                    (region.start, region.end),
                    attributes=attributes[region.path],
                )
            )


def _rank(
    files, regions, signals, scorer, iteration, max_options, seed, parts: _RegionParts
) -> list[Candidate]:
    top_signal = max((s for signal in signals.values() for s in signal.values()), default=0.0)
    scale = top_signal if top_signal > 0 else 1.0
    model_views = scorer.score(files, regions, signals, iteration) if scorer else None
    found: dict[tuple[str, int, int, str], Candidate] = {}
    for index, region in enumerate(regions):
        view = files[region.path]
        signal = signals.get(region.path, {})

        def suspiciousness(line: int, signal=signal) -> float:
            return signal.get(line, 0.0) / scale

        wrong_of, options_of = model_views[index] if model_views else ({}, {})
        prior = STATEMENT_PRIOR if region.statement else 1.0
        region_tokens = parts.tokens[index]
        for token in region_tokens:
            if not is_repair_target(token):
                continue
            if model_views is not None:
                options = options_of.get(token.index, [])[:max_options]
                wrong = wrong_of.get(token.index, 0.0)
            else:
                options = [(text, 0.0) for text in candidates(token, view.tokens)[:max_options]]
                wrong = 0.0
            for text, probability in options:
                if _makes_identity(token, text, view.tokens):
                    continue
                edit = Edit(token.start, token.end, token.text, text)
                _keep(
                    found,
                    _candidate(
                        region.path,
                        edit,
                        REPLACE,
                        token.line,
                        prior * wrong * probability,
                        suspiciousness(token.line),
                        model_views is not None,
                    ),
                )
        for operation in parts.operations[index]:
            focus_start, focus_end = operation.focus
            wrong = max(
                (
                    wrong_of.get(token.index, 0.0)
                    for token in region_tokens
                    if focus_start <= token.start and token.end <= focus_end
                ),
                default=0.0,
            )
            swap = operation.kind == "swap_arguments"
            probability = (SWAP_PRIOR if swap else OPERATION_PRIOR) * wrong
            _keep(
                found,
                _candidate(
                    region.path,
                    operation.edit,
                    operation.kind,
                    operation.line,
                    prior * probability,
                    suspiciousness(operation.line),
                    model_views is not None,
                ),
            )
    ordered = sorted(found.values(), key=_stable_key)
    rng = random.Random(seed)
    tiebreak = {id(candidate): rng.random() for candidate in ordered}
    return sorted(ordered, key=lambda candidate: (-candidate.score, tiebreak[id(candidate)]))


def _makes_identity(token: Token, new: str, token_list: Sequence[Token]) -> bool:
    """Would replacing `token` by `new` read `E op n` with `op n` an identity (`+ 0`, `* 1`)?"""
    index = token.index
    if token.token_class == TokenClass.ARITHMETIC and index + 1 < len(token_list):
        operator, number, after = new, token_list[index + 1], index + 2
    elif token.token_class == TokenClass.NUMBER and index > 0:
        operator, number, after = token_list[index - 1].text, token, index + 1
        number = replace(number, text=new)
    else:
        return False
    if (operator, number.text) not in _IDENTITIES or number.token_class != TokenClass.NUMBER:
        return False
    if (
        token.token_class == TokenClass.NUMBER
        and token_list[index - 1].parent_type != "binary_operator"
    ):
        return False
    return after >= len(token_list) or token_list[after].text not in _BINDS_TIGHTER


def _candidate(
    path: str, edit: Edit, kind: str, line: int, probability: float, suspicious: float, model: bool
) -> Candidate:
    score = probability * (SUSPICIOUSNESS_FLOOR + suspicious) if model else suspicious
    return Candidate(path, edit, kind, line, score, suspicious, probability)


def _keep(found: dict, candidate: Candidate) -> None:
    key = (candidate.path, candidate.edit.start, candidate.edit.end, candidate.edit.new)
    if key not in found or found[key].score < candidate.score:
        found[key] = candidate


def _stable_key(candidate: Candidate) -> tuple:
    return (candidate.path, candidate.edit.start, candidate.edit.end, candidate.edit.new)


def import_signal(formula: str, failing: int, passing: int) -> float:
    """The score of a line every test ran (at import), as the localisation formula gives it."""
    return formula_named(formula)(failing, passing, failing, passing)


def interleave(
    by_model: Sequence[Candidate], by_suspicion: Sequence[Candidate], model_turns: int
) -> list[Candidate]:
    """Both orders merged: `model_turns` candidates from the model's order, then one from the
    suspiciousness order, skipping those already taken. A fix either order ranks at k is
    reached within about (model_turns + 1) · k / model_turns (model) or (model_turns + 1) · k
    (suspiciousness) candidates, so a model that is wrong about a bug costs a bounded factor."""
    merged: list[Candidate] = []
    seen: set[tuple] = set()
    sources = [iter(by_model), iter(by_suspicion)]
    turn = 0
    while sources:
        source = (
            sources[0] if len(sources) == 1 else sources[turn % (model_turns + 1) == model_turns]
        )
        turn += 1
        for candidate in source:
            key = _stable_key(candidate)
            if key not in seen:
                seen.add(key)
                merged.append(candidate)
                break
        else:
            sources.remove(source)
    return merged
