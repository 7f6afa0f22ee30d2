"""Edits of conditions and lookups: a guard conjunct before a condition that reads through a
name (`if args[0] == x:` -> `if args and args[0] == x:`, or `... is not None and ...`), one
operand of `and` / `or` dropped, a subscript read turned into `.get` or back (`d[k]` <->
`d.get(k)`), and equality turned into identity or back (`x == None` -> `x is None`, `s is "a"` ->
`s == "a"`, with `!=` <-> `is not`). Each is an `EditOperation` (`repair.edits`); the result
parses.
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation, _conditions
from repair.operator_context import OperatorContext, is_field, span

# Conditions that bind tighter than `and`, so `g and C` needs no parentheses around C.
_LOOSER_THAN_AND = frozenset({"boolean_operator", "conditional_expression", "lambda"})
_GUARDS = ("{} and ", "{} is not None and ")
_MAX_GUARDED = 3  # names guarded per condition
# Equality <-> identity: the other operator and the edit's kind.
_IDENTITY = {
    "==": ("is", EditKind.EQUALS_TO_IS),
    "!=": ("is not", EditKind.EQUALS_TO_IS),
    "is": ("==", EditKind.IS_TO_EQUALS),
    "is not": ("!=", EditKind.IS_TO_EQUALS),
}


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    kind = node.type
    for condition in _conditions(node):
        if condition.type != "boolean_operator":
            yield from _insert_conjunct(condition, ctx)
    if kind == "boolean_operator":
        yield from _drop_operand(node, ctx)
    if kind == "subscript":
        yield from _subscript_to_get(node, ctx)
    if kind == "call":
        yield from _get_to_subscript(node, ctx)
    if kind == "comparison_operator":
        yield from _equality_identity(node, ctx)


def _guarded(condition: tree_sitter.Node, ctx: OperatorContext) -> list[str]:
    """Names (or attribute chains) a condition reads through: the objects of its subscripts,
    attribute calls and `in` tests, in source order."""
    found: dict[str, None] = {}
    stack = [condition]
    while stack:
        node = stack.pop()
        if node.type in ("subscript", "attribute"):
            owner = node.child_by_field_name("value" if node.type == "subscript" else "object")
            if owner is not None and owner.type in ("identifier", "attribute"):
                found.setdefault(ctx.text(owner), None)
        elif node.type == "comparison_operator":
            operands = [child for child in node.named_children if child.type != "comment"]
            if len(operands) == 2 and operands[1].type in ("identifier", "attribute"):
                found.setdefault(ctx.text(operands[1]), None)
        stack.extend(reversed(node.children))
    return [name for name in found if name not in ("self", "cls")][:_MAX_GUARDED]


def _insert_conjunct(condition: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if "\n" in ctx.text(condition) or condition.type == "not_operator":
        return
    text = ctx.text(condition)
    if condition.type in _LOOSER_THAN_AND:
        text = f"({text})"
    for name in _guarded(condition, ctx):
        for guard in _GUARDS:
            new = guard.format(name) + text
            yield ctx.operation(EditKind.INSERT_CONJUNCT, *span(condition), new, span(condition))


def _drop_operand(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left is None or right is None or operator is None or "\n" in ctx.text(node):
        return
    for kept in (left, right):
        yield ctx.operation(EditKind.DROP_OPERAND, *span(node), ctx.text(kept), span(operator))


def _subscript_to_get(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    value = node.child_by_field_name("value")
    keys = node.children_by_field_name("subscript")
    if value is None or len(keys) != 1 or keys[0].type == "slice" or _is_target(node):
        return
    if "\n" in ctx.text(node):
        return
    new = f"{ctx.text(value)}.get({ctx.text(keys[0])})"
    yield ctx.operation(EditKind.SUBSCRIPT_TO_GET, *span(node), new, span(node))


def _get_to_subscript(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or function.type != "attribute" or arguments is None:
        return
    name = function.child_by_field_name("attribute")
    owner = function.child_by_field_name("object")
    inner = [child for child in arguments.named_children if child.type != "comment"]
    if name is None or owner is None or ctx.text(name) != "get" or len(inner) != 1:
        return
    if inner[0].type in (
        "keyword_argument",
        "list_splat",
        "dictionary_splat",
        "generator_expression",
    ):
        return
    new = f"{ctx.text(owner)}[{ctx.text(inner[0])}]"
    yield ctx.operation(EditKind.GET_TO_SUBSCRIPT, *span(node), new, span(function))


def _equality_identity(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    for operator in node.children_by_field_name("operators"):
        if operator.type in _IDENTITY:
            new, kind = _IDENTITY[operator.type]
            yield ctx.operation(kind, *span(operator), new, span(operator))


def _is_target(node: tree_sitter.Node) -> bool:
    """Assigned to, augmented or deleted: `d[k] = v` never becomes `d.get(k) = v`."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("assignment", "augmented_assignment"):
        return is_field(node, parent.type, "left")
    return parent.type in ("delete_statement", "pattern_list", "tuple_pattern", "expression_list")
