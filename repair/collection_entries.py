"""A missing entry added to a literal table: a list, set, tuple or dict of strings gets one of the
failing tests' strings (`repair.test_literals`) that it lacks, from a group of words the tests
hold together with some of its entries (the groups that share the most first).

`KEYWORDS = {'MATCH': K, 'MAXEXTENTS': K}` with a failing test that parses `'CREATE MATERIALIZED
VIEW'` offers `'MATERIALIZED': K` (a dict entry copies its neighbour's value). The entry takes
the table's case when every entry has one case, its quotes, and its place: in order when the
entries are sorted (`insert_entry`), else after the last (`append_entry`: a place no order
tells, so a likelier fix elsewhere comes first). Words with characters no entry has (`.`, `_`, digits)
are not offered, nor words the table holds. At most `SearchPolicy.max_entries_per_table` per
table, in the order the tests hold them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.operator_context import OperatorContext, span

_TABLES = frozenset({"list", "set", "tuple", "dictionary"})
MIN_ENTRIES = 3  # a table has at least this many string entries, and nothing else
SORTED_SHARE = 0.9  # entries in order in this share of neighbouring pairs: a sorted table
_PLAIN = re.compile(r"[A-Za-z0-9_.]+")


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if node.type not in _TABLES or not ctx.literals:
        return
    entries = _entries(node, ctx)
    if entries is None or len(entries) < MIN_ENTRIES:
        return
    keys = [key for _, key, _ in entries]
    sorted_table = _in_order(keys)
    kind = EditKind.INSERT_ENTRY if sorted_table else EditKind.APPEND_ENTRY
    held = set(keys)
    offered = 0
    for word in _words(ctx.literals, keys):
        if word in held:
            continue
        held.add(word)
        position = _sorted_position(keys, word) if sorted_table else len(keys)
        yield _insert(node, entries, position, word, kind, ctx)
        offered += 1
        if offered >= ctx.policy.max_entries_per_table:
            return


def _entries(node, ctx: OperatorContext) -> list[tuple[tree_sitter.Node, str, str]] | None:
    """(element, its key's text, the rest of the entry after the key) per entry; None when an
    element is not a plain string (or a pair keyed by one)."""
    found = []
    for child in node.named_children:
        if child.type == "comment":
            continue
        key, rest = child, ""
        if node.type == "dictionary":
            if child.type != "pair":
                return None
            key = child.child_by_field_name("key")
            value = child.child_by_field_name("value")
            if key is None or value is None:
                return None
            rest = ": " + ctx.text(value)
        text = _plain_string(key, ctx)
        if text is None:
            return None
        found.append((child, text, rest))
    return found


def _plain_string(node: tree_sitter.Node, ctx: OperatorContext) -> str | None:
    """The text of a string literal without prefix, interpolation or escapes, else None."""
    if node.type != "string" or len(node.children) not in (2, 3):
        return None
    start = ctx.text(node.children[0])
    if start not in ("'", '"'):
        return None
    if len(node.children) == 2:
        return ""
    content = node.children[1]
    return ctx.text(content) if content.type == "string_content" else None


def _in_order(keys: list[str]) -> bool:
    pairs = list(zip(keys, keys[1:]))
    return sum(a < b for a, b in pairs) >= SORTED_SHARE * len(pairs)


def _sorted_position(keys: list[str], word: str) -> int:
    """Where `word` goes in a table sorted in runs (groups, each in order): between the first
    neighbours that bracket it, else first or last."""
    for index in range(1, len(keys)):
        if keys[index - 1] < word < keys[index]:
            return index
    return 0 if word < keys[0] else len(keys)


def _words(groups: tuple[tuple[str, ...], ...], keys: list[str]) -> Iterator[str]:
    """The tests' words in the table's style (its case, only characters its entries use), from
    the groups that hold some of its entries, those that hold the most first: a test names the
    missing entry beside others of its table (`['nose', 'gi', 'prompt_toolkit']`,
    `'CREATE MATERIALIZED VIEW'`)."""
    letters = "".join(key for key in keys if key)
    cased = [c for c in letters if c.isalpha()]
    upper = bool(cased) and all(c.isupper() for c in cased)
    lower = bool(cased) and all(c.islower() for c in cased)
    extra = {c for c in "_.0123456789" if c in letters}
    held = set(keys)
    styled = []
    for group in groups:
        words = [word.upper() if upper else word.lower() if lower else word for word in group]
        shared = sum(word in held for word in dict.fromkeys(words))
        if shared:
            styled.append((-shared, len(styled), words))
    for _, _, words in sorted(styled):
        for word in words:
            if len(word) < 2 or not _PLAIN.fullmatch(word):
                continue
            if any(c in "_.0123456789" and c not in extra for c in word):
                continue
            yield word


def _insert(
    node, entries, position: int, word: str, kind: EditKind, ctx: OperatorContext
) -> EditOperation:
    """The entry `word` at `position` among `entries`, on its own line when they are on theirs."""
    anchor, _, rest = entries[max(0, position - 1)]
    quote = ctx.text(_key(anchor, node).children[0])
    entry = f"{quote}{word}{quote}{rest}"
    line_start = ctx.source.rfind(b"\n", 0, anchor.start_byte) + 1
    indent = ctx.source[line_start : anchor.start_byte].decode("utf-8")
    gap = "\n" + indent if not indent.strip() and "\n" in ctx.text(node) else " "
    if position == 0:  # before the first entry
        at = anchor.start_byte
        return ctx.operation(kind, at, at, f"{entry},{gap}", span(anchor))
    comma = anchor.next_sibling
    at, new = anchor.end_byte, f",{gap}{entry}"
    if comma is not None and comma.type == ",":
        at, new = comma.end_byte, f"{gap}{entry},"
    line = ctx.line_at(at) + gap.count("\n")  # the entry's own line: the one a report shows
    return ctx.operation(kind, at, at, new, span(anchor), line)


def _key(element: tree_sitter.Node, table: tree_sitter.Node) -> tree_sitter.Node:
    if table.type == "dictionary":
        key = element.child_by_field_name("key")
        if key is not None:
            return key
    return element
