"""Names qualified and unqualified, and parameters forwarded: `x` -> `self.x` where the file
uses `self.x`; `self.x` -> `x` where the function has a name `x`; `f(a)` -> `f(a, key=key)` for
a parameter `key` of the enclosing function that the call does not pass (`*args` and `**kwargs`
as themselves), the parameters the function never reads first. On the dev split of the real-fix
corpus these are a forgotten `self.` (7 fixes), a `self.` too many (8) and a parameter not
passed on (16). Each is an `EditOperation` (`repair.edits`); the result parses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.file_facts import SELF_NAMES, is_name_field, name_spans, parameter_stars
from repair.operator_context import OperatorContext, enclosing_function, span

# Parents under which an identifier is no name read or set in an expression.
_NOT_EXPRESSION = frozenset(
    {
        "parameters", "lambda_parameters", "default_parameter", "typed_parameter",
        "typed_default_parameter", "list_splat_pattern", "dictionary_splat_pattern",
        "function_definition", "class_definition", "dotted_name", "aliased_import",
        "global_statement", "nonlocal_statement", "decorator", "type", "import_from_statement",
        "import_statement",
    }
)  # fmt: skip


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if node.type == "identifier":
        yield from _qualify(node, ctx)
    elif node.type == "attribute":
        yield from _unqualify(node, ctx)
    elif node.type == "argument_list" and node.parent is not None and node.parent.type == "call":
        yield from _forward(node, ctx)


def _owner(node: tree_sitter.Node, ctx: OperatorContext) -> tuple[tree_sitter.Node | None, str]:
    """The enclosing function and its first parameter if that is `self` or `cls`, else ""."""
    function = enclosing_function(node)
    if function is None:
        return None, ""
    names = ctx.facts.parameters.get(function.start_byte, ())
    return function, names[0] if names and names[0] in SELF_NAMES else ""


def _qualify(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    parent = node.parent
    if parent is None or parent.type in _NOT_EXPRESSION:
        return
    if is_name_field(node):
        return  # `a.x`, `f(x=a)`: x names no variable (`x.a` and `f(a=x)` do)
    name = ctx.text(node)
    _, owner = _owner(node, ctx)
    if not owner or name == owner or name not in ctx.facts.self_attributes:
        return
    if parent.type == "assignment" and parent.child_by_field_name("right") == node:
        left = parent.child_by_field_name("left")
        if left is not None and ctx.text(left).replace(" ", "") == f"{owner}.{name}":
            return  # `self.x = x` -> `self.x = self.x` sets nothing
    start = node.start_byte
    yield ctx.operation(EditKind.QUALIFY_NAME, start, start, f"{owner}.", span(node))


def _unqualify(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    owner_node, name = node.child_by_field_name("object"), node.child_by_field_name("attribute")
    if owner_node is None or name is None or owner_node.type != "identifier":
        return
    function, owner = _owner(node, ctx)
    if not owner or ctx.text(owner_node) != owner:
        return
    parent = node.parent
    if parent is not None and parent.type in ("assignment", "augmented_assignment"):
        if parent.child_by_field_name("left") == node:
            return  # `self.x = x` -> `x = x` sets nothing
    if ctx.text(name) not in ctx.local_names(function) - {owner}:
        return
    yield ctx.operation(
        EditKind.UNQUALIFY_NAME, owner_node.start_byte, name.start_byte, "", span(name)
    )


def _forward(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    function, owner = _owner(node, ctx)
    if function is None:
        return
    arguments = [child for child in node.named_children if child.type != "comment"]
    passed = {ctx.text(argument).lstrip("*") for argument in arguments}
    passed |= {
        ctx.text(argument.child_by_field_name("name"))
        for argument in arguments
        if argument.type == "keyword_argument"
    }
    last_positional = None
    for argument in arguments:
        if argument.type in ("keyword_argument", "dictionary_splat"):
            break
        last_positional = argument
    key = ("name_edits.forward", function.start_byte)
    if key not in ctx.memo:
        ctx.memo[key] = (_reads(function, ctx), parameter_stars(function, ctx.source))
    reads, parameters = ctx.memo[key]
    options = []
    for name, star in parameters:
        if name in passed or name == owner:
            continue
        if star == "*":
            if last_positional is not None:
                options.append((last_positional.end_byte, f", *{name}", name))
            else:
                end = arguments[0].start_byte if arguments else node.children[0].end_byte
                options.append((end, f"*{name}, " if arguments else f"*{name}", name))
            continue
        text = f"**{name}" if star else f"{name}={name}"
        if arguments:
            options.append((arguments[-1].end_byte, f", {text}", name))
        else:
            options.append((node.children[0].end_byte, text, name))
    options.sort(key=lambda option: reads[option[2]] > 0)  # stable: unread first
    for position, text, _ in options[: ctx.policy.max_inserted_arguments]:
        yield ctx.operation(EditKind.FORWARD_ARGUMENT, position, position, text, span(node))


def _reads(function: tree_sitter.Node, ctx: OperatorContext) -> Counter[str]:
    """How often each variable's name occurs in the function's body."""
    body = function.child_by_field_name("body")
    spans = name_spans(body, ctx.source) if body is not None else []
    return Counter(text for _, _, text in spans)
