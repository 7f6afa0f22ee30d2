"""Spectrum-based fault localization: how suspicious each line is, from per-test coverage.

For a line, `ef` / `ep` count the failing / passing tests that ran it, `F` / `P` all failing /
passing tests. A formula turns the four numbers into a score; higher is more suspicious. Skipped
tests count as neither. A node of the syntax tree takes its line's score (`token_scores`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from repair.errors import BadInput, TestSuiteBroken
from repair.project import check_paths_exist, find_project_root
from repair.source import Token, parse, tokens
from repair.testrun import SuiteRun, run_suite

DSTAR_EXPONENT = 2
# DStar divides by ep + (F - ef), which is 0 for a line run by every failing test and no passing
# one: the most suspicious line there can be. It gets ef**2 * 1000 + 1, finite (JSON, sorting) and
# above every score with a non-zero denominator (those are at most ef**2).
DSTAR_UNBOUNDED_FACTOR = 1000


def tarantula(failed_cover: int, passed_cover: int, total_failed: int, total_passed: int) -> float:
    """(ef/F) / (ef/F + ep/P); 0 when no failing test runs the line; no passing tests: ep/P = 0."""
    if failed_cover == 0:
        return 0.0
    fail_rate = failed_cover / total_failed
    pass_rate = passed_cover / total_passed if total_passed else 0.0
    return fail_rate / (fail_rate + pass_rate)


def ochiai(failed_cover: int, passed_cover: int, total_failed: int, total_passed: int) -> float:
    """ef / sqrt(F * (ef + ep)); 0 when no failing test runs the line."""
    if failed_cover == 0:
        return 0.0
    return failed_cover / math.sqrt(total_failed * (failed_cover + passed_cover))


def dstar(failed_cover: int, passed_cover: int, total_failed: int, total_passed: int) -> float:
    """ef**2 / (ep + F - ef); see DSTAR_UNBOUNDED_FACTOR for a zero denominator."""
    if failed_cover == 0:
        return 0.0
    numerator = failed_cover**DSTAR_EXPONENT
    denominator = passed_cover + (total_failed - failed_cover)
    if denominator == 0:
        return numerator * DSTAR_UNBOUNDED_FACTOR + 1.0
    return numerator / denominator


def covered_by_failing(
    failed_cover: int, passed_cover: int, total_failed: int, total_passed: int
) -> float:
    """1 if any failing test runs the line, else 0: Exp 1's binary test signal."""
    return 1.0 if failed_cover > 0 else 0.0


Formula = Callable[[int, int, int, int], float]
FORMULAS: dict[str, Formula] = {
    "tarantula": tarantula,
    "ochiai": ochiai,
    "dstar": dstar,
    "binary": covered_by_failing,
}


@dataclass(frozen=True)
class RankedLine:
    path: str  # relative to the project root, POSIX separators
    line: int  # 1-based
    score: float
    text: str  # the line's source, stripped


@dataclass(frozen=True)
class Localization:
    root: Path  # the project root that paths are relative to
    run: SuiteRun
    ranked: list[RankedLine]  # most suspicious first; empty when no test fails


def formula_named(name: str) -> Formula:
    try:
        return FORMULAS[name]
    except KeyError:
        choices = ", ".join(FORMULAS)
        raise BadInput(f"unknown formula {name!r} (choose from {choices})") from None


def line_scores(run: SuiteRun, formula: str = "tarantula") -> dict[tuple[str, int], float]:
    """Score of every covered line, keyed by (path, line)."""
    score = formula_named(formula)
    failed, passed = set(run.failed), set(run.passed)
    total_failed, total_passed = len(failed), len(passed)
    return {
        (path, line): score(
            len(nodeids & failed), len(nodeids & passed), total_failed, total_passed
        )
        for path, lines in run.line_coverage.items()
        for line, nodeids in lines.items()
    }


