"""The hunk of a small change: the lines left once the common beginning and end are cut.

A commit qualifies when everything that differs between the two versions of its file lies in one
block of at most a few lines on each side. For a change `git diff -U0` shows as one hunk this is
that hunk; a block may also hold an unchanged line between two changed ones (two zero-context
hunks, one hunk with git's usual context). Cutting the common prefix and suffix finds the block in
linear time with no diff process, and needs only the two blobs the miner reads anyway.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hunk:
    """Lines [old_start, old_start + old_count) became [new_start, new_start + new_count).

    As in git's zero-context diffs, an empty side is numbered by the line before it: `-12,0`
    inserts after line 12 of the old file, `+7,0` deletes what followed line 7 of the new one.
    """

    old_start: int
    old_count: int
    new_start: int
    new_count: int

    @property
    def changed_lines(self) -> int:
        return max(self.old_count, self.new_count)

    @property
    def delta(self) -> int:
        """How far lines after the hunk move from the old file to the new one."""
        return self.new_count - self.old_count


def single_hunk(old: bytes, new: bytes) -> Hunk | None:
    """The block of lines where `old` and `new` differ, or None if they are equal."""
    # Lines end at "\n" alone, as tree-sitter counts rows (bytes.splitlines would also cut at "\r").
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    shorter = min(len(old_lines), len(new_lines))
    prefix = 0
    while prefix < shorter and old_lines[prefix] == new_lines[prefix]:
        prefix += 1
    suffix = 0
    while suffix < shorter - prefix and old_lines[-1 - suffix] == new_lines[-1 - suffix]:
        suffix += 1
    old_count = len(old_lines) - prefix - suffix
    new_count = len(new_lines) - prefix - suffix
    if old_count == 0 and new_count == 0:
        return None
    return Hunk(
        prefix + 1 if old_count else prefix,
        old_count,
        prefix + 1 if new_count else prefix,
        new_count,
    )
