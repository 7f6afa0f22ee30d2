"""Suspicious regions → candidate edits, ranked by the model and suspiciousness together.

A region is a function that holds lines a failing test ran (the innermost function of each line),
or a top-level / class-level statement of a file the failing tests ran: such statements run at
import, inside no test, so coverage cannot score them; like training (`training.environment`)
they count as run by every test. The regions of one program state become graphs with the test
signal as a node feature; the model says per token how likely it is wrong and what it should be.

Candidates: same-class token replacements (score P(wrong) · P(option), P(option) smoothed,
`SearchPolicy.option_smoothing`) and the structural edits of `repair.edits` (score
`operation_prior`, or `swap_prior` for an argument swap, · the highest P(wrong) among the tokens
they touch), each times (`suspiciousness_floor` + the line's suspiciousness), and times
`statement_prior` in a statement (the knobs are fields of `repair.policy.SearchPolicy`). With
`real_operators`, the real-fix operators' edits too (`repair.operators`): their prior is
`operation_prior` times their kind's frozen train-split ratio (`repair.operator_priors`) times
`real_operator_scale`, and per region only the likeliest `max_real_candidates` (at most
`max_candidates_per_kind` of a kind) are not deferred. Without
a model (the baseline), `repair.prior.PriorScorer` gives the probabilities instead (every token
equally likely wrong, a replacement as likely as its text is frequent): the same candidates, the
same formula, the same rules in the search. Ties are broken by a seeded shuffle, so a seed fixes
the order.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import tree_sitter

from repair.edits import EditKind, attribute_names
from repair.file_facts import file_facts
from repair.localize import formula_named
from repair.naturalness import NgramCache, natural_factors
from repair.operator_priors import KIND_PRIORS
from repair.operators import search_operations, table_operations
from repair.policy import SearchPolicy
from repair.prior import UNIFORM_WRONG, PriorScorer
from repair.source import (
    Edit,
    Token,
    TokenClass,
    function_regions,
    innermost_function,
    is_repair_target,
)
from repair.test_literals import Literals

if TYPE_CHECKING:  # the model-free baseline never imports torch
    from repair.score import EnsembleScorer, ModelScorer

    Scorer = ModelScorer | EnsembleScorer | PriorScorer

# Per region: {token index: P(wrong)}, and {token index: [(replacement, P), ...] best first}: what
# every scorer returns (`repair.score` with a model, `repair.prior` without).
RegionScores = tuple[dict[int, float], dict[int, list[tuple[str, float]]]]

_STATEMENT_TYPES = frozenset({"expression_statement"})  # assignments and bare expressions
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
    # a statement run at import too long for the model (a data table): only entries from the
    # failing tests' strings are offered in it (`repair.collection_entries`)
    table: bool = False


@dataclass(frozen=True)
class Candidate:
    path: str
    edit: Edit
    kind: EditKind
    line: int
    score: float  # higher is tried first
    suspiciousness: float  # of the edit's line, normalised to [0, 1]
    model_probability: float  # P(wrong) · P(option) or its operation analogue; 0 without a model
    # the tests whose outcome the edit can change (those that ran its function, and those whose
    # run says nothing complete about it); None: every test
    tests: frozenset[str] | None = None
    # beyond the first `SearchPolicy.max_options` options of its token: ranked after every
    # candidate that is not, and held back by the search until nothing else is left
    deferred: bool = False
    # a deferred candidate's place among the deferred of its kind, best first
    # (`SearchPolicy.reserve_by_kind`: the reserve takes every kind's first, then their second...)
    turn: int = 0

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
    policy: SearchPolicy,
    tables_everywhere: bool = False,
) -> tuple[list[Region], dict[str, dict[int, float]]]:
    """The `policy.top_functions` most suspicious functions, plus the statements run at import
    of every file that has a suspicious line; and each file's line signal (line scores, import
    lines included). With `tables_everywhere` (the failing tests hold strings), every other
    file's statements run at import too, as tables (`Region.table`: only entries offered): a
    module of constants runs at import, where coverage sees no test run it."""
    functions: list[Region] = []
    statements: dict[str, list[Region]] = {}
    signals: dict[str, dict[int, float]] = {}
    for path in sorted(files):
        scores = {line: score for line, score in line_scores.get(path, {}).items() if score > 0}
        view = files[path]
        if not scores:
            if tables_everywhere and policy.test_literal_entries:
                statements[path] = [
                    Region(path, *region, import_signal, statement=True, table=True)
                    for region in _import_statements(path, view)
                ]
                signals[path] = {
                    line: import_signal
                    for r in statements[path]
                    for line in range(r.first_line, r.last_line + 1)
                }
            continue
        signal = dict(line_scores.get(path, {}))
        functions += _function_regions(path, view, scores)
        statements[path] = []
        for region in _import_statements(path, view)[: policy.module_statements_per_file]:
            table = region[3] - region[2] + 1 > policy.max_statement_lines
            if table and not policy.test_literal_entries:
                continue  # a data table: many nodes for the model, rarely the bug
            statements[path].append(
                Region(path, *region, import_signal, statement=True, table=table)
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
    chosen = functions[: policy.top_functions]
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
    scorer: Scorer | None,
    iteration: int,
    seed: int,
    policy: SearchPolicy,
    model_signals: Mapping[str, Mapping[int, float]] | None = None,
    literals: Literals = (),
) -> list[Candidate]:
    """Every candidate edit in `regions`, best first, without duplicates. `scorer`: a model's
    (`repair.score`), or None for the model-free baseline's (`repair.prior.PriorScorer`).
    `signals` weigh each candidate by its line's suspiciousness; the scorer's graphs carry
    `model_signals` when given (the signal the model was trained with), else `signals`.
    `literals`: the failing tests' strings (`repair.test_literals`), for the operators.

    With a model and `policy.model_turns`, its order and the baseline's are interleaved,
    `model_turns` to one; scores then follow the merged order.
    """
    tables = [region for region in regions if region.table]
    regions = [region for region in regions if not region.table]
    parts = _RegionParts(files, regions, policy, literals, tables)
    both = (signals, model_signals if model_signals is not None else signals)
    ranked = _rank(files, regions, both, scorer or PriorScorer(), iteration, seed, parts, policy)
    if scorer is None or policy.model_turns is None:
        return ranked
    baseline = _rank(files, regions, both, PriorScorer(), iteration, seed, parts, policy)
    merged = interleave(ranked, baseline, policy.model_turns)
    count = len(merged)
    return [replace(c, score=(count - i) / count) for i, c in enumerate(merged)]


class _RegionParts:
    """Each region's tokens and structural edits, computed once for both orders."""

    def __init__(
        self,
        files: Mapping[str, FileView],
        regions: Sequence[Region],
        policy: SearchPolicy,
        literals: Literals = (),
        tables: Sequence[Region] = (),
    ):
        starts = {path: [token.start for token in view.tokens] for path, view in files.items()}
        # each data table's entries, without the model: (region, operations)
        self.tables = [
            (table, table_operations(files[table.path], (table.start, table.end), policy, literals))
            for table in tables
        ]
        attributes, facts, file_grams = {}, {}, {}
        self.tokens: list[list[Token]] = []
        self.operations = []
        self.natural: list[list[float]] = []  # each operation's `repair.naturalness` factor
        for region in regions:
            view = files[region.path]
            low = bisect.bisect_left(starts[region.path], region.start)
            high = bisect.bisect_left(starts[region.path], region.end)
            self.tokens.append([t for t in view.tokens[low:high] if t.end <= region.end])
            if region.path not in attributes:
                attributes[region.path] = attribute_names(view.tree.root_node, view.source)
                if policy.real_operators:
                    facts[region.path] = file_facts(view.tree.root_node, view.source)
            operations = search_operations(
                view.source,
                view.tree,
                (region.start, region.end),
                policy,
                attributes=attributes[region.path],
                facts=facts.get(region.path),
                literals=literals,
            )
            self.operations.append(operations)
            shares = []
            if policy.natural_floor is not None:
                if policy.natural_scope == "file":
                    if region.path not in file_grams:
                        file_grams[region.path] = NgramCache(view.source)
                    cache = file_grams[region.path]
                else:
                    cache = NgramCache(view.source, region.start, region.end)
                shares = [cache.seen_share(operation.edit) for operation in operations]
            self.natural.append(natural_factors(shares, policy.natural_floor))


