"""Token insertions and deletions at points the grammar allows: a unary minus, a comparison with
None on a condition, an argument added to or dropped from a call, and parentheses that change
which operator binds first. Each is an `EditOperation` (`repair.edits`); the result parses.
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation, _conditions
from repair.file_facts import callee_name
from repair.operator_context import (
    OperatorContext,
    enclosing_function,
    line_of,
    span,
    value_slots,
)

# Operands a minus may go in front of: what reads as a number.
_NEGATABLE = frozenset({"identifier", "integer", "float", "call", "attribute", "subscript"})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "//", "%", "**"})
# What a condition compared with None can be.
_NONE_CHECKABLE = frozenset({"identifier", "attribute", "call", "subscript"})
# Positional values an inserted argument may be (besides the function's own names).
_ARGUMENT_CONSTANTS = ("None", "True", "False", "0", "1")
# Inner expressions whose parentheses decide what binds first, and where dropping them counts.
_GROUPED = frozenset({"binary_operator", "boolean_operator", "comparison_operator"})
_GROUPING_PARENTS = frozenset(
    {"binary_operator", "comparison_operator", "boolean_operator", "unary_operator", "not_operator"}
)
# Binary operators by binding strength (higher binds tighter).
_PRECEDENCE = {
    "|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5,
    "*": 6, "/": 6, "//": 6, "%": 6, "@": 6, "**": 7,
}  # fmt: skip


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    kind = node.type
    if kind == "unary_operator":
        yield from _remove_negation(node, ctx)
    if kind == "binary_operator" and ctx.text(node.child_by_field_name("operator")) in _ARITHMETIC:
        for operand in value_slots(node):
            yield from _insert_negation(operand, ctx)
    if kind in ("return_statement", "assignment"):
        for value in value_slots(node):
            yield from _insert_negation(value, ctx)
    for condition in _conditions(node):
        yield from _insert_none_check(condition, ctx)
    if kind == "comparison_operator":
        yield from _remove_none_check(node, ctx)
    if kind == "argument_list" and node.parent is not None and node.parent.type == "call":
        yield from _delete_arguments(node, ctx)
        yield from _insert_arguments(node, ctx)
    if kind == "binary_operator":
        yield from _parenthesize(node, ctx)
    if kind == "parenthesized_expression":
        yield from _remove_parentheses(node, ctx)


def _insert_negation(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if node.type not in _NEGATABLE or "\n" in ctx.text(node):
        return
    yield ctx.operation(
        EditKind.INSERT_NEGATION, *span(node), "-" + ctx.text(node), span(node), line_of(node)
    )


def _remove_negation(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    operator = node.child_by_field_name("operator")
    argument = node.child_by_field_name("argument")
    if operator is None or argument is None or ctx.text(operator) != "-":
        return
    yield ctx.operation(
        EditKind.REMOVE_NEGATION, *span(node), ctx.text(argument), span(operator), line_of(node)
    )


def _insert_none_check(
    condition: tree_sitter.Node, ctx: OperatorContext
) -> Iterator[EditOperation]:
    if condition.type not in _NONE_CHECKABLE or "\n" in ctx.text(condition):
        return
    for suffix in (" is not None", " is None"):
        yield ctx.operation(
            EditKind.INSERT_NONE_CHECK,
            *span(condition),
            ctx.text(condition) + suffix,
            span(condition),
            line_of(condition),
        )


def _remove_none_check(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    operands = [child for child in node.named_children if child.type != "comment"]
    operators = [child for child in node.children if not child.is_named]
    if len(operands) != 2 or len(operators) != 1 or operands[1].type != "none":
        return
    if " ".join(ctx.text(operators[0]).split()) not in ("is", "is not", "==", "!="):
        return
    focus = (operators[0].start_byte, node.end_byte)
    yield ctx.operation(
        EditKind.REMOVE_NONE_CHECK, *span(node), ctx.text(operands[0]), focus, line_of(node)
    )


def _arguments(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [child for child in node.named_children if child.type != "comment"]


def _delete_arguments(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    arguments = _arguments(node)
    for index, argument in enumerate(arguments):
        if index > 0:  # from the comma before it
            start, end = arguments[index - 1].end_byte, argument.end_byte
        elif len(arguments) > 1:  # up to the next one
            start, end = argument.start_byte, arguments[1].start_byte
        else:
            start, end = span(argument)
        yield ctx.operation(EditKind.DELETE_ARGUMENT, start, end, "", span(argument))


def _insert_arguments(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    """A keyword argument the file passes to a function of the same name, else a constant or a
    parameter of the function after the positional arguments; `max_inserted_arguments` at most."""
    arguments = _arguments(node)
    present = {ctx.text(argument) for argument in arguments}
    named = {
        ctx.text(argument.child_by_field_name("name"))
        for argument in arguments
        if argument.type == "keyword_argument"
    }
    opening = node.children[0]
    focus = span(node)
    inserted = []
    for keyword in ctx.facts.keywords.get(callee_name(node.parent, ctx.source), ()):
        if keyword.split("=", 1)[0].strip() not in named:
            if arguments:
                inserted.append((arguments[-1].end_byte, f", {keyword}"))
            else:
                inserted.append((opening.end_byte, keyword))
    positional = 0  # the leading arguments that are not keywords
    while positional < len(arguments) and arguments[positional].type not in (
        "keyword_argument",
        "dictionary_splat",
    ):
        positional += 1
    names = [name for name in _local_names(node, ctx) if name not in present]
    for value in (*_ARGUMENT_CONSTANTS, *names):
        if positional:
            inserted.append((arguments[positional - 1].end_byte, f", {value}"))
        elif arguments:
            inserted.append((arguments[0].start_byte, f"{value}, "))
        else:
            inserted.append((opening.end_byte, value))
    for position, text in inserted[: ctx.policy.max_inserted_arguments]:
        yield ctx.operation(EditKind.INSERT_ARGUMENT, position, position, text, focus)


def _local_names(node: tree_sitter.Node, ctx: OperatorContext) -> list[str]:
    """The enclosing function's parameters, in order (the likeliest missing argument)."""
    function = enclosing_function(node)
    if function is None:
        return []
    names = ctx.facts.parameters.get(function.start_byte, ())
    return [name for name in names if name not in ("self", "cls")]


