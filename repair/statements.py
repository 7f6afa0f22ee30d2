"""Statements as the unit of fault localization: one per simple statement, one per compound
statement's header, each shown at its first line.

A statement spanning several lines (a call over many lines, a comprehension with its `for` and
`if` clauses on lines of their own, a dict literal) is one unit: coverage reports whichever of its
lines the interpreter stopped at, and they all stand for the same statement. A compound
statement's unit is its header, from its keyword to the `:` before its block (an `if` or `elif`
condition, a `for` target and iterable, a `with` item list, an `except` clause, a `def` with its
default arguments and return annotation, a `class` with its bases); each decorator is a unit of
its own. Lines no unit holds (`else:`, `try:`, comments, blank lines) belong to none.

A unit runs at import (`import_time`) when no function body encloses it: module and class
bodies, and the headers and decorators of functions and classes defined there. Coverage gives
those to no test, so their evidence comes from elsewhere (`repair.evidence`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter

from repair.source import parse

# Compound statements: the unit is the header up to the ':' before the first block.
COMPOUND = frozenset(
    {
        "if_statement",
        "elif_clause",
        "for_statement",
        "while_statement",
        "with_statement",
        "except_clause",
        "except_group_clause",
        "function_definition",
        "class_definition",
        "match_statement",
        "case_clause",
    }
)
# Parts of compound statements that hold blocks but have nothing to run in their header.
HEADERLESS = frozenset(
    {"try_statement", "else_clause", "finally_clause", "decorated_definition", "block", "module"}
)
SIMPLE = frozenset(
    {
        "expression_statement",
        "return_statement",
        "pass_statement",
        "break_statement",
        "continue_statement",
        "raise_statement",
        "assert_statement",
        "delete_statement",
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "global_statement",
        "nonlocal_statement",
        "type_alias_statement",
        "print_statement",
        "exec_statement",
        "decorator",
    }
)
FUNCTION_BODY_OWNERS = frozenset({"function_definition"})


@dataclass(frozen=True)
class Statement:
    first: int  # 1-based line the unit starts on: where it is reported
    last: int  # its last line (a compound statement's: the header's)
    kind: str  # the tree-sitter node type
    import_time: bool  # runs when its module is imported, in no test


class StatementMap:
    """The statements of one file, and which statement each line belongs to."""

    def __init__(self, statements: list[Statement]):
        self.statements = sorted(statements, key=lambda s: (s.first, s.last))
        self._by_line: dict[int, Statement] = {}
        # Outer units first, so a nested unit (a body statement on a header's line, a decorator's
        # lines) takes the lines it holds.
        for statement in sorted(statements, key=lambda s: (s.first, -s.last)):
            for line in range(statement.first, statement.last + 1):
                self._by_line[line] = statement
        self._by_first = {s.first: s for s in self.statements}

    def at(self, line: int) -> Statement | None:
        """The unit line `line` belongs to, or None (blank, comment, `else:`)."""
        return self._by_line.get(line)

    def starting_at(self, line: int) -> Statement | None:
        return self._by_first.get(line)

    def __len__(self) -> int:
        return len(self._by_first)

    def __iter__(self) -> Iterator[Statement]:
        return iter(self.statements)


def statement_map(source: bytes, tree: tree_sitter.Tree | None = None) -> StatementMap:
    """The statement units of `source` (a file that does not parse still gives the units of
    the parts that do)."""
    tree = tree or parse(source)
    found: list[Statement] = []
    stack: list[tuple[tree_sitter.Node, bool]] = [(tree.root_node, True)]
    while stack:
        node, import_time = stack.pop()
        kind = node.type
        if kind in SIMPLE:
            found.append(_unit(node, node.end_point[0] + 1, import_time))
            # a decorator or a statement holds no statements (lambdas are expressions)
            continue
        if kind in COMPOUND:
            found.append(_unit(node, _header_end(node), import_time))
        elif kind not in HEADERLESS and not node.is_named:
            continue
        inside = import_time and kind not in FUNCTION_BODY_OWNERS
        for child in node.children:
            if child.type == "block":
                stack.append((child, inside))
            elif child.is_named and (child.type in SIMPLE or child.type in COMPOUND
                                     or child.type in HEADERLESS):  # fmt: skip
                stack.append((child, import_time))
    return StatementMap(_merge_same_first_line(found))


def _unit(node: tree_sitter.Node, last: int, import_time: bool) -> Statement:
    return Statement(node.start_point[0] + 1, last, node.type, import_time)


def _header_end(node: tree_sitter.Node) -> int:
    """The line of the ':' that ends a compound statement's header (before its first block)."""
    previous = None
    for child in node.children:
        if child.type == "block":
            break
        previous = child
    return (previous or node).end_point[0] + 1


def _merge_same_first_line(found: list[Statement]) -> list[Statement]:
    """Units are named by their first line: of two that start on one line (`if x: return y`),
    the outer one stands for both (the reported line is the same) and spans the larger range."""
    by_first: dict[int, Statement] = {}
    for statement in found:
        kept = by_first.get(statement.first)
        if kept is None or statement.last > kept.last:
            by_first[statement.first] = Statement(
                statement.first,
                max(statement.last, kept.last if kept else 0),
                (kept or statement).kind,
                statement.import_time and (kept is None or kept.import_time),
            )
    return list(by_first.values())
