"""Call wraps and unwraps: `x` -> `f(x)` (f a plain name the file calls, or a builtin that
converts), `f(x)` -> `x`, `x` -> `x.m()` (m a method the file calls without arguments) and
`x.m()` -> `x`. Each is an `EditOperation` (`repair.edits`); the result parses.
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation, _conditions
from repair.operator_context import ATOMS, OperatorContext, line_of, span, value_slots

# Builtins that real fixes wrap an expression in, most often first: the train split's
# three-token wraps (`insert f ( )`, 571 fixes: 445 a builtin, 34 a name of the region, 92
# another) by function: list 125, str 111, sorted 50, int 46, tuple 20, set 14, dict 13, float
# 12, repr 9, bool 8, bytes 7, reversed 5, len 5.
WRAPPERS = (
    "list", "str", "sorted", "int", "tuple", "set", "dict", "float", "repr", "bool", "bytes",
    "reversed", "len",
)  # fmt: skip
# Expressions a call may wrap: atoms that read as a value, and arithmetic.
_WRAPPABLE = frozenset({"identifier", "attribute", "call", "subscript", "binary_operator"})
# Calls whose removal is not an unwrap (their argument is not a value they transform).
_NOT_UNWRAPPED = frozenset({"print", "super", "isinstance", "type", "getattr", "hasattr"})
# Where an unwrapped operand needs parentheses if it is not an atom.
_OPERATOR_PARENTS = frozenset(
    {"binary_operator", "unary_operator", "comparison_operator", "attribute", "subscript"}
)


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    for value in (*value_slots(node), *_conditions(node)):
        yield from _wrap(value, ctx)
        yield from _append_method(value, ctx)
    if node.type == "call":
        yield from _unwrap(node, ctx)
        yield from _remove_method(node, ctx)


def wrappers(ctx: OperatorContext) -> list[str]:
    """The functions a wrap offers, best first: `WRAPPERS`, then the plain names the file calls
    (a project's converters), `max_wrap_functions` at most."""
    own = [name for name in ctx.facts.called if name not in WRAPPERS and name[:1].islower()]
    return [*WRAPPERS, *own][: ctx.policy.max_wrap_functions]


def _wrap(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if node.type not in _WRAPPABLE or "\n" in ctx.text(node):
        return
    text = ctx.text(node)
    called = ""
    if node.type == "call":
        function = node.child_by_field_name("function")
        called = ctx.text(function) if function is not None else ""
    for name in wrappers(ctx):
        if name != called:  # f(f(x)) is seldom meant
            yield ctx.operation(
                EditKind.WRAP_CALL, *span(node), f"{name}({text})", span(node), line_of(node)
            )


def _append_method(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if node.type not in ("identifier", "attribute", "subscript", "call") or "\n" in ctx.text(node):
        return
    end = node.end_byte
    for name in _methods(ctx):
        if not ctx.text(node).endswith(f".{name}()"):
            yield ctx.operation(
                EditKind.APPEND_METHOD, end, end, f".{name}()", span(node), line_of(node)
            )


def _methods(ctx: OperatorContext) -> list[str]:
    """The file's zero-argument methods, then the policy's common ones, at most the cap (once
    per region)."""
    key = ("append_method", -1)
    if key not in ctx.memo:
        own = ctx.facts.methods
        common = [name for name in ctx.policy.common_methods.split() if name not in own]
        ctx.memo[key] = [*own, *common][: ctx.policy.max_method_options]
    return ctx.memo[key]  # type: ignore[return-value]


def _unwrap(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or arguments is None or arguments.type != "argument_list":
        return
    if function.type not in ("identifier", "attribute") or ctx.text(function) in _NOT_UNWRAPPED:
        return
    inner = [child for child in arguments.named_children if child.type != "comment"]
    if len(inner) != 1 or inner[0].type in ("keyword_argument", "list_splat", "dictionary_splat"):
        return
    if "\n" in ctx.text(inner[0]):  # outside the call's parentheses a line break ends it
        return
    text = ctx.text(inner[0])
    parent = node.parent
    if inner[0].type not in ATOMS and parent is not None and parent.type in _OPERATOR_PARENTS:
        text = f"({text})"
    if function.type == "attribute":  # obj.f(x) -> x drops obj too: only for plain names
        return
    yield ctx.operation(EditKind.UNWRAP_CALL, *span(node), text, span(function), line_of(node))


def _remove_method(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or function.type != "attribute" or arguments is None:
        return
    if arguments.type != "argument_list" or arguments.named_child_count:
        return
    owner = function.child_by_field_name("object")
    name = function.child_by_field_name("attribute")
    if owner is None or name is None or _is_statement(node):
        return  # `x.close()` alone on its line: deleting the statement says it
    yield ctx.operation(EditKind.REMOVE_METHOD, owner.end_byte, node.end_byte, "", span(name))


def _is_statement(node: tree_sitter.Node) -> bool:
    return node.parent is not None and node.parent.type == "expression_statement"
