"""End-to-end repairs through `repair.fix` (the library, no CLI): golden fixtures (input project →
the fixture's recorded patch, byte for byte), two bugs over two rounds, hazardous candidates,
determinism, and the model path with a tiny untrained checkpoint."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from repair.edits import EditKind
from repair.fix import FIXED, NOTHING_TO_FIX, RepairConfig, fix
from repair.policy import SearchPolicy
from repair.shards import ShardPolicy

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CASES = Path(__file__).parent / "data" / "fix"
# Fixtures the model-free baseline fixes within a few candidates (a few seconds each), and what
# that costs: (candidates validated, test runs, rounds). Deterministic: the order is fixed by the
# policy and the seed. tests/test_fix_cli.py repairs two more through the command line. After the
# fix, 20 more candidates (plausible_min_candidates) are tried for another passing patch.
GOLDEN = {
    "access_control_wrong_boolean": (2 + 20, 25, 1),
    # the swap passes, then one likelier edit of the same state is tried (natural alternatives)
    "bank_transfer_swapped_arguments": (3 + 20, 26, 1),
}


def baseline(**options) -> RepairConfig:
    """The model-free search, sized for CI's two cores."""
    settings = dict(use_model=False, jobs=2, test_timeout=1.0, timeout=90.0)
    settings.update(options)
    return RepairConfig(**settings)


def repair_project(root: Path, config: RepairConfig):
    return fix([root], [root / "tests"], config)


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_fixture(name: str):
    root = FIXTURES / name
    result = repair_project(root, baseline())
    assert result.status == FIXED, result.stop_reason
    assert result.diff == (root / "fix.patch").read_text(encoding="utf-8")
    assert result.verified and not result.applied
    assert sorted(result.passing_after) == sorted(result.failing_before)
    assert (result.candidates_tried, result.test_runs, result.rounds) == GOLDEN[name]
    # one round: the coverage run, the failing state's run by the validator, each candidate,
    # and the verification of the fix
    assert result.test_runs == 1 + 1 + result.candidates_tried + 1


def test_a_split_first_run_and_baseline_find_the_same_fix():
    """Forced to split (any suite size), the first run and the failing state's run through the
    workers give the search what one child and one worker give it: the same patch, the same
    candidates in the same order."""
    name = "access_control_wrong_boolean"
    split = repair_project(
        FIXTURES / name, baseline(shards=ShardPolicy(max_shards=2, min_test_bytes=0))
    )
    assert split.status == FIXED, split.stop_reason
    assert split.diff == (FIXTURES / name / "fix.patch").read_text(encoding="utf-8")
    assert (split.candidates_tried, split.test_runs, split.rounds) == GOLDEN[name]


@pytest.fixture(scope="module")
def two_bugs_result():
    return repair_project(CASES / "two_bugs", baseline(seed=7))


def test_two_bugs_need_two_rounds(two_bugs_result):
    result = two_bugs_result
    assert result.status == FIXED
    assert {(edit.line, edit.old, edit.new) for edit in result.edits} == {
        (5, "+", "*"),
        (9, "*", "+"),
    }
    # round one's partial fixes are expanded (each with its own coverage run): 14 candidates,
    # 13 of them failing, then 20 more after the fix (plausible_min_candidates), none passing;
    # 1 + 1 + 34 + 2 coverage runs + 1 verification test runs
    assert (result.candidates_tried, result.test_runs, result.rounds) == (34, 39, 2)
    assert result.validation_outcomes["passed"] == 1 and len(result.patches) == 1


def test_hazardous_candidates_do_not_hang_the_search():
    # One round that walks the ranked candidates until one edit passes (no partial fix ends it):
    # every looping or crashing edit ranked before the fix is validated. (With the default
    # rounds the baseline finds a plausible two-edit fix, `i = 2` and `i += 3`, first.)
    walk = SearchPolicy(rounds=1, round_patience=10**6, patience_probability=0.0)
    started = time.monotonic()
    result = repair_project(CASES / "hazards", baseline(seed=1, policy=walk))
    assert time.monotonic() - started < 60
    assert result.status == FIXED
    assert [(edit.line, edit.new) for edit in result.edits] == [(16, "+")]
    hazards = result.validation_outcomes
    assert hazards.get("test timeout", 0) + hazards.get("timeout", 0) >= 1, hazards
    # os._exit in the code under test makes that test an error ("interpreter crashed") and the
    # rest still run (#12 F4): a failing candidate, no crashed validation.
    assert hazards.get("crashed", 0) == 0, hazards


def test_same_seed_same_patch(two_bugs_result):
    first = two_bugs_result
    second = repair_project(CASES / "two_bugs", baseline(seed=7))
    assert first.diff == second.diff
    assert first.candidates_tried == second.candidates_tried
    assert first.edits == second.edits


