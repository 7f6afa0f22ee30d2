"""Hunks of a zero-context unified diff, per file."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    """Lines [old_start, old_start + old_count) became [new_start, new_start + new_count).

    With zero context git numbers an empty side by the line before it: `-12,0` inserts after
    line 12 of the old file, `+7,0` deletes what followed line 7 of the new one.
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


def file_hunks(diff: str) -> dict[str, list[Hunk]]:
    """The hunks of every file in a `git diff -U0` text, by new path (old path for a deletion)."""
    result: dict[str, list[Hunk]] = {}
    current: list[Hunk] | None = None
    old_path = ""
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            current = None
        elif line.startswith("--- "):
            old_path = _path_of(line[4:])
        elif line.startswith("+++ "):
            new_path = _path_of(line[4:]) or old_path
            current = result.setdefault(new_path, [])
        elif line.startswith("@@") and current is not None:
            match = _HUNK_HEADER.match(line)
            if match:
                old_start, old_count, new_start, new_count = match.groups()
                current.append(
                    Hunk(
                        int(old_start),
                        1 if old_count is None else int(old_count),
                        int(new_start),
                        1 if new_count is None else int(new_count),
                    )
                )
    return result


def _path_of(name: str) -> str:
    name = name.rstrip("\t")
    if name == "/dev/null":
        return ""
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return name[2:] if name[:2] in ("a/", "b/") else name
