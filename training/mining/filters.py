"""Checks on a finished fix record: changes that are not code fixes (docstrings, releases).

They read only the record, so the corpus build applies them again to cached records: refining
them needs no re-mining.
"""

from __future__ import annotations

import re
from typing import Any

_RELEASE_WORDS = re.compile(r"version|release|bump", re.IGNORECASE)


def _changed_old_lines(fix: dict[str, Any]) -> str:
    hunk, first = fix["hunk"], fix["before_lines"][0]
    lines = fix["before"].split("\n")
    start = hunk["old_start"] - first
    return "\n".join(lines[max(0, start) : max(0, start + hunk["old_count"])])


def skip_reason(fix: dict[str, Any]) -> str | None:
    """Why a mined record is not a code fix, or None to keep it."""
    edits = fix["edits"]
    if not edits:
        return None
    if all(edit["class"] == "string" and not edit["target"] for edit in edits):
        return "docstring_only"
    literals_only = all(
        edit["op"] == "replace" and edit["class"] in ("string", "number") for edit in edits
    )
    if literals_only and (
        _RELEASE_WORDS.search(_changed_old_lines(fix)) or _RELEASE_WORDS.search(fix["message"])
    ):
        return "version_bump"  # a release: only literals change, on a version line or commit
    return None
