"""Edits inside string literals: one character or escape (a unit) deleted, inserted or replaced
in a literal's text, and a prefix added or dropped (`f` where the text has braces, `r` where it
has backslashes). Units come from an alphabet that follows the literal: regular-expression units
in raw strings, format units (`%s`, `{}`) where the text formats, common punctuation in any, and
each letter's other case. Per literal, the `SearchPolicy.max_edits_per_string` likeliest by the
train split's table (`repair.operator_priors.STRING_UNITS`), edges of the text first.
"""

from __future__ import annotations

import heapq
import warnings
from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.operator_context import OperatorContext, line_of, span
from repair.operator_priors import STRING_UNITS

REGEX_UNITS = ("\\s", "\\d", "\\w", "\\b", ".", "*", "+", "?", "^", "$", "|", "-", "\\.", "_")
FORMAT_UNITS = ("%s", "%d", "%r", "{}", "{!r}", "%")
COMMON_UNITS = (" ", ".", ",", ":", "-", "_", "/", "'", '"', "s", "=", "(", ")", "[", "]")
NEWLINE_UNITS = ("\\n",)
_EDGE = 2  # units at either end of a text count as its edges
_MIDDLE_WEIGHT = 0.25  # a middle position's weight against an edge's


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if node.type != "string" or _is_docstring(node):
        return
    start, end = node.children[0], node.children[-1]
    if start.type != "string_start" or end.type != "string_end":
        return
    prefix = ctx.text(start).rstrip("'\"").lower()
    quote = ctx.text(end)
    contents = [child for child in node.children if child.type == "string_content"]
    formatted = "f" in prefix
    alphabet = _alphabet(prefix, "".join(ctx.text(c) for c in contents), quote)
    scored: list[tuple[float, int, int, str]] = []
    for content in contents:
        units = _units(content, ctx, raw="r" in prefix)
        for index, (begin, finish, unit) in enumerate(units):
            weight = 1.0 if min(index, len(units) - 1 - index) < _EDGE else _MIDDLE_WEIGHT
            scored.append((weight * _prior("delete", unit), begin, finish, ""))
            flipped = unit.swapcase()
            if flipped != unit and len(unit) == 1:
                scored.append((weight * _prior("case", unit), begin, finish, flipped))
            for other in alphabet:
                if other != unit and not (formatted and other in ("{}", "{!r}")):
                    scored.append((weight * _prior("replace", other), begin, finish, other))
                    scored.append((weight * _prior("insert", other), begin, begin, other))
        if units or content.start_byte == content.end_byte:
            end_at = content.end_byte
            for other in alphabet:
                if not (formatted and other in ("{}", "{!r}")):
                    scored.append((_prior("insert", other), end_at, end_at, other))
    if not contents:  # "" -> "x"
        for other in alphabet:
            scored.append((_prior("insert", other), start.end_byte, start.end_byte, other))
    best = heapq.nlargest(len(scored), scored, key=lambda item: (item[0], -item[1], -item[2]))
    yield from _valid(node, best, ctx)
    yield from _prefixes(node, prefix, ctx)


def _valid(node, best, ctx: OperatorContext) -> Iterator[EditOperation]:
    literal = ctx.text(node)
    seen: set[str] = set()
    for _, begin, finish, new in best:
        if len(seen) >= ctx.policy.max_edits_per_string:
            return
        offset = node.start_byte
        text = literal[: begin - offset] + new + literal[finish - offset :]
        if text in seen or text == literal or not _compiles(text):
            continue
        seen.add(text)
        yield ctx.operation(EditKind.STRING_EDIT, begin, finish, new, span(node))


def _prefixes(node: tree_sitter.Node, prefix: str, ctx: OperatorContext) -> Iterator[EditOperation]:
    start = node.children[0]
    literal, line = ctx.text(node), line_of(node)
    body = literal[len(prefix) :]
    changes = []
    if "f" in prefix:
        changes.append(prefix.replace("f", ""))
    elif "{" in body and "b" not in prefix:
        changes.append("f" + prefix)
    if "r" in prefix:
        changes.append(prefix.replace("r", ""))
    elif "\\" in body:
        changes.append("r" + prefix)
    old_prefix = ctx.text(start)[: len(prefix)]
    for new in changes:
        if _compiles(new + body):
            yield ctx.operation(
                EditKind.STRING_PREFIX, start.start_byte, start.start_byte + len(old_prefix), new,
                span(node), line,
            )  # fmt: skip


def _alphabet(prefix: str, text: str, quote: str) -> list[str]:
    units: list[str] = list(COMMON_UNITS)
    if "r" in prefix:
        units += REGEX_UNITS
    elif "\\" in text or len(quote) == 1:
        units += NEWLINE_UNITS
    if "%" in text or "{" in text or "f" in prefix:
        units += FORMAT_UNITS
    return [unit for unit in dict.fromkeys(units) if quote[0] not in unit]


def _units(
    content: tree_sitter.Node, ctx: OperatorContext, raw: bool
) -> list[tuple[int, int, str]]:
    """(start, end, text) of each character or escape sequence of a literal's text."""
    text = ctx.source[content.start_byte : content.end_byte]
    units = []
    index = 0
    while index < len(text):
        width = 1
        if text[index : index + 1] == b"\\" and index + 1 < len(text):
            width = 2
        while index + width < len(text) and text[index + width] & 0xC0 == 0x80:
            width += 1  # a UTF-8 continuation byte
        start = content.start_byte + index
        units.append((start, start + width, text[index : index + width].decode("utf-8", "replace")))
        index += width
    return units


def _prior(op: str, unit: str) -> float:
    return STRING_UNITS.get(f"{op} {unit}", STRING_UNITS.get(op, 1e-4))


def _compiles(literal: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(literal, "<string>", "eval")
        except (SyntaxError, ValueError):
            return False
    return True


def _is_docstring(node: tree_sitter.Node) -> bool:
    parent = node.parent
    return (
        parent is not None
        and parent.type == "expression_statement"
        and (parent.named_child_count == 1)
    )
