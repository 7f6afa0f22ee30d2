"""The strings the failing tests hold: ingredients an operator may add to the code under test.

A test that fails because a table lacks an entry (a keyword, an ignored module, a known suffix)
usually names that entry: in a string literal of its body or its decorators
(`'ALTER TABLE t ROW_FORMAT=Dynamic'`, `['tensorflow', 'prompt_toolkit']`) or in its parameters'
id (`test_tld[example.onion-True]`). `failing_literals` gathers them per run: each literal's text
when it is one word, and the words inside it, at most `MAX_LITERALS`, in the order met.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import tree_sitter

from repair.source import parse

MAX_LITERALS = 200  # ingredients gathered per run at most
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_]|[A-Za-z_]")
_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a dotted word's parts too
_LONGEST = 60  # longer texts are prose or data, not an entry


def failing_literals(root: Path, nodeids: Iterable[str]) -> tuple[str, ...]:
    """The one-word strings and words of the failing tests' literals and parameter ids, first
    met first, without duplicates. Tests whose file cannot be read or parsed add nothing."""
    found: dict[str, None] = {}
    trees: dict[str, tree_sitter.Tree | None] = {}
    for nodeid in nodeids:
        path, *names = nodeid.split("::")
        if not names:
            continue
        if path not in trees:
            trees[path] = _parse(root / path)
        tree = trees[path]
        name, _, parameters = names[-1].partition("[")
        texts: list[str] = [parameters.rstrip("]")] if parameters else []
        if tree is not None:
            function = _function(tree.root_node, [*names[:-1], name])
            if function is not None:
                texts += [_text(node) for node in _strings(function)]
        for text in texts:
            for word in _words(text):
                found.setdefault(word, None)
                if len(found) >= MAX_LITERALS:
                    return tuple(found)
    return tuple(found)


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


def _strings(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "string_content":
            yield current
        stack.extend(reversed(current.children))


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text else ""


def _words(text: str) -> list[str]:
    """The text itself when it is one word (dots allowed: a module's name), then its words, then
    their dotted parts."""
    text = text.strip()
    words = [text] if text and len(text) <= _LONGEST and _WORD.fullmatch(text) else []
    found = words + _WORD.findall(text) + _PART.findall(text)
    return [word for word in found if len(word) <= _LONGEST]
