"""Correct over plausible: the search goes on after its first passing patch, and the passing
patches are ranked by probability, size and removed behaviour (`repair.patch_choice`)."""

from __future__ import annotations

import time
from dataclasses import replace

from repair.edits import EditKind
from repair.patch_choice import doubt, rank_patches, removed_behaviour
from repair.policy import SearchPolicy
from repair.rank import Candidate
from repair.search import Budget, Search
from repair.source import Edit
from repair.states import AppliedEdit, State
from repair.validate import Validation

ORIGINAL = b"def f(n):\n    g(n)\n    return f(n - 1) if n else 0\n"


def patched(new: bytes, kind: EditKind, probability: float, old: str = "", line: int = 2):
    edit = AppliedEdit("m.py", line, kind, 0, 0, old, "", probability)
    return State(files={"m.py": new}, edits=(edit,), failing=(), messages={})


def test_removed_behaviour():
    originals = {"m.py": ORIGINAL}
    dropped = patched(ORIGINAL.replace(b"    g(n)\n", b""), EditKind.DELETE_STATEMENT, 0.1)
    assert removed_behaviour(dropped, originals) == "drops a call to g"
    recursion = patched(
        ORIGINAL.replace(b"f(n - 1)", b"abs(n - 1)"), EditKind.REPLACE_TOKEN, 0.1, line=3
    )
    assert removed_behaviour(recursion, originals) == "replaces a recursive call to f"
    kept = patched(ORIGINAL.replace(b"n - 1", b"n - 2"), EditKind.REPLACE_TOKEN, 0.1, line=3)
    assert removed_behaviour(kept, originals) == ""


def test_ranking_weighs_probability_size_and_removals():
    originals = {"m.py": ORIGINAL}
    smaller = patched(ORIGINAL.replace(b"n - 1", b"n - 2"), EditKind.REPLACE_TOKEN, 0.2, line=3)
    larger = patched(ORIGINAL.replace(b"n - 1", b"n - 1 - 1"), EditKind.SWAP_OPERANDS, 0.5, line=3)
    dropped = patched(ORIGINAL.replace(b"    g(n)\n", b""), EditKind.DELETE_STATEMENT, 0.9)
    policy = SearchPolicy(size_penalty=0.3, removal_penalty=0.1, incumbent_margin=1.0)
    choices = rank_patches([larger, dropped, smaller], originals, policy)
    # 0.2 (one token) > 0.5 * 0.3 (two tokens) > 0.9 * 0.3**3 * 0.1 (a statement of 4 removed)
    assert [choice.state for choice in choices] == [smaller, larger, dropped]
    assert [choice.size for choice in choices] == [1, 2, 4]
    assert abs(sum(choice.share for choice in choices) - 1) < 1e-9
    assert choices[2].removes == "drops a call to g"
    # the runner-up is close (0.15 against 0.2): doubtful
    assert "nearly as well" in doubt(choices, policy)
    # alone and likely: not doubtful; removing behaviour: doubtful whatever its score
    assert doubt(rank_patches([smaller], originals, policy), policy) == ""
    assert doubt(rank_patches([dropped], originals, policy), policy) == "it drops a call to g"
    # the first found stays first unless another scores incumbent_margin times as much
    assert (
        rank_patches([larger, smaller], originals, replace(policy, incumbent_margin=2.0))[0].state
        == larger
    )  # 0.2 < 2 * 0.15
    assert (
        rank_patches([dropped, smaller], originals, replace(policy, incumbent_margin=2.0))[0].state
        == smaller
    )  # 0.2 >= 2 * 0.002
    # an insertion that passes where a replacement on its line passes too ranks below it, and
    # is no rival (`x < y + 1` for `x <= y`)
    inserted = patched(ORIGINAL.replace(b"n - 1", b"n - 1 - 1"), EditKind.SUBTRACT_ONE, 0.9, line=3)
    choices = rank_patches([inserted, smaller], originals, policy)
    assert [choice.state for choice in choices] == [smaller, inserted] and choices[1].dominated
    assert doubt(choices, policy) == ""
    assert "unlikely" in doubt(
        rank_patches([smaller], originals, policy), SearchPolicy(doubt_probability=0.5)
    )


