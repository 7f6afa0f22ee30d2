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

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

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


@dataclass
class ImportLinks:
    """What links one file's import-time statements to the statements that run in tests."""

    constants: dict[str, int]  # name -> first line of the import-time statement assigning it
    reads: dict[str, set[int]]  # name -> first lines of the statements that read it
    # (header and decorator first lines, first and last line of the body) per import-time def
    functions: list[tuple[tuple[int, ...], int, int]]
    words: dict[int, frozenset[str]]  # statement's first line -> the words of its names and strings


def import_links(source: bytes, tree: tree_sitter.Tree, statements: StatementMap) -> ImportLinks:
    """The file's import-time constants, who reads which name, and its functions' headers."""
    constants = _import_time_assignments(tree, statements)
    reads: dict[str, set[int]] = {}
    words: dict[int, set[str]] = {}
    for token in tokens(source, tree):
        if token.node_type in ("identifier", "string", "string_content"):
            unit = statements.at(token.line)
            reader = unit.first if unit is not None else token.line
            words.setdefault(reader, set()).update(words_of(token.text))
            if token.node_type == "identifier" and constants.get(token.text) != reader:
                reads.setdefault(token.text, set()).add(reader)
    functions = []
    for _, _, first, last in function_regions(tree):
        header = statements.starting_at(first)
        if header is None or not header.import_time:
            continue
        keys = [header.first]
        line = first - 1  # its decorators: the decorator statements just above the `def`
        while (unit := statements.at(line)) is not None and unit.kind == "decorator":
            keys.append(unit.first)
            line = unit.first - 1
        functions.append((tuple(keys), header.last + 1, last))
    frozen = {first: frozenset(found) for first, found in words.items() if found}
    return ImportLinks(constants, reads, functions, frozen)


_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
# Words every test or statement has: they tell nothing about where a bug is.
STOP_WORDS = frozenset(
    "test tests self cls assert assertion error errors none true false the and for not with "
    "return def args kwargs value values result expected actual got raise raises where that "
    "this from into equal equals should".split()
)


def words_of(text: str) -> set[str]:
    """The lower-case words of a name or text: snake_case and CamelCase split, three letters or
    more, without STOP_WORDS."""
    found = {word.lower() for word in _WORD.findall(text)}
    return {word for word in found if len(word) >= 3 and word not in STOP_WORDS}


def failing_test_words(nodeid: str, message: str) -> set[str]:
    """A failing test's words: its function and class names (parameters left out) and its
    failure message, which often names the values that came out wrong."""
    names = nodeid.split("::")[1:]
    return words_of(" ".join(name.split("[")[0] for name in names)) | words_of(message)


def text_scores(run: SuiteRun, links: Mapping[str, ImportLinks], keys) -> dict[UnitKey, float]:
    """For each statement in `keys`, how much of the failing tests' words it shares: per test,
    the IDF-weighted share of the test's words (those found in the sources) that the statement
    holds; averaged over failing tests. In [0, 1]. IR-based localization, in its simplest form."""
    failing = [r for r in run.results if r.outcome in FAILING_OUTCOMES]
    statements = [w for link in links.values() for w in link.words.values()]
    counts: dict[str, int] = {}
    for found in statements:
        for word in found:
            counts[word] = counts.get(word, 0) + 1
    if not failing or not counts:
        return {}
    idf = {word: math.log((1 + len(statements)) / count) for word, count in counts.items()}
    per_test = []
    for result in failing:
        wanted = {w: idf[w] for w in failing_test_words(result.nodeid, result.message) if w in idf}
        per_test.append((wanted, sum(wanted.values())))
    scores = {}
    for path, first in keys:
        link = links.get(path)
        found = link.words.get(first, frozenset()) if link is not None else frozenset()
        total = sum(
            sum(weight for word, weight in wanted.items() if word in found) / norm
            for wanted, norm in per_test
            if norm > 0
        )
        if total > 0:
            scores[(path, first)] = total / len(failing)
    return scores


def _shared_name(name: str) -> bool:
    """A name read across files by convention a constant (`KEYWORDS`, `MAX_SIZE`): a module's
    other names are too common to follow from file to file (`name`, `value`)."""
    return len(name) >= 3 and name.isupper()


def import_time_scores(
    scores: Mapping[UnitKey, float],
    links: Mapping[str, ImportLinks],
    *,
    constant_share: float,
    header_share: float,
) -> dict[UnitKey, float]:
    """Scores for statements run at import that have none: constants read by suspicious
    statements (`constant_share` of the best reader; an upper-case name also from other files),
    function headers and decorators (`header_share` of the function body's best statement)."""
    by_file: dict[str, dict[int, float]] = {}
    for (path, first), score in scores.items():
        if score > 0:
            by_file.setdefault(path, {})[first] = score
    found: dict[UnitKey, float] = {}

    def offer(key: UnitKey, score: float) -> None:
        if score > 0 and not scores.get(key):
            found[key] = max(found.get(key, 0.0), score)

    if constant_share > 0:
        # the best suspicious reader of each upper-case name, over all files
        shared: dict[str, float] = {}
        for path, lines in by_file.items():
            if path in links:
                for name, readers in links[path].reads.items():
                    if _shared_name(name):
                        best = max((lines.get(r, 0.0) for r in readers), default=0.0)
                        shared[name] = max(shared.get(name, 0.0), best)
        for path, link in links.items():
            lines = by_file.get(path, {})
            for name, first in link.constants.items():
                readers = link.reads.get(name, ())
                best = max((lines.get(r, 0.0) for r in readers), default=0.0)
                if _shared_name(name):
                    best = max(best, shared.get(name, 0.0))
                offer((path, first), constant_share * best)
    if header_share > 0:
        for path, lines in by_file.items():
            if path not in links:
                continue
            for keys, low, high in links[path].functions:
                best = max((s for line, s in lines.items() if low <= line <= high), default=0.0)
                for first in keys:
                    offer((path, first), header_share * best)
    return found


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
