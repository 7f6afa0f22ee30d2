"""A statement made like its neighbour: code written by copying a statement drifts apart, and
the fix is often the piece one copy has and the other lacks.

`if tmp_token.value == 'AS':` a line below `if tmp_token.value.upper() == 'TABLE':` offers
`if tmp_token.value.upper() == 'AS':`. Two statement units (`repair.statements`: a simple
statement, or a compound statement's header) of one function, or of one module or class body,
at most `SearchPolicy.max_sibling_distance` units apart, are siblings when their tokens match
but for one run (strings and numbers match any string or number). The run the neighbour has is
inserted, the one it lacks deleted, or a run replaced by the neighbour's (a single token for a
single token is `replace_token`'s). Runs hold at most `MAX_RUN` tokens, and the tokens that
match are at least half of the longer statement's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.operator_context import OperatorContext, span
from repair.source import common_ends
from repair.statements import COMPOUND, SIMPLE

MAX_RUN = 6  # tokens inserted, deleted or replaced at most
MAX_TOKENS = 60  # longer statements are not compared
_UNITS = (SIMPLE | COMPOUND) - {"function_definition", "class_definition", "decorator"}
_SCOPES = frozenset({"function_definition", "class_definition", "module"})
_LITERALS = {"string": "S", "concatenated_string": "S", "integer": "N", "float": "N"}


class Token(NamedTuple):
    start: int
    end: int
    shape: str  # the token's text; "S" / "N" for any string / number


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if node.type not in _UNITS or node.has_error:
        return
    units, places = _scope_units(node, ctx)
    place = places.get(node.start_byte)
    if place is None:
        return
    mine = units[place]
    distance = ctx.policy.max_sibling_distance
    for other in units[max(0, place - distance) : place + distance + 1]:
        if other is not mine:
            operation = _like(mine, other, node, ctx)
            if operation is not None:
                yield operation


def _like(
    mine: list[Token], theirs: list[Token], node: tree_sitter.Node, ctx: OperatorContext
) -> EditOperation | None:
    """The edit that makes `mine` read as `theirs`, when they differ by one run."""
    a = [token.shape for token in mine]
    b = [token.shape for token in theirs]
    if a == b:
        return None
    prefix, suffix = common_ends(a, b)
    lost, gained = len(a) - prefix - suffix, len(b) - prefix - suffix
    if lost > MAX_RUN or gained > MAX_RUN or (lost == 1 and gained == 1):
        return None
    if 2 * (prefix + suffix) < max(len(a), len(b)) or prefix + suffix < 2:
        return None
    text = ctx.source
    if gained and lost:  # a run replaced by the neighbour's
        start, end = mine[prefix].start, mine[prefix + lost - 1].end
        new = text[theirs[prefix].start : theirs[prefix + gained - 1].end]
    elif gained:  # inserted after the token before it, with the neighbour's spacing
        if prefix == 0:
            start = end = mine[0].start
            new = text[theirs[0].start : theirs[gained].start]
        else:
            start = end = mine[prefix - 1].end
            new = text[theirs[prefix - 1].end : theirs[prefix + gained - 1].end]
    elif prefix == 0:  # a leading run deleted
        start, end, new = mine[0].start, mine[lost].start, b""
    else:
        start, end, new = mine[prefix - 1].end, mine[prefix + lost - 1].end, b""
    if b"\n" in new or b"#" in new:
        return None
    return ctx.operation(EditKind.MATCH_SIBLING, start, end, new.decode("utf-8"), span(node))


def _scope_units(
    node: tree_sitter.Node, ctx: OperatorContext
) -> tuple[list[list[Token]], dict[int, int]]:
    """The tokens of each statement unit of `node`'s function, class or module body, not those
    of nested functions and classes, in source order, and each unit's place by its start byte;
    read once per scope."""
    scope = node.parent
    while scope is not None and scope.type not in _SCOPES:
        scope = scope.parent
    if scope is None:
        return [], {}
    key = ("sibling_units", scope.start_byte)
    if key not in ctx.memo:
        units = list(_units(scope))
        places: dict[int, int] = {}
        for place, unit in enumerate(units):
            places.setdefault(unit.start_byte, place)
        ctx.memo[key] = ([_tokens(unit) for unit in units], places)
    return ctx.memo[key]  # type: ignore[return-value]


def _units(scope: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    body = scope.child_by_field_name("body") if scope.type != "module" else scope
    stack = list(reversed(body.children)) if body is not None else []
    while stack:
        node = stack.pop()
        if node.type in ("function_definition", "class_definition"):
            continue
        if node.type in _UNITS:
            yield node
        stack.extend(reversed(node.children))


def _tokens(unit: tree_sitter.Node) -> list[Token]:
    """The unit's tokens (a compound statement's header only), comments left out; [] when it
    is too long to compare."""
    found: list[Token] = []
    stack = [unit]
    if unit.type in COMPOUND:  # the header: the children before the first block
        children = unit.children
        cut = next((i for i, child in enumerate(children) if child.type == "block"), len(children))
        stack = list(reversed(children[:cut]))
    while stack:
        node = stack.pop()
        if node.type == "comment":
            continue
        shape = _LITERALS.get(node.type)
        if shape is not None or node.child_count == 0:
            text = node.text.decode("utf-8", "replace") if node.text else ""
            found.append(Token(node.start_byte, node.end_byte, shape or text))
            if len(found) > MAX_TOKENS:
                return []
            continue
        stack.extend(reversed(node.children))
    return found
