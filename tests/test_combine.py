"""The combined statement score: spectra per statement, crash sites, import time, ties."""

from __future__ import annotations

import pytest

from repair.combine import LocalizePolicy, spread_to_lines, suspiciousness, tied_ranks
from repair.evidence import crash_scores, statement_spectra
from repair.statements import statement_map
from repair.testrun import Frame, SuiteRun, TestResult

SOURCE = b"""\
SCALE = 3


def total(values, start=0):
    result = start
    for value in values:
        result += value * SCALE
    return check(
        result,
    )


def check(result):
    if result < 0:
        raise ValueError(result)
    return result
"""
# f1 fails in check (raised at line 15, called from line 8); f2 fails by assertion in the test;
# p1 passes. Every test runs total() and check() through line 14.
BODY = (5, 6, 7, 8, 9, 14, 16)


def made_up_run(frames_f1=(Frame("m.py", 15, "check"), Frame("m.py", 8, "total"))) -> SuiteRun:
    results = [
        TestResult("t::f1", "failed", 0.0, "ValueError", tuple(frames_f1)),
        TestResult("t::f2", "failed", 0.0, "assert 3 == 4"),
        TestResult("t::p1", "passed", 0.0, ""),
    ]
    coverage = {line: frozenset({"t::f1", "t::f2", "t::p1"}) for line in BODY}
    coverage[15] = frozenset({"t::f1"})
    coverage[16] = frozenset({"t::f2", "t::p1"})
    return SuiteRun(results, {"m.py": coverage}, [], 0.0, False, False)


def test_a_statement_over_several_lines_is_scored_once():
    spectra = statement_spectra(made_up_run(), {"m.py": statement_map(SOURCE)})
    assert ("m.py", 8) in spectra and ("m.py", 9) not in spectra
    scores = suspiciousness(made_up_run(), {"m.py": SOURCE}, LocalizePolicy(crash_weight=0))
    assert set(scores) >= {("m.py", 8), ("m.py", 15)} and ("m.py", 9) not in scores


def test_crash_site_first_then_its_callers():
    crash = crash_scores(made_up_run(), {"m.py": statement_map(SOURCE)}, frame_decay=0.5)
    # one of the two failing tests raised: crash site 1/2, its caller 0.5/2
    assert crash == {("m.py", 15): 0.5, ("m.py", 8): 0.25}


def test_crash_evidence_breaks_a_tie_that_coverage_leaves():
    run = made_up_run()
    plain = tied_ranks(suspiciousness(run, {"m.py": SOURCE}, LocalizePolicy(crash_weight=0)))
    ranks = {key[1]: rank for key, _, rank, _ in plain}
    assert ranks[5] == ranks[6] == ranks[8]  # same tests, same score, same rank
    combined = suspiciousness(run, {"m.py": SOURCE}, LocalizePolicy(crash_weight=1.0))
    assert combined[("m.py", 15)] > combined[("m.py", 8)] > combined[("m.py", 5)]
    assert max(combined.values()) <= 1.0


def test_without_tracebacks_or_a_twin_the_score_is_the_formula():
    run = made_up_run(frames_f1=())
    policy = LocalizePolicy(formula="ochiai", twin_weight=0)
    scores = suspiciousness(run, {"m.py": SOURCE}, policy)
    # line 15: ef=1, ep=0, F=2 -> 1/sqrt(2)
    assert scores[("m.py", 15)] == pytest.approx(2**-0.5)
    assert scores[("m.py", 5)] == pytest.approx(2 / (2 * 3) ** 0.5)


def test_the_header_where_a_failing_test_parts_from_its_twin_moves_up():
    run = made_up_run(frames_f1=())
    off = suspiciousness(run, {"m.py": SOURCE}, LocalizePolicy(twin_weight=0))
    on = suspiciousness(run, {"m.py": SOURCE}, LocalizePolicy(twin_weight=1.0))
    # f1 and its twin p1 part at line 14 (f1 raises on 15, p1 returns on 16); f2 runs as p1
    assert off[("m.py", 14)] == off[("m.py", 5)]
    assert on[("m.py", 14)] > on[("m.py", 5)]
    assert max(on.values()) <= 1.0