def test_nothing_to_fix():
    result = repair_project(CASES / "passing", baseline())
    assert result.status == NOTHING_TO_FIX
    assert result.candidates_tried == 0 and result.diff == ""


def test_import_does_not_load_torch():
    # The model-free path and `import repair` stay light.
    code = "import sys, repair; from repair import fix, RepairConfig; print('torch' in sys.modules)"
    import subprocess

    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert output.stdout.strip() == "False", output.stderr


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """An untrained model with a vocabulary of the fixtures' code: exercises the model path."""
    import torch

    from repair.checkpoint import Checkpoint, save_checkpoint
    from repair.models import ModelConfig, build_model
    from repair.source import parse, tokens
    from repair.vocabulary import Vocabulary

    torch.manual_seed(0)
    corpus = []
    for path in sorted((FIXTURES / "access_control_wrong_boolean").rglob("*.py")):
        data = path.read_bytes()
        corpus += [token.text for token in tokens(data, parse(data))]
    vocabulary = Vocabulary.build(corpus, max_size=400, min_count=1)
    config = ModelConfig(vocab_size=len(vocabulary), hidden=32, depth=2, heads=2, edge_dim=8)
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    save_checkpoint(path, Checkpoint(build_model(config), config, vocabulary, commit="test"))
    return path


def test_model_path_is_deterministic(tiny_checkpoint: Path):
    root = FIXTURES / "access_control_wrong_boolean"
    config = baseline(use_model=True, model_paths=(tiny_checkpoint,), seed=3)
    first = repair_project(root, config)
    second = repair_project(root, config)
    assert first.status == FIXED and first.model == str(tiny_checkpoint)
    assert first.diff == (root / "fix.patch").read_text(encoding="utf-8")
    assert (first.diff, first.candidates_tried) == (second.diff, second.candidates_tried)


def test_an_ensemble_averages_its_members(tiny_checkpoint: Path, tmp_path: Path):
    # Two models that disagree (the tiny one, and the same architecture with other weights):
    # the ensemble's P(wrong) and P(option) are their means, and its options best first.
    import torch

    from repair.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from repair.models import build_model
    from repair.rank import FileView, suspicious_regions
    from repair.score import EnsembleScorer, ModelScorer
    from repair.source import parse, tokens

    first = load_checkpoint(tiny_checkpoint)
    torch.manual_seed(1)
    other_path = tmp_path / "other.pt"
    other_model = build_model(first.config)
    save_checkpoint(other_path, Checkpoint(other_model, first.config, first.vocabulary))
    second = load_checkpoint(other_path)
    code = b"def f(a, b):\n    if a < b:\n        return a + b\n    return a - b\n"
    tree = parse(code)
    views = {"m.py": FileView(code, tree, tokens(code, tree))}
    policy = SearchPolicy()
    regions, signals = suspicious_regions(
        views, {"m.py": {2: 1.0, 3: 0.5}}, import_signal=0.5, policy=policy
    )
    one, two = (
        ModelScorer(c.model, c.vocabulary).score(views, regions, signals, 0, policy)[0]
        for c in (first, second)
    )
    wrong, options = EnsembleScorer(
        [ModelScorer(c.model, c.vocabulary) for c in (first, second)]
    ).score(views, regions, signals, 0, policy)[0]
    assert one[0] != pytest.approx(two[0])  # the members disagree
    assert wrong == pytest.approx({t: (one[0][t] + two[0][t]) / 2 for t in one[0]})
    assert set(options) == set(one[1]) and options
    for token, ranked in options.items():
        expected = {
            text: (dict(one[1][token])[text] + dict(two[1][token])[text]) / 2
            for text, _ in one[1][token]
        }
        assert dict(ranked) == pytest.approx(expected)
        assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)


def test_fix_loads_every_model_given(tiny_checkpoint: Path, tmp_path: Path):
    from repair.errors import CheckpointError
    from repair.score import EnsembleScorer

    root = FIXTURES / "access_control_wrong_boolean"
    result = repair_project(
        root, baseline(use_model=True, model_paths=(tiny_checkpoint, tiny_checkpoint), seed=3)
    )
    assert result.status == FIXED
    assert result.model == f"{tiny_checkpoint} + {tiny_checkpoint}"
    from repair.fix import _load_scorer

    scorer, _ = _load_scorer(RepairConfig(model_paths=(tiny_checkpoint, tiny_checkpoint)))
    assert isinstance(scorer, EnsembleScorer) and len(scorer.members) == 2
    with pytest.raises(CheckpointError, match="missing.pt: checkpoint not found"):
        repair_project(
            root, baseline(use_model=True, model_paths=(tiny_checkpoint, tmp_path / "missing.pt"))
        )