def scores_by_file(scores: Mapping[tuple[str, int], float]) -> dict[str, dict[int, float]]:
    """{path: {line: score}}, the shape `token_scores` takes one file of."""
    by_file: dict[str, dict[int, float]] = {}
    for (path, line), score in scores.items():
        by_file.setdefault(path, {})[line] = score
    return by_file


def token_scores(tokens: Sequence[Token], scores_for_file: Mapping[int, float]) -> list[float]:
    """Each token's test signal: the score of the line it starts on, 0 for lines no test ran."""
    return [scores_for_file.get(token.line, 0.0) for token in tokens]


# A module-level constant scores slightly below the suspicious lines that read it.
CONSTANT_SHARE = 0.99


def propagate_to_module_constants(
    scores: Mapping[tuple[str, int], float], root: Path
) -> dict[tuple[str, int], float]:
    """Give module-level assignments the score of the suspicious lines that use their names.

    Import-time lines run outside every test, so coverage gives a wrong module constant no
    score at all; following the name from the lines that read it (a def-use edge) finds it.
    """
    result = dict(scores)
    by_file = scores_by_file(scores)
    for path, lines in by_file.items():
        if not any(score > 0 for score in lines.values()):
            continue
        try:
            source = (Path(root) / path).read_bytes()
        except OSError:
            continue
        tree = parse(source)
        constants: dict[str, int] = {}  # name -> line of its module-level assignment
        for statement in tree.root_node.children:
            target = statement.children[0] if statement.type == "expression_statement" else None
            if target is not None and target.type == "assignment":
                left = target.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    constants[left.text.decode()] = target.start_point[0] + 1
        if not constants:
            continue
        for token in tokens(source, tree):
            line_of_constant = constants.get(token.text)
            if token.node_type != "identifier" or line_of_constant is None:
                continue
            use = lines.get(token.line, 0.0)
            key = (path, line_of_constant)
            if use > 0 and token.line != line_of_constant and not scores.get(key):
                result[key] = max(result.get(key, 0.0), CONSTANT_SHARE * use)
    return result


def rank_lines(
    run: SuiteRun, root: Path, formula: str = "tarantula", top: int | None = 10
) -> list[RankedLine]:
    """Lines with a positive score, most suspicious first; ties by path, then line number.

    `top=None` keeps them all.
    """
    scores = propagate_to_module_constants(line_scores(run, formula), root)
    order = sorted(
        ((key, score) for key, score in scores.items() if score > 0),
        key=lambda item: (-item[1], item[0]),
    )
    if top is not None:
        order = order[:top]
    sources: dict[str, list[str]] = {}
    ranked = []
    for (path, line), score in order:
        if path not in sources:
            text = (Path(root) / path).read_bytes().decode("utf-8", errors="replace")
            sources[path] = text.splitlines()
        lines = sources[path]
        text = lines[line - 1].strip() if line <= len(lines) else ""
        ranked.append(RankedLine(path, line, score, text))
    return ranked


def localize(
    src_paths: Sequence[Path],
    test_paths: Sequence[Path],
    formula: str = "tarantula",
    top: int | None = 10,
    *,
    per_test_timeout: float = 10.0,
    total_timeout: float = 300.0,
) -> Localization:
    """Run the tests once and rank the source lines by suspiciousness.

    Raises BadInput (missing path, unknown formula), NoTestsFound, or TestSuiteBroken when no
    test produced a result (every test file failed to import, or the interpreter crashed first).
    Collection errors next to tests that did run are kept in `run.collection_errors`.
    """
    formula_named(formula)
    check_paths_exist([*src_paths, *test_paths])
    root = find_project_root(src_paths, test_paths)
    run = run_suite(
        root,
        test_paths,
        src_paths,
        per_test_timeout=per_test_timeout,
        total_timeout=total_timeout,
    )
    if not run.results:
        if run.collection_errors:
            raise TestSuiteBroken(run.collection_errors[0])
        raise TestSuiteBroken("no test finished before the overall timeout")
    return Localization(root=root, run=run, ranked=rank_lines(run, root, formula, top))
