"""Punctuation that changes what code does: a call's parentheses added to an attribute read
(`path.absolute` -> `path.absolute()`, `make` -> `make()` for a name the file calls) or dropped from a call without arguments, a comma between
two strings that implicit concatenation joins (`["a" "b"]` -> `["a", "b"]`), and the comma that
makes a parenthesised expression a one-element tuple (`(x)` -> `(x,)`). Each is an
`EditOperation` (`repair.edits`); the result parses.
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.operator_context import OperatorContext, is_field, span

# Containers whose elements implicit concatenation can join by mistake.
_SEQUENCES = frozenset({"list", "tuple", "set", "argument_list", "expression_list"})


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    kind = node.type
    if kind == "attribute" and not _is_target(node):
        name = node.child_by_field_name("attribute")
        if name is not None and not is_field(node, "call", "function"):
            end = node.end_byte
            yield ctx.operation(EditKind.INSERT_CALL, end, end, "()", span(name))
    elif kind == "identifier" and ctx.text(node) in ctx.facts.called and _is_value(node):
        end = node.end_byte
        yield ctx.operation(EditKind.INSERT_CALL, end, end, "()", span(node))
    elif kind == "call":
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if (
            function is not None
            and function.type == "attribute"
            and arguments is not None
            and arguments.type == "argument_list"
            and not arguments.named_children
            and not (node.parent is not None and node.parent.type == "expression_statement")
        ):
            yield ctx.operation(EditKind.REMOVE_CALL, *span(arguments), "", span(function))
    elif kind == "concatenated_string" and node.parent is not None:
        if node.parent.type in _SEQUENCES:
            parts = [child for child in node.named_children if child.type == "string"]
            for first in parts[:-1]:
                at = first.end_byte
                yield ctx.operation(EditKind.INSERT_COMMA, at, at, ",", span(node))
    elif kind == "parenthesized_expression":
        inner = [child for child in node.named_children if child.type != "comment"]
        closing = node.children[-1]
        if len(inner) == 1 and inner[0].type not in ("yield", "generator_expression"):
            at = closing.start_byte
            yield ctx.operation(EditKind.INSERT_COMMA, at, at, ",", span(node))


def _is_value(identifier: tree_sitter.Node) -> bool:
    """A name read as a value: not called, not defined, not an attribute's name."""
    parent = identifier.parent
    if parent is None or _is_target(identifier):
        return False
    if parent.type in ("call", "attribute", "keyword_argument", "parameters", "default_parameter"):
        return parent.type == "attribute" and is_field(identifier, "attribute", "object")
    return parent.type not in ("function_definition", "class_definition", "decorator") and (
        not parent.type.startswith(("import", "aliased_import", "dotted_name", "typed"))
    )


def _is_target(node: tree_sitter.Node) -> bool:
    """Assigned to, deleted or augmented (`x.y = 1` never becomes `x.y() = 1`), also inside a
    tuple of targets, or a for loop's variable."""
    while node.parent is not None and node.parent.type in _TARGET_GROUPS:
        node = node.parent
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
        return parent.child_by_field_name("left") == node
    return parent.type in ("delete_statement", "global_statement", "nonlocal_statement")


_TARGET_GROUPS = frozenset(
    {"expression_list", "pattern_list", "tuple_pattern", "list_pattern", "tuple", "list"}
)