def rank_snippet(code: bytes, scores: dict[int, float], seed: int = 0):
    from repair.rank import FileView, rank_candidates, suspicious_regions
    from repair.source import parse, tokens

    tree = parse(code)
    views = {"m.py": FileView(code, tree, tokens(code, tree))}
    policy = SearchPolicy()
    regions, signals = suspicious_regions(views, {"m.py": scores}, import_signal=0.5, policy=policy)
    ranked = rank_candidates(
        views, regions, signals, scorer=None, iteration=0, seed=seed, policy=policy
    )
    return regions, ranked


def test_the_reserve_can_take_every_kind_in_turn():
    from repair.candidate_pool import CandidatePool
    from repair.rank import FileView, rank_candidates, suspicious_regions
    from repair.source import parse, tokens
    from repair.states import State

    code = b"def f(xs, n):\n    total = sum(xs) + n\n    return total if n > 1 else len(xs)\n"
    tree = parse(code)
    views = {"m.py": FileView(code, tree, tokens(code, tree))}

    def ranked(by_kind: bool):
        policy = SearchPolicy(max_options=1, max_real_candidates=2, reserve_by_kind=by_kind)
        regions, signals = suspicious_regions(
            views, {"m.py": {2: 1.0, 3: 0.5}}, import_signal=0.5, policy=policy
        )
        return rank_candidates(
            views, regions, signals, scorer=None, iteration=0, seed=0, policy=policy
        )

    by_score, by_kind = ranked(False), ranked(True)
    key = lambda c: (c.edit.start, c.edit.end, c.edit.new, c.kind)  # noqa: E731
    assert sorted(map(key, by_score)) == sorted(map(key, by_kind))
    up_front = [key(c) for c in by_score if not c.deferred]
    assert [key(c) for c in by_kind[: len(up_front)]] == up_front  # the rest keep their order
    deferred = by_kind[len(up_front) :]
    assert len({c.kind for c in deferred}) > 1 and all(c.deferred for c in deferred)
    # every kind's best deferred candidate, then every kind's second, ..., by score in a turn
    assert [(c.turn, -c.score) for c in deferred] == sorted((c.turn, -c.score) for c in deferred)
    for kind in {c.kind for c in deferred}:
        own = [c for c in deferred if c.kind == kind]
        assert [c.turn for c in own] == list(range(len(own)))
        assert [c.score for c in own] == sorted((c.score for c in own), reverse=True)
    assert [key(c) for c in deferred] != [key(c) for c in by_score if c.deferred]
    # the search's reserve draws them in that order
    pool = CandidatePool(older_by_score=True)
    state = State(files={}, edits=(), failing=("t::a",), messages={})
    pool.add(state, deferred)
    assert not pool and pool.open_reserve()
    drawn = [pool.next()[1] for _ in deferred]
    assert [key(c) for c in drawn] == [key(c) for c in deferred]


def test_rank_orders_by_suspiciousness_and_seed():
    code = b"LIMIT = 3\n\n\ndef f(n):\n    if n > LIMIT:\n        return n - 1\n    return n\n"
    regions, ranked = rank_snippet(code, {5: 1.0, 6: 0.5, 7: 0.2})
    # The function, then the module-level statement that runs at import.
    assert [(r.first_line, r.last_line) for r in regions] == [(4, 7), (1, 1)]
    # The baseline's score: P(option) by frequency (P(wrong) uniform) times (floor + the line's
    # suspiciousness); an edit as likely on a less suspicious line comes later.
    floor = SearchPolicy().suspiciousness_floor
    for c in ranked:
        assert c.score == pytest.approx(c.model_probability * (floor + c.suspiciousness))
    # by score, those beyond their token's first max_options options (deferred) after the rest,
    # by kind in turns (`reserve_by_kind`), by score within a turn
    assert ranked[0].line == 5 and [(c.deferred, c.turn, -c.score) for c in ranked] == sorted(
        (c.deferred, c.turn, -c.score) for c in ranked
    )
    assert any(c.deferred for c in ranked) and not ranked[0].deferred
    by_text = {(c.edit.old, c.edit.new, c.line): c for c in ranked}
    at_five, at_six = by_text[("n", "LIMIT", 5)], by_text[("n", "LIMIT", 6)]
    assert at_five.model_probability == at_six.model_probability
    assert at_five.score > at_six.score
    assert {c.line for c in ranked} == {1, 5, 6, 7}
    # No identities: `n - 0`, `n // 1`; the off-by-one removal is there instead.
    texts = {(c.line, c.edit.old, c.edit.new) for c in ranked}
    assert (6, "1", "0") not in texts and (6, "-", "//") not in texts
    assert (6, "n - 1", "n") in texts
    _, again = rank_snippet(code, {5: 1.0, 6: 0.5, 7: 0.2})
    _, other = rank_snippet(code, {5: 1.0, 6: 0.5, 7: 0.2}, seed=1)
    assert [c.edit for c in again] == [c.edit for c in ranked]
    assert [c.edit for c in other] != [c.edit for c in ranked]  # ties broken by the seed