class _PassingValidator:
    """A candidate whose file contains one of `passing` passes its one test."""

    def __init__(self, passing: tuple[bytes, ...]):
        self.passing = passing
        self.seen: list[bytes] = []

    def validate_many(self, requests):
        results = []
        for request in requests:
            code = request.files["m.py"]
            self.seen.append(code)
            outcome = "passed" if any(p in code for p in self.passing) else "failed"
            results.append(Validation(outcomes={"t::a": (outcome, "")}, collected=1))
        return results


def _candidate(new: str, score: float, probability: float, start: int = 7, end: int = 8):
    edit = Edit(start, end, "ok = a < b\n"[start:end], new)
    return Candidate("m.py", edit, EditKind.REPLACE_TOKEN, 1, score, 1.0, probability)


def _search(candidates, policy: SearchPolicy):
    start = State(files={}, edits=(), failing=("t::a",), messages={"t::a": "x"})
    budget = Budget(time.monotonic() + 60, max_candidates=50, jobs=1)
    originals = {"m.py": b"ok = a < b\n"}
    validator = _PassingValidator((b"a <= b", b"a > b - 0"))
    search = Search(
        start, originals, validator, lambda s, i: candidates, lambda s: True, budget, policy
    )
    return search.run(), validator


def test_the_search_goes_on_after_a_plausible_patch():
    # `> b - 0` passes first; `<=` is ranked lower and less likely by the scorer, so the likelier
    # alternatives do not reach it: only the search's tail after the fix finds it.
    candidates = [
        _candidate(">", 0.9, 0.3),
        _candidate("==", 0.8, 0.2),
        _candidate("!=", 0.7, 0.1),
        _candidate("<=", 0.6, 0.05),
    ]
    candidates[0] = Candidate(
        "m.py", Edit(7, 10, "< b", "> b - 0"), EditKind.REPLACE_TOKEN, 1, 0.9, 1.0, 0.3
    )
    stop_at_first = SearchPolicy(rounds=1, beam=1, plausible_share=0.0)
    outcome, validator = _search(candidates, stop_at_first)
    assert [state.files["m.py"] for state in outcome.passing] == [b"ok = a > b - 0\n"]
    assert len(validator.seen) == 1
    go_on = SearchPolicy(rounds=1, beam=1, plausible_share=0.25, plausible_min_candidates=3)
    outcome, validator = _search(candidates, go_on)
    assert [state.files["m.py"] for state in outcome.passing] == [
        b"ok = a > b - 0\n",
        b"ok = a <= b\n",
    ]
    assert outcome.fixed.files["m.py"] == b"ok = a > b - 0\n"  # the first; fix.py ranks them
    assert outcome.stop_reason == "fixed" and outcome.candidates_tried == 4
    # at most max_plausible passing patches are verified
    outcome, _ = _search(candidates, SearchPolicy(rounds=1, beam=1, max_plausible=1))
    assert len(outcome.passing) == 1


def test_the_cli_prints_the_best_patch_its_score_doubt_and_the_next_two(capsys):
    from pathlib import Path

    from repair.cli import _print_repair
    from repair.fix import EditReport, PatchReport, RepairResult

    def report(old: str, new: str, score: float, removes: str = "") -> PatchReport:
        edit = EditReport("m.py", 3, EditKind.REPLACE_TOKEN, old, new)
        return PatchReport([edit], f"diff {new}\n", score, score / 0.6, 0.1, 1, removes)

    patches = [
        report("<", "<=", 0.3),
        report("x", "y", 0.2),
        report("g(n)", "", 0.09, "drops a call to g"),
        report("a", "b", 0.01),
    ]
    result = RepairResult(
        "fixed", Path("."), patches[0].edits, "diff <=\n", ["t::a"], ["t::a"], [], 12, 15, 1,
        1.0, True, False, "none", "fixed", patches=patches, doubt="another passing patch ...",
    )  # fmt: skip
    _print_repair(result)
    out = capsys.readouterr().out
    assert "patch score 0.3 (50% of the 4 passing patches found)" in out
    assert "doubtful: another passing patch ..." in out
    assert "  2. score 0.2: m.py:3 'x' -> 'y'" in out
    assert "  3. score 0.09; drops a call to g: m.py:3 'g(n)' -> ''" in out
    assert "'a' -> 'b'" not in out  # the next two only; --json has every patch
    assert out.endswith("diff <=\n")  # the diff stays last
    assert [patch["score"] for patch in result.to_json()["patches"]] == [0.3, 0.2, 0.09, 0.01]
