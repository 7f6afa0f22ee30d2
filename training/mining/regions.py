"""The code around a hunk: its innermost function, or at module/class level a window of statements.

The region is found on one side of the change (the new file, unless the hunk only deletes) and
carried to the other side by line arithmetic: every line outside the hunk is the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter

from training.mining.hunks import Hunk

_CONTAINERS = ("module", "block")


@dataclass(frozen=True)
class Region:
    kind: str  # "function" or "window"
    name: str  # the function's name; "" for a window
    before: tuple[int, int]  # first and last line (1-based, inclusive) in the old file
    after: tuple[int, int]  # the same region in the new file

    @property
    def lines(self) -> int:
        return max(self.before[1] - self.before[0], self.after[1] - self.after[0]) + 1


def _lines_of(node: tree_sitter.Node) -> tuple[int, int]:
    first, last = node.start_point[0] + 1, node.end_point[0] + 1
    if node.end_point[1] == 0 and last > first:  # ends at the start of the next line
        last -= 1
    return first, last


def _contains(node: tree_sitter.Node, low: int, high: int) -> bool:
    first, last = _lines_of(node)
    return first <= low and high <= last


def enclosing_region(
    old_tree: tree_sitter.Tree, new_tree: tree_sitter.Tree, hunk: Hunk, context: int = 1
) -> Region:
    """The innermost function holding the hunk's lines, else `context` statements either side."""
    use_new = hunk.new_count > 0
    tree = new_tree if use_new else old_tree
    start = hunk.new_start if use_new else hunk.old_start
    low, high = start, start + (hunk.new_count if use_new else hunk.old_count) - 1
    function: tree_sitter.Node | None = None
    container: tree_sitter.Node = tree.root_node
    node = tree.root_node
    while True:
        if node.type == "function_definition":
            function = node
        if node.type in _CONTAINERS:
            container = node
        inner = next((child for child in node.children if _contains(child, low, high)), None)
        if inner is None:
            break
        node = inner
    if function is not None:
        name_node = function.child_by_field_name("name")
        name = name_node.text.decode("utf-8", "replace") if name_node and name_node.text else ""
        kind, span = "function", _lines_of(function)
    else:
        kind, name, span = "window", "", _window(container, low, high, context)
    if use_new:
        return Region(kind, name, _to_old(span, hunk), span)
    return Region(kind, name, span, _to_new(span, hunk))


def _window(container: tree_sitter.Node, low: int, high: int, context: int) -> tuple[int, int]:
    statements = [child for child in container.named_children if child.type != "comment"]
    overlapping = [
        index
        for index, child in enumerate(statements)
        if _lines_of(child)[0] <= high and low <= _lines_of(child)[1]
    ]
    if not overlapping:  # only blank lines or comments changed: the lines themselves
        return low, max(low, high)
    first = max(0, overlapping[0] - context)
    last = min(len(statements) - 1, overlapping[-1] + context)
    return min(_lines_of(statements[first])[0], low), max(_lines_of(statements[last])[1], high)


def _to_old(span: tuple[int, int], hunk: Hunk) -> tuple[int, int]:
    first, last = span
    if first >= hunk.new_start:  # the region starts inside the hunk
        first = hunk.old_start if hunk.old_count else hunk.old_start + 1
    if last >= hunk.new_start + hunk.new_count:
        last -= hunk.delta
    else:  # the region ends inside the hunk
        last = hunk.old_start + hunk.old_count - 1 if hunk.old_count else hunk.old_start
    return first, last


def _to_new(span: tuple[int, int], hunk: Hunk) -> tuple[int, int]:
    first, last = span
    if first >= hunk.old_start:
        first = hunk.new_start if hunk.new_count else hunk.new_start + 1
    if last >= hunk.old_start + hunk.old_count:
        last += hunk.delta
    else:
        last = hunk.new_start + hunk.new_count - 1 if hunk.new_count else hunk.new_start
    return first, last


def line_span_bytes(source: bytes, first: int, last: int) -> tuple[int, int]:
    """Byte offsets of lines [first, last] (1-based, inclusive), trailing newline included.

    Lines past the end of the file are empty (a deletion at the very end leaves none behind).
    """
    start = 0
    for _ in range(first - 1):
        newline = source.find(b"\n", start)
        start = len(source) if newline < 0 else newline + 1
    end = start
    for _ in range(last - first + 1):
        newline = source.find(b"\n", end)
        end = len(source) if newline < 0 else newline + 1
    return start, end