def test_a_candidate_runs_at_most_two_looping_tests_first():
    from repair.search import State

    failing = ("t::a", "t::loop1", "t::b", "t::loop2", "t::loop3")
    state = State(
        files={}, edits=(), failing=failing, messages={},
        timed_out=frozenset({"t::loop1", "t::loop2", "t::loop3"}),
    )  # fmt: skip
    first = SearchPolicy().looping_first
    assert first == 2
    assert state.first_tests(first) == ("t::a", "t::loop1", "t::b", "t::loop2")
    assert state.first_tests(1) == ("t::a", "t::loop1", "t::b")
    assert State(files={}, edits=(), failing=failing, messages={}).first_tests(first) == failing


def test_import_time_statements_only_from_files_that_matter():
    from repair.rank import FileView, suspicious_regions
    from repair.source import parse, tokens

    policy = SearchPolicy(top_functions=1)
    lines = policy.max_statement_lines
    table = "TABLE = {\n" + "".join(f"    {i}: {i},\n" for i in range(lines)) + "}\n"
    sources = {
        "buggy.py": b"LIMIT = 3\n" + table.encode() + b"\n\ndef f(n):\n    return n > LIMIT\n",
        "other.py": b"SIZE = 2\n\n\ndef g(n):\n    return n * SIZE\n",
        "consts.py": b"RATE = 5\n",
    }
    views = {}
    for path, code in sources.items():
        tree = parse(code)
        views[path] = FileView(code, tree, tokens(code, tree))
    bug_line = sources["buggy.py"].splitlines().index(b"    return n > LIMIT") + 1
    scores = {
        "buggy.py": {bug_line: 1.0},
        "other.py": {5: 0.5},
        "consts.py": {1: 0.5},  # a module of constants: no function to rank
    }
    regions, _ = suspicious_regions(views, scores, import_signal=0.5, policy=policy)
    spans = [(r.path, r.first_line, r.last_line, r.table) for r in regions]
    # The top function, then import-time statements: of its file (the long table only for the
    # entries of `repair.collection_entries`), and of the file of constants; none of other.py,
    # whose function is not in the top 1.
    assert spans == [
        ("buggy.py", bug_line - 1, bug_line, False),
        ("buggy.py", 1, 1, False),
        ("buggy.py", 2, 2 + lines + 1, True),
        ("consts.py", 1, 1, False),
    ]
    # Every file's import-time statements are tables too when the failing tests hold strings
    del scores["consts.py"]
    regions, signals = suspicious_regions(
        views, scores, import_signal=0.5, policy=policy, tables_everywhere=True
    )
    assert [(r.path, r.table) for r in regions if r.path == "consts.py"] == [("consts.py", True)]
    assert signals["consts.py"] == {1: 0.5}
    without = SearchPolicy(top_functions=1, test_literal_entries=False)
    regions, _ = suspicious_regions(views, scores, import_signal=0.5, policy=without)
    assert not any(r.table for r in regions)


def test_partial_fix_signals_can_reuse_the_first_runs_coverage():
    from repair.fix import _with_outcomes
    from repair.testrun import SuiteRun, TestResult

    run = SuiteRun(
        results=[
            TestResult("t::a", "failed", 0.1, "boom"),
            TestResult("t::b", "passed", 0.1, ""),
            TestResult("t::c", "skipped", 0.0, "no"),
        ],
        line_coverage={"m.py": {3: frozenset({"t::a", "t::b"})}},
        collection_errors=[],
        wall_time=1.0,
        crashed=False,
        timed_out=False,
    )
    after = _with_outcomes(run, ["t::b"])
    assert (after.failed, after.passed) == (["t::b"], ["t::a"])
    assert after.results[2].outcome == "skipped"
    assert after.line_coverage is run.line_coverage


class _PassingValidator:
    """Every candidate whose file contains one of `passing` passes its one test; others fail it."""

    def __init__(self, passing: tuple[bytes, ...]):
        self.passing = passing
        self.seen: list[bytes] = []

    def validate_many(self, requests):
        from repair.validate import Validation

        results = []
        for request in requests:
            code = request.files["m.py"]
            self.seen.append(code)
            outcome = "passed" if any(p in code for p in self.passing) else "failed"
            results.append(Validation(outcomes={"t::a": (outcome, "")}, collected=1))
        return results


def _search_with(candidates, validator, verify=lambda state: True, policy=None):
    from repair.search import Budget, Search, State

    start = State(files={}, edits=(), failing=("t::a",), messages={"t::a": "x"})
    budget = Budget(time.monotonic() + 60, max_candidates=50, jobs=1)
    # plausible_share 0: these tests are about the search up to its first passing patch (the
    # search after it: tests/test_patch_choice.py)
    policy = policy or SearchPolicy(rounds=1, beam=1, plausible_share=0.0)
    originals = {"m.py": b"ok = a < b\n"}
    expand = lambda s, i: candidates  # noqa: E731
    return Search(start, originals, validator, expand, verify, budget, policy).run()


