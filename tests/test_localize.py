"""Suspiciousness formulas against hand-computed numbers, and ranking over a made-up spectrum."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from repair.errors import BadInput, TestSuiteBroken
from repair.localize import (
    FORMULAS,
    RankedLine,
    covered_by_failing,
    dstar,
    line_scores,
    line_suspiciousness,
    localize,
    near_edits,
    ochiai,
    rank_lines,
    scores_by_file,
    tarantula,
    token_scores,
)
from repair.source import tokens
from repair.testrun import SuiteRun, TestResult

CASES = Path(__file__).parent / "data" / "runner"

# Two failing tests (f1, f2), three passing (p1, p2, p3), one skipped (s).
#   line 1: f1 f2          -> ef=2 ep=0
#   line 2: f1 p1          -> ef=1 ep=1
#   line 3: p1 p2 p3       -> ef=0 ep=3
#   line 4: f1 f2 p1 p2 p3 -> ef=2 ep=3
#   line 5: s              -> ef=0 ep=0
SPECTRUM = {1: "f1 f2", 2: "f1 p1", 3: "p1 p2 p3", 4: "f1 f2 p1 p2 p3", 5: "s"}
SOURCE = "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"


def made_up_run(path: str = "m.py") -> SuiteRun:
    outcomes = {"f1": "failed", "f2": "error", "p1": "passed", "p2": "passed", "p3": "passed"}
    outcomes["s"] = "skipped"
    results = [TestResult(nodeid, outcome, 0.0, "") for nodeid, outcome in outcomes.items()]
    coverage = {path: {line: frozenset(ids.split()) for line, ids in SPECTRUM.items()}}
    return SuiteRun(results, coverage, [], 0.0, False, False)


@pytest.mark.parametrize(
    ("ef", "ep", "expected"),
    [(2, 0, 1.0), (1, 1, 0.5 / (0.5 + 1 / 3)), (0, 3, 0.0), (2, 3, 0.5)],
)
def test_tarantula(ef, ep, expected):
    assert tarantula(ef, ep, 2, 3) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ef", "ep", "expected"),
    [(2, 0, 1.0), (1, 1, 0.5), (0, 3, 0.0), (2, 3, 2 / math.sqrt(10))],
)
def test_ochiai(ef, ep, expected):
    assert ochiai(ef, ep, 2, 3) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ef", "ep", "expected"),
    [(2, 0, 4 * 1000 + 1), (1, 1, 0.5), (0, 3, 0.0), (2, 3, 4 / 3)],
)
def test_dstar(ef, ep, expected):
    assert dstar(ef, ep, 2, 3) == pytest.approx(expected)


def test_dstar_unbounded_score_beats_every_bounded_one():
    assert dstar(1, 0, 1, 100) > dstar(1, 0, 2, 0) == 1.0


def test_no_passing_tests():
    assert tarantula(1, 0, 1, 0) == 1.0
    assert ochiai(1, 0, 1, 0) == 1.0


def test_binary():
    assert [covered_by_failing(ef, ep, 2, 3) for ef, ep in [(2, 0), (1, 1), (0, 3)]] == [1, 1, 0]
    assert set(FORMULAS) == {"tarantula", "ochiai", "dstar", "binary"}


def test_line_scores_ignore_skipped_tests():
    scores = line_scores(made_up_run(), "tarantula")
    assert scores == pytest.approx(
        {("m.py", 1): 1.0, ("m.py", 2): 0.6, ("m.py", 3): 0.0, ("m.py", 4): 0.5, ("m.py", 5): 0.0}
    )
    assert line_scores(made_up_run(), "ochiai")[("m.py", 4)] == pytest.approx(2 / math.sqrt(10))


def test_unknown_formula():
    with pytest.raises(BadInput, match="unknown formula 'magic'"):
        line_scores(made_up_run(), "magic")


def test_rank_lines(tmp_path):
    (tmp_path / "m.py").write_text(SOURCE)
    ranked = rank_lines(made_up_run(), tmp_path, "tarantula", top=10)
    assert ranked == [
        RankedLine("m.py", 1, 1.0, "a = 1", rank=1, last=1),
        RankedLine("m.py", 2, pytest.approx(0.6), "b = 2", rank=2, last=2),
        RankedLine("m.py", 4, 0.5, "d = 4", rank=3, last=4),
    ]  # zero scores are left out
    assert [line.line for line in rank_lines(made_up_run(), tmp_path, "dstar", top=2)] == [1, 4]


def test_tied_statements_share_their_rank(tmp_path):
    (tmp_path / "m.py").write_text(SOURCE)
    ranked = rank_lines(made_up_run(), tmp_path, "binary", top=None)
    assert [(line.line, line.score, line.rank) for line in ranked] == [
        (1, 1.0, 1),
        (2, 1.0, 1),
        (4, 1.0, 1),
    ]
    # a tie across the cut is kept whole
    assert len(rank_lines(made_up_run(), tmp_path, "binary", top=1)) == 3


def test_token_scores_take_their_line_score():
    source = b"x = 1\ny = x + 2\n"
    toks = tokens(source)
    per_line = scores_by_file({("m.py", 2): 0.75})["m.py"]
    assert [(t.text, s) for t, s in zip(toks, token_scores(toks, per_line), strict=True)] == [
        ("x", 0.0),
        ("=", 0.0),
        ("1", 0.0),
        ("y", 0.75),
        ("=", 0.75),
        ("x", 0.75),
        ("+", 0.75),
        ("2", 0.75),
    ]


def test_localize_finds_the_bug():
    root = CASES / "failing"
    result = localize([root], [root / "tests"], "tarantula", top=3)
    assert result.root == root.resolve()
    # Tarantula's 1 over 1 + the twin weight (the failing test's twin skips the loop's body)
    assert [(line.path, line.line, line.score) for line in result.ranked[:2]] == [
        ("stats.py", 8, pytest.approx(1 / 1.1)),
        ("stats.py", 9, pytest.approx(1 / 1.1)),
    ]
    assert result.ranked[0].text == "if value < best:"


def test_localize_a_suite_that_cannot_import(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "mod.py").write_text("def f(:\n    pass\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text("import mod\n\ndef test_f():\n    pass\n")
    with pytest.raises(TestSuiteBroken, match="SyntaxError"):
        localize([tmp_path], [tmp_path / "tests"])


def test_line_suspiciousness_scores_every_line_of_a_statement():
    source = b"total = sum(\n    [1, 2],\n)\nother = 3\n"
    results = [TestResult("f", "failed", 0.0, ""), TestResult("p", "passed", 0.0, "")]
    # coverage reports a statement at whichever of its lines the interpreter stopped at
    run = SuiteRun(
        results, {"m.py": {2: frozenset({"f"}), 4: frozenset({"p"})}}, [], 0, False, False
    )
    lines = line_suspiciousness(run, {"m.py": source}, "ochiai")
    assert lines == {("m.py", 1): 1.0, ("m.py", 2): 1.0, ("m.py", 3): 1.0, ("m.py", 4): 0.0}
    assert line_scores(run, "ochiai") == {("m.py", 2): 1.0, ("m.py", 4): 0.0}  # the plain one


def test_lines_beside_an_earlier_edit_weigh_more() -> None:
    scores = {"a.py": {3: 0.5, 5: 0.5, 9: 0.5}, "b.py": {4: 0.5}}
    weighed = near_edits(scores, [("a.py", 4)], lines=1, factor=2.0)
    assert weighed == {"a.py": {3: 1.0, 5: 1.0, 9: 0.5}, "b.py": {4: 0.5}}
    assert near_edits(scores, [], lines=1, factor=2.0) is scores  # the start state
    assert near_edits(scores, [("a.py", 4)], lines=1, factor=1.0) is scores  # off
