"""The exact difference between two versions of a UTF-8 text file, as small replacements.

Lines are compared first (difflib, as the unified diff does); inside each changed block the text
both versions share at its start and end is left out, so a one-token fix is one small replacement.
Each replacement names the same text three ways, for SARIF (`repair.sarif`) and any other reader:
UTF-8 bytes of the file as stored; Unicode code points, not counting a byte order mark (SARIF
3.30.2: text positions never count it); and 1-based line and column (columns in code points,
lines ended by "\\n", so "\\r\\n" ends one line too). Applying a file's replacements from the last
to the first turns `before` into `after` exactly, by bytes or by code points alike.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import accumulate

BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True)
class Replacement:
    byte_offset: int  # where the replaced text starts in `before`, in bytes
    byte_length: int
    char_offset: int  # the same, in code points after any byte order mark
    char_length: int
    start_line: int  # 1-based
    start_column: int  # 1-based, in code points
    end_line: int  # the line of the position just past the replaced text
    end_column: int  # one past its last character (SARIF's endColumn); = start for an insertion
    text: str  # what takes its place ("" deletes)


def exact_replacements(before: bytes, after: bytes) -> list[Replacement]:
    """The replacements that turn `before` into `after` (both UTF-8), in file order."""
    old, new = before.decode("utf-8"), after.decode("utf-8")
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    starts = [0, *accumulate(map(len, old_lines))]  # code point index of each line's start
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    found = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        prefix = _common_prefix(removed, added)
        suffix = _common_prefix(removed[prefix:][::-1], added[prefix:][::-1])
        start, end = starts[i1] + prefix, starts[i2] - suffix
        if start < end or prefix < len(added) - suffix:
            found.append(_located(old, start, end, added[prefix : len(added) - suffix]))
    return found


def apply_replacements(before: bytes, replacements: list[Replacement]) -> bytes:
    """`before` with `replacements` (from `exact_replacements`) applied, by byte offsets."""
    data = before
    for item in sorted(replacements, key=lambda r: r.byte_offset, reverse=True):
        end = item.byte_offset + item.byte_length
        data = data[: item.byte_offset] + item.text.encode("utf-8") + data[end:]
    return data


def _common_prefix(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b):
        if x != y:
            break
        length += 1
    return length


def _located(text: str, start: int, end: int, inserted: str) -> Replacement:
    """The replacement of `text[start:end]` (code point indices into the decoded file)."""
    mark = 1 if text.startswith(BYTE_ORDER_MARK) else 0  # a fix never edits the mark itself
    byte_start = len(text[:start].encode("utf-8"))
    byte_length = len(text[start:end].encode("utf-8"))
    start_line, start_column = _line_column(text, start, mark)
    end_line, end_column = _line_column(text, end, mark)
    return Replacement(
        byte_start, byte_length, start - mark, end - start,
        start_line, start_column, end_line, end_column, inserted,
    )  # fmt: skip


def _line_column(text: str, index: int, mark: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    column = index - line_start + 1 - (mark if line_start == 0 else 0)
    return text.count("\n", 0, index) + 1, column