def _candidate(
    new: str,
    score: float,
    probability: float,
    start: int = 7,
    end: int = 8,
    kind: EditKind = EditKind.REPLACE_TOKEN,
):
    from repair.rank import Candidate
    from repair.source import Edit

    old = "ok = a < b\n"[start:end]
    edit = Edit(start, end, old, new)
    return Candidate("m.py", edit, kind, 1, score, 1.0, probability)


def test_deferred_candidates_wait_until_the_rest_is_tried():
    # `<=` is beyond its token's first options (deferred): the search tries it only once every
    # other candidate has failed, although it scores higher.
    candidates = [
        _candidate("==", 0.8, 0.05),
        replace(_candidate("<=", 0.9, 0.3), deferred=True),
        _candidate(">", 0.6, 0.04),
    ]
    validator = _PassingValidator((b"a <= b",))
    outcome = _search_with(candidates, validator)
    assert outcome.fixed.files["m.py"] == b"ok = a <= b\n"
    assert validator.seen == [b"ok = a == b\n", b"ok = a > b\n", b"ok = a <= b\n"]
    # in a round that is not the last, the reserve waits for the next round
    validator = _PassingValidator((b"a <= b",))
    outcome = _search_with(candidates, validator, policy=SearchPolicy(rounds=2, beam=1))
    assert outcome.rounds == 2 and outcome.fixed is not None


def test_a_likelier_passing_edit_is_preferred():
    # `a < b + 1` is tried first (ranked higher) and passes, but the model finds `<=` likelier
    # and it passes too: `<=` is the fix. `>` is likelier still, and fails.
    candidates = [
        _candidate("b + 1", 0.9, 0.1, start=9, end=10),
        _candidate("==", 0.8, 0.05),
        _candidate("<=", 0.7, 0.3),
        _candidate(">", 0.6, 0.4),
    ]
    validator = _PassingValidator((b"a <= b", b"b + 1"))
    outcome = _search_with(candidates, validator)
    assert outcome.fixed is not None
    assert outcome.fixed.files["m.py"] == b"ok = a <= b\n"
    # the first passing candidate, then the two likelier ones (likeliest first); `==` never ran
    assert validator.seen == [b"ok = a < b + 1\n", b"ok = a > b\n", b"ok = a <= b\n"]
    assert outcome.candidates_tried == outcome.test_runs - 1 == 3


def test_a_passing_replacement_on_the_line_beats_a_passing_insertion():
    # `- 1` (an insertion) passes first and the model likes it best; the line's replacements are
    # unlikelier, but `<=` passes too and is the smaller change. `b` -> `c` is on the line too.
    candidates = [
        _candidate(" - 1", 0.9, 0.5, start=10, end=10, kind=EditKind.SUBTRACT_ONE),
        _candidate("==", 0.8, 0.05),
        _candidate("<=", 0.7, 0.03),
        _candidate("c", 0.6, 0.02, start=9, end=10),
    ]
    validator = _PassingValidator((b"a <= b", b"b - 1"))
    outcome = _search_with(candidates, validator)
    assert outcome.fixed.files["m.py"] == b"ok = a <= b\n"
    # after the insertion, the line's two likeliest replacements; `c` never ran
    assert validator.seen == [b"ok = a < b - 1\n", b"ok = a == b\n", b"ok = a <= b\n"]


def test_the_comparison_a_passing_plus_one_amounts_to_is_tried_first():
    # `a < b + 1` is `a <= b` over integers: that replacement runs first although the model
    # finds it the unlikeliest of the line.
    candidates = [
        _candidate(" + 1", 0.9, 0.5, start=10, end=10, kind=EditKind.ADD_ONE),
        _candidate("==", 0.8, 0.05),
        _candidate("c", 0.7, 0.02, start=9, end=10),
        _candidate("<=", 0.6, 0.001),
    ]
    validator = _PassingValidator((b"a <= b", b"b + 1"))
    outcome = _search_with(candidates, validator)
    assert outcome.fixed.files["m.py"] == b"ok = a <= b\n"
    assert validator.seen == [b"ok = a < b + 1\n", b"ok = a <= b\n", b"ok = a == b\n"]


def test_without_model_probabilities_the_first_passing_edit_stands():
    candidates = [_candidate("b + 1", 0.9, 0.0, start=9, end=10), _candidate("<=", 0.7, 0.0)]
    validator = _PassingValidator((b"a <= b", b"b + 1"))
    outcome = _search_with(candidates, validator)
    assert outcome.fixed.files["m.py"] == b"ok = a < b + 1\n"
    assert validator.seen == [b"ok = a < b + 1\n"]


