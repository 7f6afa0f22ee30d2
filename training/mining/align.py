"""The token-level edit script between two versions of a region, with every token's class.

Tokens are `repair.source`'s (tree-sitter leaves, one token per plain string literal); comments and
backslash line continuations are left out, as they are layout and never change behaviour. The two token sequences are aligned on their texts with
difflib, so an edit reads as the model would have to make it: replace, insert or delete one token.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from difflib import SequenceMatcher
from types import SimpleNamespace
from typing import Any

import tree_sitter

from repair.source import Token, is_leaf, is_repair_target, tokens

_PUNCTUATION = frozenset("()[]{},:.;") | {"->", "=", ":="}
_LAYOUT_TYPES = frozenset({"comment", "line_continuation"})
_STRING_PARTS = frozenset(
    {"string_start", "string_content", "string_end", "escape_sequence", "interpolation"}
)


def token_kind(token: Token) -> str:
    """The syntactic class of any token: repair.source's editable classes, then a coarse rest."""
    if token.token_class is not None:
        return token.token_class.value
    if token.node_type in _STRING_PARTS or token.node_type == "string":
        return "string"
    if token.node_type in ("integer", "float"):
        return "number"
    if token.text in _PUNCTUATION:
        return "punctuation"
    if keyword.iskeyword(token.text) or keyword.issoftkeyword(token.text):
        return "keyword"
    if token.node_type == token.text and token.text.isidentifier():
        return "keyword"  # Python 2's print and exec statements
    if token.text and not token.text[0].isalnum() and token.text[0] != "_":
        return "operator"  # unary minus, splats, operators out of operator position, ...
    return "other"


def region_tokens(source: bytes, tree: tree_sitter.Tree, start: int, end: int) -> list[Token]:
    """repair.source tokens lying in bytes [start, end).

    Only the nodes that overlap the region are walked, so a small region of a long file costs
    little; a node wholly inside is tokenized by `repair.source.tokens` itself.
    """
    found: list[Token] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= end:
            continue
        if start <= node.start_byte and node.end_byte <= end:
            found.extend(tokens(source, SimpleNamespace(root_node=node)))  # type: ignore[arg-type]
        elif not is_leaf(node):
            stack.extend(reversed(node.children))
    return found


@dataclass(frozen=True)
class TokenEdit:
    op: str  # "replace", "insert" or "delete"
    old: str  # "" for an insertion
    new: str  # "" for a deletion
    token_class: str  # the class of the old token (of the new one for an insertion)
    node_type: str
    new_class: str  # replacements only: the new token's class
    target: bool  # repair.source.is_repair_target of the token that changes
    before_at: tuple[int, int]  # byte span in the old region (empty for an insertion)
    after_at: tuple[int, int]  # byte span in the new region (empty for a deletion)

    def as_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "op": self.op,
            "old": self.old,
            "new": self.new,
            "class": self.token_class,
            "type": self.node_type,
            "target": self.target,
            "before_at": list(self.before_at),
            "after_at": list(self.after_at),
        }
        if self.op == "replace" and self.new_class != self.token_class:
            record["new_class"] = self.new_class
        return record


def edit_script(
    old: list[Token], new: list[Token], old_origin: int = 0, new_origin: int = 0
) -> list[TokenEdit]:
    """Token edits turning `old` into `new`; byte spans are taken relative to the two origins."""
    old = [token for token in old if token.node_type not in _LAYOUT_TYPES]
    new = [token for token in new if token.node_type not in _LAYOUT_TYPES]
    old_texts = [token.text for token in old]
    new_texts = [token.text for token in new]
    # The common prefix and suffix are cut first: difflib is quadratic in what is left.
    prefix = 0
    while prefix < min(len(old), len(new)) and old_texts[prefix] == new_texts[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(old), len(new)) - prefix
        and old_texts[-1 - suffix] == new_texts[-1 - suffix]
    ):
        suffix += 1
    old_middle = old_texts[prefix : len(old) - suffix]
    new_middle = new_texts[prefix : len(new) - suffix]
    matcher = SequenceMatcher(None, old_middle, new_middle, autojunk=False)
    edits: list[TokenEdit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        i1, i2, j1, j2 = i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix
        # A block of unequal lengths pairs its leading tokens; the rest are insertions/deletions.
        paired = min(i2 - i1, j2 - j1)
        for offset in range(paired):
            edits.append(_replace(old[i1 + offset], new[j1 + offset], old_origin, new_origin))
        for index in range(i1 + paired, i2):
            point = _point_after(new, j1 + paired - 1, new_origin)
            edits.append(_delete(old[index], point, old_origin))
        for index in range(j1 + paired, j2):
            point = _point_after(old, i1 + paired - 1, old_origin)
            edits.append(_insert(new[index], point, new_origin))
    return edits


def _point_after(sequence: list[Token], index: int, origin: int) -> tuple[int, int]:
    # Where a token goes in the other version: right after its aligned predecessor.
    position = sequence[index].end - origin if index >= 0 else 0
    return position, position


def _replace(old: Token, new: Token, old_origin: int, new_origin: int) -> TokenEdit:
    return TokenEdit(
        "replace",
        old.text,
        new.text,
        token_kind(old),
        old.node_type,
        token_kind(new),
        is_repair_target(old),
        (old.start - old_origin, old.end - old_origin),
        (new.start - new_origin, new.end - new_origin),
    )


def _delete(old: Token, point: tuple[int, int], old_origin: int) -> TokenEdit:
    span = (old.start - old_origin, old.end - old_origin)
    kind = token_kind(old)
    return TokenEdit(
        "delete", old.text, "", kind, old.node_type, kind, is_repair_target(old), span, point
    )


def _insert(new: Token, point: tuple[int, int], new_origin: int) -> TokenEdit:
    span = (new.start - new_origin, new.end - new_origin)
    kind = token_kind(new)
    return TokenEdit(
        "insert", "", new.text, kind, new.node_type, kind, is_repair_target(new), point, span
    )
