"""Statement insertion: before each statement of a block, and after its last one, a statement
from a template (`return`, `return True` / `False` / `None`, `break` / `continue` in a loop, a
guard `if not p: return` at a function's start) or a copy of a one-line statement of the same
function or file (`repair.file_facts`), its names adapted to the new scope: a copy from another
function takes this function's parameters in place of its own (by position), and is offered only
when every name it then uses is in scope. At most `SearchPolicy.max_statement_ingredients` copies
per position, nearest first.
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.file_facts import Ingredient
from repair.operator_context import OperatorContext, enclosing_function, line_of, span
from repair.statement_edits import line_span

_LOOPS = frozenset({"for_statement", "while_statement"})
_SCOPES = frozenset({"function_definition", "class_definition", "lambda"})


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if node.type != "block":
        return
    statements = [child for child in node.named_children if child.type != "comment"]
    first = line_span(statements[0], ctx.source) if statements else None
    if first is None:
        return
    function = enclosing_function(node)
    allowed = _allowed(node)
    texts = _templates(allowed)
    indent = ctx.source[first[0] : statements[0].start_byte].decode()
    for index, statement in enumerate(statements):
        lines = line_span(statement, ctx.source)
        if lines is None:
            continue
        around = {ctx.text(s) for s in statements[max(0, index - 1) : index + 1]}
        body_start = function is not None and node == function.child_by_field_name("body")
        guards = _guards(function, ctx) if body_start and index == _first_code(statements) else []
        copies = _copies(statement, function, allowed, ctx)
        for text in (*texts, *(guards if "return" in allowed else ()), *copies):
            if text not in around:
                yield _insert(lines[0], indent, text, statement, ctx)
    last = statements[-1]
    lines = line_span(last, ctx.source)
    if lines is not None and ctx.source[: lines[1]].endswith(b"\n"):
        for text in texts:
            if text != ctx.text(last):
                yield _insert(lines[1], indent, text, last, ctx)


def _allowed(block: tree_sitter.Node) -> frozenset[str]:
    """The keywords a statement inserted into `block` may start with: `return` inside a
    function, `break` and `continue` inside a loop of it, `await` in a coroutine."""
    allowed: set[str] = set()
    node = block.parent
    while node is not None and node.type not in _SCOPES:
        if node.type in _LOOPS:
            allowed |= {"break", "continue"}
        node = node.parent
    if node is not None and node.type == "function_definition":
        allowed.add("return")
        if node.children and node.children[0].type == "async":
            allowed.add("await")
    return frozenset(allowed)


def _insert(
    position: int, indent: str, text: str, anchor: tree_sitter.Node, ctx: OperatorContext
) -> EditOperation:
    body = "".join(f"{indent}{line}\n" for line in text.split("\n"))
    return ctx.operation(
        EditKind.INSERT_STATEMENT, position, position, body, span(anchor), line_of(anchor)
    )


def _templates(allowed: frozenset[str]) -> list[str]:
    texts = []
    if "return" in allowed:
        texts += ["return", "return None", "return True", "return False"]
    if "break" in allowed:
        texts += ["break", "continue"]
    return texts


def _first_code(statements: list[tree_sitter.Node]) -> int:
    """The index of the first statement that is not a docstring."""
    first = statements[0]
    docstring = (
        first.type == "expression_statement"
        and first.named_children[:1]
        and (first.named_children[0].type == "string")
    )
    return 1 if docstring and len(statements) > 1 else 0


def _guards(function: tree_sitter.Node | None, ctx: OperatorContext) -> list[str]:
    if function is None:
        return []
    names = ctx.facts.parameters.get(function.start_byte, ())
    return [f"if not {name}:\n    return" for name in names if name not in ("self", "cls")]


def _copies(
    statement: tree_sitter.Node,
    function: tree_sitter.Node | None,
    allowed: frozenset[str],
    ctx: OperatorContext,
) -> list[str]:
    """Copies of the file's one-line statements that fit before `statement`: the same
    function's first, nearest first, then the rest of the file's, nearest first."""
    here = function.start_byte if function is not None else -1
    scope = ctx.names_in_scope(statement)
    ours = ctx.facts.parameters.get(here, ())
    ranked = sorted(
        ctx.facts.ingredients,
        key=lambda item: (item.function != here, abs(item.start - statement.start_byte)),
    )
    found: dict[str, None] = {}
    for ingredient in ranked:
        if len(found) >= ctx.policy.max_statement_ingredients:
            break
        if ingredient.start == statement.start_byte or not _keywords_fit(ingredient, allowed):
            continue
        theirs = ctx.facts.parameters.get(ingredient.function, ())
        text, names = _adapted(ingredient, theirs if ingredient.function != here else (), ours)
        if names <= scope:
            found.setdefault(text, None)
    return list(found)


def _keywords_fit(ingredient: Ingredient, allowed: frozenset[str]) -> bool:
    words = ingredient.text.replace("(", " ").split()
    first = words[0] if words else ""
    if first in ("return", "break", "continue") and first not in allowed:
        return False
    return "yield" not in words and ("await" not in words or "await" in allowed)


def _adapted(
    ingredient: Ingredient, theirs: tuple[str, ...], ours: tuple[str, ...]
) -> tuple[str, frozenset[str]]:
    """The ingredient with its function's parameters renamed to ours, by position, and the
    names it then uses."""
    renames = {old: new for old, new in zip(theirs, ours) if old != new}
    if not renames:
        return ingredient.text, ingredient.names
    pieces, cursor, names = [], 0, set()
    for start, end, name in ingredient.spans:
        new = renames.get(name, name)
        names.add(new)
        pieces.append(ingredient.text[cursor:start] + new)
        cursor = end
    return "".join(pieces) + ingredient.text[cursor:], frozenset(names)