def test_a_likelier_edit_that_fails_verification_falls_back():
    candidates = [_candidate("b + 1", 0.9, 0.1, start=9, end=10), _candidate("<=", 0.7, 0.3)]
    validator = _PassingValidator((b"a <= b", b"b + 1"))
    outcome = _search_with(
        candidates, validator, verify=lambda state: b"<=" not in state.files["m.py"]
    )
    assert outcome.fixed.files["m.py"] == b"ok = a < b + 1\n"
    assert outcome.rejected_by_verification == 1


class _TableValidator:
    """Outcomes of three tests looked up by the program's text; unknown programs fail all."""

    def __init__(self, table: dict[bytes, set[str]]):
        self.table = table
        self.seen: list[bytes] = []

    def validate_many(self, requests):
        from repair.validate import Validation

        results = []
        for request in requests:
            code = request.files.get("m.py", b"x = p + q * 1\n")
            self.seen.append(code)
            failing = self.table.get(code, {"t::a", "t::b", "t::c"})
            outcomes = {
                t: ("failed" if t in failing else "passed", t) for t in ("t::a", "t::b", "t::c")
            }
            results.append(Validation(outcomes=outcomes, collected=3))
        return results


def _replacement(source: str, start: int, new: str, score: float, probability: float):
    """A one-character token replacement in `m.py`."""
    from repair.rank import Candidate
    from repair.source import Edit

    edit = Edit(start, start + 1, source[start], new)
    return Candidate("m.py", edit, EditKind.REPLACE_TOKEN, 1, score, 1.0, probability)


def _two_rounds(source: str, candidates, validator, policy: SearchPolicy = SearchPolicy()):
    """A search of two rounds (beam 2) from `source` failing t::a and t::b; every state is
    expanded into `candidates`."""
    from repair.search import Budget, Search, State

    start = State(files={}, edits=(), failing=("t::a", "t::b"), messages={})
    budget = Budget(time.monotonic() + 60, max_candidates=50, jobs=1)
    policy = replace(policy, rounds=2, beam=2)
    originals = {"m.py": source.encode()}
    return Search(
        start, originals, validator, lambda s, i: candidates, lambda s: True, budget, policy
    ).run()


def test_a_round_without_partial_fixes_goes_on_from_the_least_worse():
    # `p + q * 1` is wrong twice; t::c passes by coincidence, and each half of the fix breaks it,
    # so neither is a partial fix: round two goes on from them and finds `p * q - 1`.
    source = "x = p + q * 1\n"
    candidates = [
        _replacement(source, 6, "*", 0.9, 0.0),
        _replacement(source, 10, "-", 0.8, 0.0),
        _replacement(source, 4, "q", 0.7, 0.0),
    ]
    validator = _TableValidator(
        {
            b"x = p * q * 1\n": {"t::a", "t::b", "t::c"},
            b"x = p + q - 1\n": {"t::a", "t::b", "t::c"},
            b"x = p * q - 1\n": set(),
        }
    )
    outcome = _two_rounds(source, candidates, validator)
    assert outcome.fixed is not None
    assert outcome.fixed.files["m.py"] == b"x = p * q - 1\n"
    assert outcome.rounds == 2


def test_candidates_know_the_tests_their_edit_can_change():
    from repair.fix import _with_tests
    from repair.rank import FileView
    from repair.source import parse, tokens
    from repair.testrun import SuiteRun, TestResult

    code = b"LIMIT = 3\n\n\ndef f(n):\n    return n + 1\n\n\ndef g(n):\n    return n * 2\n"
    tree = parse(code)
    views = {"m.py": FileView(code, tree, tokens(code, tree))}
    results = [
        TestResult("t::f_fails", "failed", 0.0, ""),
        TestResult("t::f_passes", "passed", 0.0, ""),
        TestResult("t::g_passes", "passed", 0.0, ""),
        TestResult("t::loops", "timeout", 0.0, ""),
    ]
    coverage = {
        "m.py": {5: frozenset({"t::f_fails", "t::f_passes"}), 9: frozenset({"t::g_passes"})}
    }
    run = SuiteRun(results, coverage, [], 1.0, False, False)
    edits = [_candidate("2", 1.0, 0.1, 44, 45), _candidate("3", 0.9, 0.1, 74, 75)]
    edits = [replace(edits[0], line=5), replace(edits[1], line=9)]
    edits.append(replace(_candidate("4", 0.8, 0.1, 8, 9), line=1))  # import time: every test
    in_f, in_g, at_import = _with_tests(edits, run, views)
    # f's edit: the tests that ran f, and those that did not pass (their coverage may stop early)
    assert in_f.tests == {"t::f_fails", "t::f_passes", "t::loops"}
    assert in_g.tests == {"t::g_passes", "t::f_fails", "t::loops"}
    assert at_import.tests is None
    # a run that did not finish says nothing about the tests it did not reach
    unfinished = SuiteRun(results, coverage, [], 1.0, False, True)
    assert all(c.tests is None for c in _with_tests(edits, unfinished, views))


