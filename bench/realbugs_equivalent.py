"""Plausible patches judged by hand to behave as the human fix does.

`realbugs_score.outcome` calls a patch correct only when the repaired file has the human fix's
code tokens or AST. A patch can differ in its tokens and still do what the human fix does
(more-itertools-4: `break` out of the loop, then the function's `return True`, against the human
fix's `return True` inside it). Such patches are listed in `realbugs/equivalent.json`, each with
the hunks `repair fix` printed and the reason it was judged equivalent; the tables count them
beside the strict figure, never in it. A judgment is made on the patch and the code alone, and
records anything it leaves aside (a generator's return value, say).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

JUDGED = Path(__file__).resolve().parent / "realbugs" / "equivalent.json"


def hunks(diff: str) -> list[list[str]]:
    """The bodies of a unified diff's hunks (the lines after each `@@` header, right-stripped);
    file headers and hunk positions aside."""
    bodies: list[list[str]] = []
    for line in diff.splitlines():
        if line.startswith("@@"):
            bodies.append([])
        elif bodies and not line.startswith(("--- ", "+++ ")):
            bodies[-1].append(line.rstrip())
    return bodies


@cache
def _judged(path: Path) -> dict[str, list[dict]]:
    by_bug: dict[str, list[dict]] = {}
    for item in json.loads(path.read_text(encoding="utf-8")):
        by_bug.setdefault(item["id"], []).append(item)
    return by_bug


def judged_equivalent(bug_id: str, diff: str, path: Path = JUDGED) -> str:
    """Why the patch `diff` of bug `bug_id` was judged equivalent to the human fix; "" if it
    was not (or was never judged)."""
    if not diff:
        return ""
    have = hunks(diff)
    for item in _judged(path).get(bug_id, []):
        if hunks(item["diff"]) == have:
            return item["why"]
    return ""