def test_import_time_statements_take_a_share_of_their_readers():
    run = made_up_run(frames_f1=())
    policy = LocalizePolicy(constant_share=0.9, header_share=0.5)
    scores = suspiciousness(run, {"m.py": SOURCE}, policy)
    assert scores[("m.py", 1)] == pytest.approx(0.9 * scores[("m.py", 7)])  # SCALE, read on 7
    best_body = max(scores[("m.py", line)] for line in (5, 6, 7, 8))
    assert scores[("m.py", 4)] == pytest.approx(0.5 * best_body)  # def total(..., start=0)
    off = suspiciousness(run, {"m.py": SOURCE}, LocalizePolicy(constant_share=0, header_share=0))
    assert ("m.py", 1) not in off and ("m.py", 4) not in off


def test_the_model_hook_counts_only_with_a_weight():
    run = made_up_run(frames_f1=())
    model = {("m.py", 6): 1.0}
    off = suspiciousness(run, {"m.py": SOURCE}, LocalizePolicy(), model=model)
    on = suspiciousness(run, {"m.py": SOURCE}, LocalizePolicy(model_weight=1.0), model=model)
    assert off[("m.py", 6)] == off[("m.py", 5)]
    assert on[("m.py", 6)] > on[("m.py", 5)]


def test_tied_ranks_share_the_first_place_and_average():
    scores = {("a", 1): 0.9, ("a", 2): 0.5, ("a", 3): 0.5, ("a", 4): 0.1, ("a", 5): 0.0}
    assert [(key[1], rank, average) for key, _, rank, average in tied_ranks(scores)] == [
        (1, 1, 1.0),
        (2, 2, 2.5),
        (3, 2, 2.5),
        (4, 4, 4.0),
    ]


def test_spread_to_lines_gives_each_line_of_a_statement_its_score():
    maps = {"m.py": statement_map(SOURCE)}
    lines = spread_to_lines({("m.py", 8): 0.7, ("m.py", 5): 0.2}, maps)
    assert lines == {("m.py", 8): 0.7, ("m.py", 9): 0.7, ("m.py", 10): 0.7, ("m.py", 5): 0.2}


def test_an_upper_case_constant_is_followed_from_another_file():
    sources = {
        "keywords.py": b"KEYWORDS = {\n    'a': 1,\n}\nname = 'x'\n",
        "lexer.py": b"from keywords import KEYWORDS, name\n\n\ndef lex(w):\n"
        b"    return KEYWORDS.get(w), name\n",
    }
    results = [TestResult("t::f", "failed", 0.0, ""), TestResult("t::p", "passed", 0.0, "")]
    run = SuiteRun(results, {"lexer.py": {5: frozenset({"t::f"})}}, [], 0.0, False, False)
    scores = suspiciousness(run, sources, LocalizePolicy(constant_share=0.5))
    assert scores[("keywords.py", 1)] == pytest.approx(0.5 * scores[("lexer.py", 5)])
    assert ("keywords.py", 4) not in scores  # `name`: too common a name to follow across files


def test_words_shared_with_the_failing_test_move_a_statement_up():
    source = b"def render(item, width):\n    label = item.title\n    padding = width - 1\n"
    results = [
        TestResult("t.py::test_padding_of_wide_items", "failed", 0.0, "assert 3 == 4"),
        TestResult("t.py::test_other", "passed", 0.0, ""),
    ]
    coverage = {"m.py": {2: frozenset({"t.py::test_padding_of_wide_items"}),
                         3: frozenset({"t.py::test_padding_of_wide_items"})}}  # fmt: skip
    run = SuiteRun(results, coverage, [], 0.0, False, False)
    plain = suspiciousness(run, {"m.py": source}, LocalizePolicy(text_weight=0.0))
    assert plain[("m.py", 2)] == plain[("m.py", 3)]  # coverage cannot tell them apart
    with_text = suspiciousness(run, {"m.py": source}, LocalizePolicy(text_weight=0.5))
    assert with_text[("m.py", 3)] > with_text[("m.py", 2)]  # `padding` is in the test's name


def test_a_twin_named_after_the_failing_test_shares_no_more_than_the_shorter_name():
    from repair.twin_evidence import _likeness

    statements = {("m.py", 5)}
    # a passing test whose id merely extends the failing one's shares its whole (shorter) id,
    # not its own longer one; the Jaccard index then decides between equal prefixes
    longer = _likeness("t.py::test_a", statements, ("t.py::test_a_and_more", statements))
    same_case = _likeness("t.py::test_a[1]", statements, ("t.py::test_a[2]", statements))
    assert longer[0] == len("t.py::test_a")
    assert same_case[0] == len("t.py::test_a[")
