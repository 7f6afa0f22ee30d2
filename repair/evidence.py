"""The evidence a test run gives about each statement, beyond a formula's score.

- **Spectra**: the tests that ran a statement, any of its lines (`statement_spectra`).
- **Crash sites**: a failing test that raised inside the source names the statements its
  traceback passed through; the one that raised (the crash site) first (`crash_scores`).
- **Import time**: coverage gives statements run while importing to no test, so a wrong module
  constant or default argument would score nothing. A module or class constant takes a share of
  the score of the suspicious statements that read its name (a def-use edge); a function's
  header and decorators take a share of its body's best score (`import_time_scores`).
"""

from __future__ import annotations

from collections.abc import Mapping

import tree_sitter

from repair.source import function_regions, tokens
from repair.statements import StatementMap
from repair.testrun import FAILING_OUTCOMES, SuiteRun

UnitKey = tuple[str, int]  # (path, first line of the statement)


def unit_key(maps: Mapping[str, StatementMap], path: str, line: int) -> UnitKey:
    """The statement `line` of `path` belongs to; a line outside every known statement stands
    for itself."""
    statements = maps.get(path)
    unit = statements.at(line) if statements is not None else None
    return (path, unit.first if unit is not None else line)


def statement_spectra(
    run: SuiteRun, maps: Mapping[str, StatementMap]
) -> dict[UnitKey, frozenset[str]]:
    """The node ids of the tests that ran each statement (any of its lines)."""
    spectra: dict[UnitKey, set[str]] = {}
    for path, lines in run.line_coverage.items():
        for line, nodeids in lines.items():
            spectra.setdefault(unit_key(maps, path, line), set()).update(nodeids)
    return {key: frozenset(nodeids) for key, nodeids in spectra.items()}


def crash_scores(
    run: SuiteRun, maps: Mapping[str, StatementMap], frame_decay: float
) -> dict[UnitKey, float]:
    """For each statement, the share of failing tests whose traceback passed through it, the
    k-th frame from the crash site counting `frame_decay ** k` (the crash site 1). In [0, 1]."""
    failing = [r for r in run.results if r.outcome in FAILING_OUTCOMES]
    totals: dict[UnitKey, float] = {}
    for result in failing:
        best: dict[UnitKey, float] = {}
        for depth, frame in enumerate(result.frames):
            key = unit_key(maps, frame.path, frame.line)
            best[key] = max(best.get(key, 0.0), frame_decay**depth)
        for key, weight in best.items():
            totals[key] = totals.get(key, 0.0) + weight
    return {key: total / len(failing) for key, total in totals.items()}


def import_time_scores(
    scores: Mapping[UnitKey, float],
    sources: Mapping[str, tuple[bytes, tree_sitter.Tree]],
    maps: Mapping[str, StatementMap],
    *,
    constant_share: float,
    header_share: float,
) -> dict[UnitKey, float]:
    """Scores for statements run at import that have none: constants read by suspicious
    statements (`constant_share` of the best reader), function headers and decorators
    (`header_share` of the function body's best statement)."""
    found: dict[UnitKey, float] = {}

    def offer(key: UnitKey, score: float) -> None:
        if score > 0 and not scores.get(key):
            found[key] = max(found.get(key, 0.0), score)

    by_file: dict[str, dict[int, float]] = {}
    for (path, first), score in scores.items():
        if score > 0:
            by_file.setdefault(path, {})[first] = score
    for path, lines in by_file.items():
        if path not in sources or path not in maps:
            continue
        source, tree = sources[path]
        statements = maps[path]
        if constant_share > 0:
            for key, score in _constant_readers(path, source, tree, statements, lines):
                offer(key, constant_share * score)
        if header_share > 0:
            for key, score in _function_headers(path, tree, statements, lines):
                offer(key, header_share * score)
    return found


def _constant_readers(path, source, tree, statements: StatementMap, lines: Mapping[int, float]):
    """(constant's key, score of a suspicious statement that reads its name) pairs."""
    constants = _import_time_assignments(tree, statements)
    if not constants:
        return
    for token in tokens(source, tree):
        first = constants.get(token.text)
        if token.node_type != "identifier" or first is None:
            continue
        unit = statements.at(token.line)
        reader = unit.first if unit is not None else token.line
        if reader != first and lines.get(reader, 0.0) > 0:
            yield (path, first), lines[reader]


def _import_time_assignments(tree: tree_sitter.Tree, statements: StatementMap) -> dict[str, int]:
    """name -> first line of the module- or class-level statement that assigns it."""
    names: dict[str, int] = {}
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        for child in node.children:
            if child.type == "class_definition" or child.type == "decorated_definition":
                stack.append(child)
            elif child.type == "block" and node.type == "class_definition":
                stack.append(child)
            elif child.type == "expression_statement" and child.named_children:
                assignment = child.named_children[0]
                left = assignment.child_by_field_name("left")
                unit = statements.at(child.start_point[0] + 1)
                if (
                    assignment.type == "assignment"
                    and left is not None
                    and left.type == "identifier"
                    and unit is not None
                    and unit.import_time
                ):
                    names.setdefault(left.text.decode(), unit.first)
    return names


def _function_headers(path, tree, statements: StatementMap, lines: Mapping[int, float]):
    """(header or decorator key, best score in the function's body) of import-time functions."""
    for _, _, first, last in function_regions(tree):
        header = statements.starting_at(first)
        if header is None or not header.import_time:
            continue
        body = [score for line, score in lines.items() if header.last < line <= last]
        if not body:
            continue
        best = max(body)
        yield (path, header.first), best
        # its decorators: import-time statements just above the `def`
        line = first - 1
        while (unit := statements.at(line)) is not None and unit.kind == "decorator":
            yield (path, unit.first), best
            line = unit.first - 1
