"""Statement-level edits: delete a statement (its whole lines; `pass` where it was a block's only
one), swap two adjacent statements of a block, `if` <-> `while`, `if` <-> `elif`, and a missing
`return` (`f(x)` -> `return f(x)`; a function whose last statement assigns a name returns it).
Each is an `EditOperation` (`repair.edits`) whose result parses; unlike `repair.edits`, these may
add or remove lines.
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.operator_context import OperatorContext, line_of, span

_BLOCKS = frozenset({"block", "module"})
_NEVER_DELETED = frozenset({"pass_statement", "comment", "future_import_statement"})
_TERMINAL = frozenset(
    {"return_statement", "raise_statement", "continue_statement", "break_statement"}
)


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    kind = node.type
    if kind in _BLOCKS:
        statements = [child for child in node.named_children if child.type != "comment"]
        for statement in statements:
            yield from _delete(statement, statements, ctx)
        for first, second in zip(statements, statements[1:]):
            yield from _swap(first, second, ctx)
    if kind == "if_statement":
        yield from _if_keyword(node, ctx)
    elif kind == "while_statement":
        keyword = node.children[0]
        yield ctx.operation(
            EditKind.WHILE_TO_IF, *span(keyword), "if", span(keyword), line_of(node)
        )
    elif kind == "elif_clause":
        keyword = node.children[0]
        yield ctx.operation(EditKind.ELIF_TO_IF, *span(keyword), "if", span(keyword), line_of(node))
    elif kind == "expression_statement":
        yield from _return_expression(node, ctx)
    elif kind == "function_definition":
        yield from _return_last_assigned(node, ctx)


def line_span(node: tree_sitter.Node, source: bytes) -> tuple[int, int] | None:
    """The bytes of the whole lines `node` spans, newline included, or None when it shares a
    line with other code (`if x: return`, `a = 1; b = 2`)."""
    start = source.rfind(b"\n", 0, node.start_byte) + 1
    if source[start : node.start_byte].strip():
        return None
    newline = source.find(b"\n", node.end_byte)
    end = len(source) if newline < 0 else newline + 1
    rest = source[node.end_byte : end].strip()
    if rest and not rest.startswith(b"#"):
        return None
    return start, end


def _is_docstring(node: tree_sitter.Node) -> bool:
    return (
        node.type == "expression_statement"
        and node.named_child_count == 1
        and (node.named_children[0].type in ("string", "concatenated_string"))
    )


def _short(node: tree_sitter.Node, ctx: OperatorContext) -> bool:
    return node.end_point[0] - node.start_point[0] < ctx.policy.max_statement_edit_lines


def _delete(
    statement: tree_sitter.Node, siblings: list[tree_sitter.Node], ctx: OperatorContext
) -> Iterator[EditOperation]:
    if statement.type in _NEVER_DELETED or _is_docstring(statement) or not _short(statement, ctx):
        return
    if statement.type.startswith(("import", "function_def", "class_def", "decorated")):
        return
    lines = line_span(statement, ctx.source)
    if lines is None:
        return
    line, focus = line_of(statement), span(statement)
    if len(siblings) == 1 and statement.parent is not None and statement.parent.type == "block":
        yield ctx.operation(EditKind.DELETE_STATEMENT, *span(statement), "pass", focus, line)
    else:
        yield ctx.operation(EditKind.DELETE_STATEMENT, *lines, "", focus, line)


def _swap(
    first: tree_sitter.Node, second: tree_sitter.Node, ctx: OperatorContext
) -> Iterator[EditOperation]:
    if not (_short(first, ctx) and _short(second, ctx)):
        return
    if _is_docstring(first) or first.type.startswith(("function_def", "class_def", "decorated")):
        return
    if second.type.startswith(("function_def", "class_def", "decorated")):
        return
    one, two = line_span(first, ctx.source), line_span(second, ctx.source)
    if one is None or two is None or ctx.text(first) == ctx.text(second):
        return
    source = ctx.source
    between = source[one[1] : two[0]].decode("utf-8")
    new = source[two[0] : two[1]].decode("utf-8") + between + source[one[0] : one[1]].decode()
    if not new.endswith("\n"):  # the second statement ended the file without a newline
        return
    focus = (first.start_byte, second.end_byte)
    yield ctx.operation(EditKind.SWAP_STATEMENTS, one[0], two[1], new, focus, line_of(first))


def _if_keyword(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    keyword = node.children[0]
    line, focus = line_of(node), span(keyword)
    if not any(child.type == "elif_clause" for child in node.children):
        yield ctx.operation(EditKind.IF_TO_WHILE, *span(keyword), "while", focus, line)
    previous = node.prev_named_sibling
    while previous is not None and previous.type == "comment":
        previous = previous.prev_named_sibling
    if (
        previous is not None
        and previous.type == "if_statement"
        and not any(child.type == "else_clause" for child in previous.children)
        and previous.start_point[1] == node.start_point[1]
    ):
        yield ctx.operation(EditKind.IF_TO_ELIF, *span(keyword), "elif", focus, line)


def _return_expression(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    """`f(x)` alone on its line, inside a function -> `return f(x)`."""
    if node.named_child_count != 1 or _is_docstring(node):
        return
    value = node.named_children[0]
    if value.type not in ("call", "identifier", "attribute", "subscript", "binary_operator"):
        return
    function = node.parent
    while function is not None and function.type not in ("function_definition", "class_definition"):
        function = function.parent
    if function is None or function.type != "function_definition":
        return
    start = node.start_byte
    yield ctx.operation(EditKind.INSERT_RETURN, start, start, "return ", span(node), line_of(node))


def _return_last_assigned(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    """A function body whose last statement is `name = ...` (or `name += ...`): `return name`
    after it."""
    body = node.child_by_field_name("body")
    if body is None or not body.named_children:
        return
    last = [child for child in body.named_children if child.type != "comment"][-1]
    if last.type != "expression_statement" or not last.named_children:
        return
    assignment = last.named_children[0]
    if assignment.type not in ("assignment", "augmented_assignment"):
        return
    target = assignment.child_by_field_name("left")
    lines = line_span(last, ctx.source)
    if target is None or target.type != "identifier" or lines is None:
        return
    indent = ctx.source[lines[0] : last.start_byte].decode()
    position = lines[1]
    text = f"{indent}return {ctx.text(target)}\n"
    if not ctx.source[:position].endswith(b"\n"):
        text = "\n" + text[:-1]
    yield ctx.operation(EditKind.INSERT_RETURN, position, position, text, span(last), line_of(last))
