"""On every fixture, `repair localize` ranks the seeded bug's line (score > 0) and, for most, near the top."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repair.localize import localize

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(p for p in FIXTURES.iterdir() if (p / "bug.json").is_file())


@pytest.mark.slow
@pytest.mark.parametrize("fixture", CASES, ids=lambda p: p.name)
def test_the_bug_line_is_ranked(fixture: Path) -> None:
    bug = json.loads((fixture / "bug.json").read_text())
    buggy = {(edit["path"], edit["line"]) for edit in bug["edits"]}
    result = localize(
        [fixture], [fixture / "tests"], formula="ochiai", top=None, per_test_timeout=2.0
    )
    ranked = [(line.path, line.line) for line in result.ranked]
    assert buggy & set(ranked), f"{fixture.name}: {sorted(buggy)} not among {ranked[:10]}"