def _parenthesize(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    """`a op1 b op2 c` grouped the other way: `a op1 (b op2 c)` where op1 bound first, `(a op1 b)
    op2 c` where op2 did."""
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left is None or right is None or operator is None or "\n" in ctx.text(node):
        return
    strength = _PRECEDENCE.get(ctx.text(operator), 0)
    source, line, focus = ctx.source, line_of(node), span(operator)
    if left.type == "binary_operator":  # (a op0 b) op c -> a op0 (b op c)
        middle = left.child_by_field_name("right")
        inner = left.child_by_field_name("operator")
        if middle is not None and inner is not None and _PRECEDENCE.get(ctx.text(inner), 0):
            head = source[node.start_byte : middle.start_byte].decode()
            tail = source[middle.start_byte : node.end_byte].decode()
            new = f"{head}({tail})"
            yield ctx.operation(EditKind.PARENTHESIZE, *span(node), new, focus, line)
    if right.type == "binary_operator":  # a op (b op2 c), op2 tighter -> (a op b) op2 c
        middle = right.child_by_field_name("left")
        inner = right.child_by_field_name("operator")
        if middle is not None and inner is not None and strength:
            head = source[node.start_byte : middle.end_byte].decode()
            tail = source[middle.end_byte : node.end_byte].decode()
            new = f"({head}){tail}"
            yield ctx.operation(EditKind.PARENTHESIZE, *span(node), new, focus, line)


def _remove_parentheses(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    parent = node.parent
    inner = [child for child in node.named_children if child.type != "comment"]
    if parent is None or parent.type not in _GROUPING_PARENTS or len(inner) != 1:
        return
    if inner[0].type not in _GROUPED or "\n" in ctx.text(node):
        return
    yield ctx.operation(
        EditKind.REMOVE_PARENTHESES, *span(node), ctx.text(inner[0]), span(node), line_of(node)
    )