def _rank(
    files, regions, both, scorer, iteration, seed, parts: _RegionParts, policy: SearchPolicy
) -> list[Candidate]:
    signals, model_signals = both
    top_signal = max((s for signal in signals.values() for s in signal.values()), default=0.0)
    scale = top_signal if top_signal > 0 else 1.0
    views = scorer.score(files, regions, model_signals, iteration, policy)
    cap = policy.max_options
    found: dict[tuple[str, int, int, str], Candidate] = {}
    for index, region in enumerate(regions):
        view = files[region.path]
        signal = signals.get(region.path, {})
        wrong_of, options_of = views[index]
        prior = policy.statement_prior if region.statement else 1.0
        region_tokens = parts.tokens[index]
        line_signal = (policy.suspiciousness_floor, signal, scale)
        for token in region_tokens:
            if not is_repair_target(token):
                continue
            wrong = wrong_of.get(token.index, 0.0)
            options = own_quotes_first(token.text, options_of.get(token.index, []))
            for position, (text, probability) in enumerate(options):
                if _makes_identity(token, text, view.tokens):
                    continue
                edit = Edit(token.start, token.end, token.text, text)
                kind, probability = EditKind.REPLACE_TOKEN, prior * wrong * probability
                deferred = cap is not None and position >= cap
                _keep(
                    found, region.path, edit, kind, token.line, probability, line_signal, deferred
                )
        token_starts = [token.start for token in region_tokens]
        capped: dict[EditKind, list[Candidate]] = {}
        natural = parts.natural[index]
        for number, operation in enumerate(parts.operations[index]):
            focus_start, focus_end = operation.focus
            first = bisect.bisect_left(token_starts, focus_start)
            wrong = 0.0
            for token in region_tokens[first:]:
                if token.start >= focus_end:
                    break
                if token.end <= focus_end:
                    wrong = max(wrong, wrong_of.get(token.index, 0.0))
            probability = operation_prior(operation.kind, policy) * wrong
            if natural:
                probability *= natural[number]
            edit, kind, line = operation.edit, operation.kind, operation.line
            if kind in KIND_OF_REAL:
                if kind not in ENTRIES:  # as in tables (below)
                    probability *= prior
                candidate = _scored(region.path, edit, kind, line, probability, line_signal)
                capped.setdefault(kind, []).append(candidate)
            else:
                _keep(found, region.path, edit, kind, line, prior * probability, line_signal)
        for candidate in _cap_real(capped, policy):
            _put(found, candidate)
    # Tables: no model view, every entry equally likely; not `statement_prior` (an entry is
    # offered only where a failing test names what the table lacks)
    for region, operations in parts.tables:
        line_signal = (policy.suspiciousness_floor, signals.get(region.path, {}), scale)
        probability = UNIFORM_WRONG
        capped = {}
        for operation in operations:
            kind, line = operation.kind, operation.line
            probability_of = probability * operation_prior(kind, policy)
            candidate = _scored(
                region.path, operation.edit, kind, line, probability_of, line_signal
            )
            capped.setdefault(kind, []).append(candidate)
        for candidate in _cap_real(capped, policy):
            _put(found, candidate)
    # deferred ones last, and drawn last, so the others' order does not depend on them
    ordered = sorted(
        found.values(), key=lambda candidate: (candidate.deferred, *_stable_key(candidate))
    )
    rng = random.Random(seed)
    tiebreak = {id(candidate): rng.random() for candidate in ordered}
    ordered = sorted(ordered, key=lambda c: (c.deferred, -c.score, tiebreak[id(c)]))
    return _take_turns(ordered) if policy.reserve_by_kind else ordered


