"""The strings the failing tests hold: ingredients an operator may add to the code under test.

A test that fails because a table lacks an entry (a keyword, an ignored module, a known suffix)
usually names that entry beside others the table holds: in a string literal of its body or its
decorators (`'ALTER TABLE t ROW_FORMAT=Dynamic'`), in a collection of strings (`['nose',
'six.moves', 'prompt_toolkit']`), or in its parameters' id (`test_tld[example.onion-True]`).
`failing_literals` gathers them per run as groups of words met together: a collection's
one-word strings; a string's text when it is one word, its words and their dotted parts; a
parameter id's words. At most `MAX_LITERALS` words in all, in the order met.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import tree_sitter

from repair.source import parse

MAX_LITERALS = 200  # ingredients gathered per run at most
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_]|[A-Za-z_]")
_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a dotted word's parts too
_LONGEST = 60
_COLLECTIONS = frozenset(
    {"list", "set", "tuple", "dictionary"}
)  # longer texts are prose or data, not an entry


Group = tuple[str, ...]  # words a test holds together
Literals = tuple[Group, ...]  # a run's groups, what the operators read


def failing_literals(root: Path, nodeids: Iterable[str]) -> Literals:
    """The groups of words of the failing tests' literals and parameter ids, first met first,
    without repeated groups. Tests whose file cannot be read or parsed add only their ids."""
    found: dict[Group, None] = {}
    count = 0
    trees: dict[str, tree_sitter.Tree | None] = {}
    for nodeid in nodeids:
        path, *names = nodeid.split("::")
        if not names:
            continue
        if path not in trees:
            trees[path] = _parse(root / path)
        tree = trees[path]
        name, _, parameters = names[-1].partition("[")
        groups: list[list[str]] = [_words(parameters.rstrip("]"))] if parameters else []
        if tree is not None:
            function = _function(tree.root_node, [*names[:-1], name])
            if function is not None:
                groups += _groups(function)
        for group in groups:
            words = tuple(dict.fromkeys(word for word in group if len(word) <= _LONGEST))
            if words and words not in found:
                found[words] = None
                count += len(words)
                if count >= MAX_LITERALS:
                    return tuple(found)
    return tuple(found)


def _groups(function: tree_sitter.Node) -> list[list[str]]:
    """Per collection of strings, its one-word strings; per string, its words."""
    groups = []
    stack = [function]
    while stack:
        node = stack.pop()
        if node.type in _COLLECTIONS:
            texts = [_plain(child) for child in node.named_children if child.type == "string"]
            whole = [text for text in texts if text is not None and _WORD.fullmatch(text)]
            if len(whole) >= 2:
                groups.append(whole)
        if node.type == "string":
            text = "".join(
                _text(child) for child in node.children if child.type == "string_content"
            )
            groups.append(_words(text))
            continue
        stack.extend(reversed(node.children))
    return groups


def _plain(node: tree_sitter.Node) -> str | None:
    contents = [
        child for child in node.children if child.type not in ("string_start", "string_end")
    ]
    if len(contents) == 1 and contents[0].type == "string_content":
        return _text(contents[0]).strip()
    return None


def _parse(path: Path) -> tree_sitter.Tree | None:
    try:
        return parse(path.read_bytes())
    except OSError:
        return None


def _function(root: tree_sitter.Node, names: list[str]) -> tree_sitter.Node | None:
    """The test function (with its decorators) that `names` (classes, then the function) name."""
    scope = root
    for position, name in enumerate(names):
        last = position == len(names) - 1
        match = None
        for child in _block(scope).children:
            node = child
            if child.type == "decorated_definition":
                node = child.child_by_field_name("definition")
            wanted = "function_definition" if last else "class_definition"
            if node is not None and node.type == wanted and _name(node) == name:
                match = child if last else node
        if match is None:
            return None
        scope = match
    return scope


def _block(node: tree_sitter.Node) -> tree_sitter.Node:
    body = node.child_by_field_name("body")
    return body if body is not None else node


def _name(node: tree_sitter.Node) -> str:
    name = node.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None and name.text else ""


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text else ""


def _words(text: str) -> list[str]:
    """The text itself when it is one word (dots allowed: a module's name), then its words, then
    their dotted parts."""
    text = text.strip()
    words = [text] if text and len(text) <= _LONGEST and _WORD.fullmatch(text) else []
    return words + _WORD.findall(text) + _PART.findall(text)