def test_a_partial_fixs_run_of_the_tests_it_can_change_merges_into_its_parents():
    from repair.fix import _merged
    from repair.testrun import SuiteRun, TestResult

    parent = SuiteRun(
        [
            TestResult("t::a", "failed", 0.0, "boom"),
            TestResult("t::b", "passed", 0.0, ""),
            TestResult("t::c", "passed", 0.0, ""),
        ],
        {"m.py": {1: frozenset({"t::a", "t::b", "t::c"}), 2: frozenset({"t::a"}), 3: {"t::c"}}},
        [], 1.0, False, False,
    )  # fmt: skip
    part = SuiteRun(
        [TestResult("t::a", "passed", 0.0, ""), TestResult("t::b", "failed", 0.0, "new")],
        {"m.py": {1: frozenset({"t::a", "t::b"}), 4: frozenset({"t::b"})}},
        [], 0.5, False, False,
    )  # fmt: skip
    merged = _merged(parent, part, frozenset({"t::a", "t::b"}))
    assert [(r.nodeid, r.outcome) for r in merged.results] == [
        ("t::a", "passed"), ("t::b", "failed"), ("t::c", "passed"),
    ]  # fmt: skip
    # t::a no longer runs line 2; t::b now runs line 4; t::c's coverage is its parent's
    assert merged.line_coverage == {"m.py": {1: {"t::a", "t::b", "t::c"}, 3: {"t::c"}, 4: {"t::b"}}}
    assert merged.failed == ["t::b"] and not merged.timed_out


class _FlatScorer:
    """A stand-in model: every token of a region P(wrong) 0.5, its first two options 0.5 each."""

    def score(self, files, regions, signals, iteration, policy):
        from repair.source import candidates, is_repair_target

        found = []
        for region in regions:
            view = files[region.path]
            inside = [t for t in view.tokens if region.start <= t.start and t.end <= region.end]
            wrong = {t.index: 0.5 for t in inside}
            options = {
                t.index: [(text, 0.5) for text in candidates(t, view.tokens)[:2]]
                for t in inside
                if is_repair_target(t)
            }
            found.append((wrong, options))
        return found


def test_the_model_weighs_statements_run_at_import_less():
    from repair import rank
    from repair.source import parse, tokens

    code = b"LIMIT = 3\n\n\ndef f(n):\n    return n > LIMIT\n"
    tree = parse(code)
    views = {"m.py": rank.FileView(code, tree, tokens(code, tree))}
    policy = SearchPolicy()
    regions, signals = rank.suspicious_regions(
        views, {"m.py": {5: 1.0}}, import_signal=0.5, policy=policy
    )
    assert [r.statement for r in regions] == [False, True]
    ranked = rank.rank_candidates(
        views, regions, signals, scorer=_FlatScorer(), iteration=0, seed=0, policy=policy
    )
    replaced = [c for c in ranked if c.kind == EditKind.REPLACE_TOKEN]
    at_import = {c.model_probability for c in replaced if c.line == 1}
    in_function = {c.model_probability for c in replaced if c.line == 5}
    assert policy.statement_prior < 1
    assert in_function == {0.25} and len(at_import) == 1
    assert at_import.pop() == pytest.approx(0.25 * policy.statement_prior)


def test_the_beam_keeps_one_state_per_behaviour():
    # Three partial fixes fail the same test; two of them fail it the same way (`x if name` with
    # two truthy names), so only the likelier of those two takes a place in a beam of two.
    from repair.search import State, select_beam

    start = State(files={}, edits=(), failing=("t::a", "t::b"), messages={})

    def child(name: str, message: str, score: float) -> State:
        return State(
            files={"m.py": name.encode()}, edits=(), failing=("t::b",),
            messages={"t::b": message}, score=score,
        )  # fmt: skip

    hashlib = child("hashlib", "assert 'd41d8' == None", 0.9)
    abs_ = child("abs", "assert 'd41d8' == None", 0.8)
    text = child("text", "assert True == None", 0.7)
    pairs = [(start, hashlib), (start, abs_), (start, text)]
    assert select_beam(pairs, SearchPolicy(beam=2)) == [hashlib, text]
    assert select_beam(pairs, SearchPolicy(beam=2, distinct_beam=False)) == [hashlib, abs_]