_PLAIN_STRING = re.compile(r"""(["'])([^"'\\\n]*)\1""")


def own_quotes_first(text: str, options: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """A string literal's options with each string offered in both quote styles (`''` and
    `""`) given the better of the two probabilities in `text`'s own quotes and the worse in
    the other, so the patch found first keeps the file's style (`" "` -> `""`, not `''`);
    both stay candidates. The literal's own string in other quotes (`''` for `""`) changes
    nothing and is dropped. Other options as they are, in order of probability."""
    own = _PLAIN_STRING.fullmatch(text)
    if own is None:
        return list(options)
    parsed = [
        (option, probability, _PLAIN_STRING.fullmatch(option)) for option, probability in options
    ]
    by_value: dict[str, list[float]] = {}
    for _, probability, plain in parsed:
        if plain is not None:
            by_value.setdefault(plain.group(2), []).append(probability)
    result = []
    for option, probability, plain in parsed:
        if plain is not None and plain.group(2) == own.group(2):
            continue  # the same string: an edit no test can see
        pair = by_value.get(plain.group(2), []) if plain is not None else []
        if len(pair) == 2:
            mine = plain.group(1) == own.group(1)
            probability = max(pair) if mine else min(pair)
        result.append((option, probability))
    return sorted(result, key=lambda item: -item[1])


def _take_turns(ordered: list[Candidate]) -> list[Candidate]:
    """`ordered` (deferred last, each part by score) with each deferred candidate's `turn` set
    and the deferred reordered by (turn, score): every kind's best first, then their second..."""
    first_deferred = next((i for i, c in enumerate(ordered) if c.deferred), len(ordered))
    seen: dict[EditKind, int] = {}
    deferred = []
    for candidate in ordered[first_deferred:]:
        turn = seen.get(candidate.kind, 0)
        seen[candidate.kind] = turn + 1
        deferred.append(replace(candidate, turn=turn))
    deferred.sort(key=lambda candidate: candidate.turn)  # stable: by score within a turn
    return ordered[:first_deferred] + deferred


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


# The kinds of `repair.operators` (every kind after REPLACE_ATTRIBUTE): capped per region.
KIND_OF_REAL = frozenset(list(EditKind)[list(EditKind).index(EditKind.REPLACE_ATTRIBUTE) + 1 :])
ENTRIES = frozenset({EditKind.INSERT_ENTRY, EditKind.APPEND_ENTRY})  # `repair.collection_entries`
# A real-fix kind missing from the frozen table: as likely per candidate as the rarest there.
_UNSEEN_KIND_PRIOR = min(KIND_PRIORS.values(), default=0.01)


def _cap_real(by_kind: dict[EditKind, list[Candidate]], policy: SearchPolicy) -> list[Candidate]:
    """A region's real-fix candidates, the likeliest `max_real_candidates` of them (at most
    `max_candidates_per_kind` of a kind) as they are, the rest deferred (`Candidate.deferred`:
    tried once everything else is, as options beyond `max_options` are)."""
    ordered = sorted(
        (candidate for group in by_kind.values() for candidate in group),
        key=lambda candidate: (-candidate.score, *_stable_key(candidate)),
    )
    taken: dict[EditKind, int] = {}
    result = []
    kept = 0
    for candidate in ordered:
        count = taken.get(candidate.kind, 0)
        if kept < policy.max_real_candidates and count < policy.max_candidates_per_kind:
            taken[candidate.kind] = count + 1
            kept += 1
            result.append(candidate)
        else:
            result.append(replace(candidate, deferred=True))
    return result


def operation_prior(kind: EditKind, policy: SearchPolicy) -> float:
    """A structural edit's prior: `swap_prior` for an argument swap, `operation_prior` for the
    other kinds of `repair.edits`, and for the real-fix kinds `operation_prior` times the kind's
    frozen train-split ratio (`repair.operator_priors`) times `real_operator_scale`."""
    if kind == EditKind.SWAP_ARGUMENTS:
        return policy.swap_prior
    if kind in ENTRIES:
        return policy.entry_prior * (1.0 if kind == EditKind.INSERT_ENTRY else policy.append_share)
    if kind in KIND_OF_REAL:
        return policy.operation_prior * policy.real_operator_scale * real_kind_ratio(kind)
    return policy.operation_prior


def real_kind_ratio(kind: EditKind) -> float:
    """A real-fix kind's frozen train-split hits per candidate, against those of
    `repair.edits`' kinds pooled (`repair.operator_priors`); the rarest's when it is missing."""
    return KIND_PRIORS.get(kind.value, _UNSEEN_KIND_PRIOR)


def _scored(
    path: str,
    edit: Edit,
    kind: EditKind,
    line: int,
    probability: float,
    signal: tuple[float, Mapping[int, float], float],
    deferred: bool = False,
) -> Candidate:
    """The candidate, scored `probability` · (floor + its line's suspiciousness). `signal`:
    (floor, line signal, its scale)."""
    floor, lines, scale = signal
    suspicious = lines.get(line, 0.0) / scale
    score = probability * (floor + suspicious)
    return Candidate(path, edit, kind, line, score, suspicious, probability, None, deferred)


def _put(found: dict, candidate: Candidate) -> None:
    """`candidate` into `found` unless a better-scored one makes the same edit."""
    key = (candidate.path, candidate.edit.start, candidate.edit.end, candidate.edit.new)
    if key not in found or found[key].score < candidate.score:
        found[key] = candidate


def _keep(
    found: dict,
    path: str,
    edit: Edit,
    kind: EditKind,
    line: int,
    probability: float,
    signal: tuple[float, Mapping[int, float], float],
    deferred: bool = False,
) -> None:
    """The candidate, scored `probability` · (floor + its line's suspiciousness), into `found`
    unless a better-scored one makes the same edit. `signal`: (floor, line signal, its scale)."""
    _put(found, _scored(path, edit, kind, line, probability, signal, deferred))


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
