"""Patches that lose a string: the wrong "fixes" weak tests let through on real code.

On the real-bug dev split (`bench/realbugs.py`, `bench/results/realbugs_dev_literals.txt`) two of
the plausible-but-wrong patches nobody warned about did this: `unified in ('IF', 'FOR', ...)`
became `("", 'FOR', ...)` or `('CASE', 'FOR', ..., 'CASE')`, and `os.environ.get("PAGER", "")`
became `os.environ.get("", "PAGER")`. Each drops a string the program used: a non-empty string
replaced by an empty one (a string with a letter or digit: emptying `" "` is a usual separator
fix, and one seeded dev bug's), or an element of a literal tuple, list or set replaced by a copy of
another element. `repair.patch_choice` counts either as removing behaviour.
"""

from __future__ import annotations

import difflib

import tree_sitter

from repair.source import Token, TokenClass, parse, tokens

COLLECTIONS = ("tuple", "list", "set")


def lost_string(before: bytes, after: bytes) -> str:
    """How the edit from `before` to `after` loses a string ("" if it does not)."""
    tree = parse(after)  # once: every pair looks its string up in it
    old = [token for token in tokens(before) if token.node_type != "comment"]
    new = [token for token in tokens(after, tree) if token.node_type != "comment"]
    for was, now in paired_tokens(old, new):
        if not (_is_string(was) and _is_string(now)):
            continue
        if _empty(now.text) and any(ch.isalnum() for ch in was.text.lstrip("rRbBuUfF")):
            return f"empties the string {was.text}"
        if _repeats_in_collection(tree, now):
            return f"replaces {was.text} in a collection by a copy of {now.text}"
    return ""


def paired_tokens(old: list[Token], new: list[Token]) -> list[tuple[Token, Token]]:
    """Tokens that took each other's place: position by position when the patch keeps the token
    count (replacements, swaps), else within the differ's equal-length replaced runs."""
    if len(old) == len(new):
        return [(a, b) for a, b in zip(old, new, strict=True) if a.text != b.text]
    matcher = difflib.SequenceMatcher(None, [t.text for t in old], [t.text for t in new], False)
    return [
        pair
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag == "replace" and i2 - i1 == j2 - j1
        for pair in zip(old[i1:i2], new[j1:j2], strict=True)
    ]


def _is_string(token: Token) -> bool:
    return token.token_class == TokenClass.STRING


def _empty(text: str) -> bool:
    body = text.lstrip("rRbBuUfF")
    return body in ('""', "''", '""""""', "''''''")


def _repeats_in_collection(tree: tree_sitter.Tree, token: Token) -> bool:
    """Is `token` an element of a literal tuple, list or set that holds its text twice?"""
    node = tree.root_node.descendant_for_byte_range(token.start, token.end)
    while node is not None and node.type != "string":
        node = node.parent
    parent = node.parent if node is not None else None
    if parent is None or parent.type not in COLLECTIONS:
        return False
    texts = [child.text for child in parent.named_children if child.type == "string"]
    return texts.count(node.text) > 1