def test_argument_swaps_weigh_more_than_other_structural_edits():
    from repair import rank
    from repair.source import parse, tokens

    code = b"def f(a, b):\n    return g(b, a) - 1\n"
    tree = parse(code)
    views = {"m.py": rank.FileView(code, tree, tokens(code, tree))}
    policy = SearchPolicy()
    regions, signals = rank.suspicious_regions(
        views, {"m.py": {2: 1.0}}, import_signal=0.5, policy=policy
    )
    ranked = rank.rank_candidates(
        views, regions, signals, scorer=_FlatScorer(), iteration=0, seed=0, policy=policy
    )
    by_kind = {c.kind: c.model_probability for c in ranked}
    assert policy.swap_prior > policy.operation_prior
    assert by_kind[EditKind.SWAP_ARGUMENTS] == pytest.approx(policy.swap_prior * 0.5)
    assert by_kind[EditKind.REMOVE_OFFSET] == pytest.approx(policy.operation_prior * 0.5)


@pytest.mark.parametrize("fraction", [0.25, 0.0])
def test_a_round_ends_when_no_candidate_is_nearly_as_likely_as_its_partial_fix(fraction):
    # `+ -> *` fixes t::a (a partial fix, P 0.8). The round's eight other candidates are far less
    # likely (P 0.1 < 0.25 * 0.8), so at 0.25 round two starts at once from the partial fix and
    # finds the rest of the fix after at most two of them (round two alternates with what round
    # one left). Off (0), the round's patience tries all eight first.
    source = "x = p + q * 1\n"
    candidates = [
        _replacement(source, 6, "*", 0.9, 0.8),
        _replacement(source, 10, "-", 0.85, 0.1),
        _replacement(source, 4, "q", 0.8, 0.1),
        *(_replacement(source, 12, str(n), 0.7 - n / 100, 0.1) for n in range(2, 8)),
    ]
    validator = _TableValidator({b"x = p * q * 1\n": {"t::b"}, b"x = p * q - 1\n": set()})
    policy = SearchPolicy(patience_probability=fraction, plausible_share=0.0)
    outcome = _two_rounds(source, candidates, validator, policy)
    assert outcome.fixed is not None
    assert outcome.fixed.files["m.py"] == b"x = p * q - 1\n"
    assert validator.seen[0] == b"x = p * q * 1\n"
    others_of_the_start = [code for code in validator.seen[1:] if code[6:7] == b"+"]
    if fraction:
        assert len(others_of_the_start) <= 2
    else:
        assert len(others_of_the_start) == 8


@pytest.mark.parametrize("to_the_end", [True, False])
def test_the_last_round_spends_the_budget_instead_of_stopping_for_a_next_round(to_the_end):
    # `+ -> *` fixes t::a at once (a partial fix); the whole fix `1 -> 7` is ranked 22nd. The
    # round's patience (16) would end it for a next round to go on from the partial fix, but
    # this is the last round: to the end, it finds the fix; without, "rounds exhausted".
    from repair.search import Budget, Search, State

    source = "x = p + q * 1\n"
    candidates = [
        _replacement(source, 6, "*", 0.9, 0.5),
        *(_replacement(source, 4, chr(ord("a") + n), 0.8 - n / 100, 0.5) for n in range(20)),
        _replacement(source, 12, "7", 0.1, 0.5),
    ]
    validator = _TableValidator({b"x = p * q * 1\n": {"t::b"}, b"x = p + q * 7\n": set()})
    policy = SearchPolicy(
        rounds=1, plausible_share=0.0, patience_probability=0.0, last_round_to_the_end=to_the_end
    )
    start = State(files={}, edits=(), failing=("t::a", "t::b"), messages={})
    budget = Budget(time.monotonic() + 60, max_candidates=50, jobs=1)
    outcome = Search(
        start, {"m.py": source.encode()}, validator, lambda s, i: candidates, lambda s: True,
        budget, policy,
    ).run()  # fmt: skip
    if to_the_end:
        assert outcome.fixed is not None and outcome.fixed.files["m.py"] == b"x = p + q * 7\n"
    else:
        assert outcome.fixed is None and outcome.stop_reason == "rounds exhausted"
        assert outcome.candidates_tried == 1 + policy.round_patience


def test_a_string_offered_in_both_quotes_is_likelier_in_the_literals_own():
    from repair.rank import own_quotes_first

    options = [("''", 0.5), ('"x"', 0.3), ('""', 0.2), ("r'y'", 0.1)]
    assert own_quotes_first('" "', options) == [
        ('""', 0.5), ('"x"', 0.3), ("''", 0.2), ("r'y'", 0.1)
    ]  # fmt: skip
    assert own_quotes_first("' '", options) == options  # already in its own quotes first
    assert own_quotes_first("name", options) == options  # not a string
    assert own_quotes_first('"x"', options) == [('""', 0.5), ("''", 0.2), ("r'y'", 0.1)]
    assert own_quotes_first('""', options) == [('"x"', 0.3), ("r'y'", 0.1)]  # '' is "" too
