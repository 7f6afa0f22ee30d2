"""The warm validator on purpose-made projects: verdicts, stop rules, hazards (loops, exits,
memory), fresh bytecode for every candidate, the user's tree left alone, and the candidate's code
being what the tests see however they imported it (the suite is collected once per worker)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import time
from pathlib import Path

import pytest

from repair.validate import WORKER, Request, Validation, Validator, merged

CASE = Path(__file__).parent / "data" / "fix" / "hazards"
SOURCE = (CASE / "counter.py").read_bytes()
FIXED = SOURCE.replace(b"return i - 1", b"return i + 1")
FAILING = (
    "tests/test_counter.py::test_count_up",
    "tests/test_counter.py::test_count_up_zero",
)


def listing(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def validator():
    with Validator(CASE, ["tests"], jobs=2, per_test_timeout=0.5, candidate_timeout=5.0) as v:
        yield v


def candidate(code: bytes, **options) -> Request:
    return Request({"counter.py": code}, FAILING, **options)


def test_baseline_and_fix(validator):
    baseline = validator.validate(Request({}, FAILING, max_failures=None))
    assert baseline.complete and baseline.collected == 3
    assert sorted(baseline.failed) == sorted(FAILING)
    assert baseline.messages[FAILING[0]] == "assert 2 == 4\n +  where 2 = count_up(3)"
    fixed = validator.validate(candidate(FIXED))
    assert fixed.all_passed and list(fixed.outcomes)[:2] == list(FAILING)


def test_stops_early(validator):
    baseline = validator.validate(Request({}, FAILING, max_failures=None))
    # The failing tests fail exactly as before: the rest of the suite is not run.
    same = validator.validate(candidate(SOURCE, baseline=baseline.messages, max_failures=2))
    assert not same.complete and len(same.outcomes) == 2
    # More failures than allowed: stopped at the first one.
    worse = validator.validate(candidate(SOURCE.replace(b"2 * n", b"3 * n"), max_failures=0))
    assert not worse.complete and len(worse.outcomes) == 1


def test_only_the_named_tests_of_the_rest_run(validator):
    others = validator.validate(Request({}, (), max_failures=None))
    third = next(nodeid for nodeid in others.outcomes if nodeid not in FAILING)
    fixed = validator.validate(candidate(FIXED, only=frozenset()))
    assert fixed.all_passed and list(fixed.outcomes) == list(FAILING) and fixed.collected == 2
    fixed = validator.validate(candidate(FIXED, only=frozenset({third})))
    assert fixed.all_passed and list(fixed.outcomes) == [*FAILING, third]


def test_same_length_edits_never_see_stale_bytecode(validator):
    # `i + 1` and `i - 1` differ in one byte and are written within the same second.
    results = [validator.validate(candidate(code)) for code in (FIXED, SOURCE, FIXED, SOURCE)]
    assert [r.all_passed for r in results] == [True, False, True, False]


def test_hazards_cost_at_most_their_timeout(validator):
    loop = SOURCE.replace(b"i += 1", b"i += 0")
    # Ignores the per-test alarm: only the candidate's own deadline stops it.
    deaf = SOURCE.replace(
        b"    return i - 1",
        b"    import signal\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    while True:\n"
        b"        pass",
    )
    exits = SOURCE.replace(b"if n < 0", b"if n >= 0")
    sys_exit = SOURCE.replace(b"abort(3)", b"raise SystemExit(3)").replace(b"n < 0", b"n >= 0")
    memory = SOURCE.replace(b"i = 0\n", b"i = 0\n    hog = bytearray(8 << 30)\n")
    started = time.monotonic()
    results = validator.validate_many(
        [candidate(code) for code in (loop, deaf, exits, sys_exit, memory)]
    )
    assert time.monotonic() - started < 20
    loop_result, deaf_result, exit_result, sys_exit_result, memory_result = results
    assert loop_result.outcomes[FAILING[0]][0] == "timeout"
    assert deaf_result.status == "timeout" and 5.0 <= deaf_result.seconds < 8.0
    # The test that killed its interpreter is an error, and stops the candidate (max_failures 0).
    assert exit_result.outcomes == {FAILING[0]: ("error", "interpreter crashed (exit code 3)")}
    assert exit_result.status == "finished" and not exit_result.complete
    assert sys_exit_result.outcomes[FAILING[0]][0] == "failed"
    assert memory_result.outcomes[FAILING[0]][0] == "failed"
    assert "MemoryError" in memory_result.outcomes[FAILING[0]][1]
    # The workers survive all of it.
    assert validator.validate(candidate(FIXED)).all_passed


def test_parallel_results_come_back_in_order(validator):
    codes = [FIXED if i % 3 == 0 else SOURCE for i in range(12)]
    results = validator.validate_many([candidate(code) for code in codes])
    assert [r.all_passed for r in results] == [i % 3 == 0 for i in range(12)]


def test_user_tree_untouched(validator):
    before = listing(CASE)
    validator.validate_many([candidate(FIXED), candidate(SOURCE.replace(b"n < 0", b"n >= 0"))])
    assert listing(CASE) == before  # no __pycache__, no .pytest_cache, same bytes


def test_conftest_importing_the_code_sees_the_candidate():
    case = CASE.parent / "conftest_imports"
    failing = ("tests/test_calc.py::test_add",)
    source = (case / "calc.py").read_bytes()
    conftest = (case / "tests" / "conftest.py").read_bytes()
    with Validator(case, ["tests"], jobs=1, sources=["calc.py"]) as validator:
        results = validator.validate_many(
            [
                Request({"calc.py": source.replace(b"a - b", b"a + b")}, failing),
                Request({"calc.py": source}, failing),
                # A candidate in a conftest runs a fresh pytest in its child.
                Request(
                    {"tests/conftest.py": conftest.replace(b"calc.add", b"lambda a, b: a + b")},
                    failing,
                ),
                Request({}, failing),
            ]
        )
        assert [worker.mode for worker in validator._workers] == ["session"]
    assert [result.all_passed for result in results] == [True, False, True, False]
    assert all(result.status == "finished" for result in results)


def test_prepared_session_when_the_configuration_leaves_the_code_alone(validator):
    assert {worker.mode for worker in validator._workers} == {"session"}


# --- the candidate's code is what the tests see -------------------------------------------

REFRESH = CASE.parent / "refresh"
PRICES = (REFRESH / "shop" / "prices.py").read_bytes()


@pytest.fixture(scope="module")
def refresher():
    with Validator(REFRESH, ["tests"], jobs=1, per_test_timeout=0.5, candidate_timeout=5.0) as v:
        yield v


def prices(old: bytes, new: bytes, **options) -> Request:
    assert old in PRICES
    options.setdefault("max_failures", None)
    return Request({"shop/prices.py": PRICES.replace(old, new)}, (), **options)


def verdicts(result) -> dict[str, str]:
    return {nodeid.split("::", 1)[1]: outcome for nodeid, (outcome, _) in result.outcomes.items()}


def failed(result) -> set[str]:
    return {name for name, outcome in verdicts(result).items() if outcome == "failed"}


def test_from_imports_see_the_candidate(refresher):
    unchanged = refresher.validate(Request({}, (), max_failures=None))
    assert unchanged.all_passed and unchanged.collected == 9
    # `from shop.prices import price, total, cost` in the test module.
    apple = refresher.validate(prices(b'"apple": 3', b'"apple": 30'))
    assert apple.complete and failed(apple) == {"test_price", "test_total", "test_cost"}
    # `import shop.prices as m; m.price`, `from shop.prices import *`, and a total.
    pear = refresher.validate(prices(b'"pear": 4', b'"pear": 5'))
    assert failed(pear) == {"test_total", "test_module_attribute", "test_star"}
    # `ZERO = Money(0)` at import is the candidate's Money, and the test class still holds the
    # module's own `Box` (test_cost, TestBox::test_kind pass above and below).
    assert verdicts(pear)["test_cost"] == verdicts(pear)["TestBox::test_kind"] == "passed"
    assert refresher.validate(Request({}, (), max_failures=None)).all_passed


def test_parametrize_built_from_the_code_is_collected_again(refresher):
    # `from shop import WORDS` (re-exported by the package), then parametrize(WORDS).
    plum = refresher.validate(prices(b'("apple", "pear")', b'("apple", "plum")'))
    assert plum.complete and plum.collected == 9
    assert failed(plum) == {"test_known[plum]"}
    assert "test_known[pear]" not in verdicts(plum)
    again = refresher.validate(Request({}, (), max_failures=None))
    assert again.all_passed and "test_known[pear]" in verdicts(again)


def test_a_candidate_that_breaks_the_import_is_a_collection_error(refresher):
    broken = refresher.validate(prices(b'("apple", "pear")', b'("apple", "pear") + MISSING'))
    assert not broken.outcomes and not broken.all_passed
    # Also the module that only did `import shop.prices` (test_module.py).
    assert len(broken.collection_errors) == 3
    assert all("NameError" in error for error in broken.collection_errors)
    assert refresher.validate(Request({}, (), max_failures=None)).all_passed


def test_a_changed_module_is_compiled_once_however_often_its_import_fails(tmp_path, monkeypatch):
    # Each module that depends on a file whose new version fails on import imports it again;
    # compiling a long file every time made such candidates several times dearer (dev real bug
    # attrs-2: 0.19 s against 0.05 s), so the worker's loader compiles it once per child.
    spec = importlib.util.spec_from_file_location("validate_worker_under_test", WORKER)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    (tmp_path / "breaks_on_import.py").write_text("x = 1\nraise ValueError('candidate')\n")
    module_spec = importlib.util.spec_from_file_location(
        "breaks_on_import", tmp_path / "breaks_on_import.py"
    )
    module = importlib.util.module_from_spec(module_spec)
    compiled = []
    get_code = importlib.machinery.SourceFileLoader.get_code
    monkeypatch.setattr(
        importlib.machinery.SourceFileLoader,
        "get_code",
        lambda loader, name: compiled.append(name) or get_code(loader, name),
    )
    monkeypatch.setattr(sys, "meta_path", [worker.Refresh({module.__name__: module}, {})])
    for _ in range(3):
        with pytest.raises(ValueError, match="candidate"):
            importlib.import_module("breaks_on_import")
    assert compiled == ["breaks_on_import"]


def test_one_worker_goes_on_after_a_loop_and_an_exit(refresher):
    first = ("tests/test_prices.py::test_price",)
    body = b"def price(item):\n    return TABLE.get(item, 0)"
    loop = prices(body, b"def price(item):\n    while True:\n        pass", max_failures=0)
    exits = prices(body, b"def price(item):\n    import os\n    os._exit(3)", max_failures=0)
    looped, exited, fine = refresher.validate_many(
        [
            Request(loop.files, first, max_failures=0),
            Request(exits.files, first, max_failures=0),
            Request({}, first, max_failures=None),
        ]
    )
    assert looped.outcomes[first[0]][0] == "timeout" and not looped.complete
    assert exited.outcomes == {first[0]: ("error", "interpreter crashed (exit code 3)")}
    assert fine.all_passed and list(fine.outcomes)[0] == first[0]


def test_a_candidate_that_loops_on_import_is_a_collection_error(refresher):
    # cut after the per-test limit's CPU time (0.5 s), not after the candidate's 5 s; each test
    # module that imports it says why
    words = b'WORDS = ("apple", "pear")'
    looping = refresher.validate(prices(words, words + b"\nwhile True:\n    pass"))
    assert looping.status == "finished" and not looping.outcomes
    assert looping.collection_errors
    assert all("timed out on import" in error for error in looping.collection_errors)
    assert refresher.validate(Request({}, (), max_failures=None)).all_passed


def test_validations_of_shares_merge_into_one():
    first = Validation({"a": ("failed", "boom"), "b": ("passed", "")}, 2, ["x: err"],
                       cut=frozenset({"a"}), durations={"a": 0.5, "b": 0.1})  # fmt: skip
    second = Validation({"c": ("timeout", "slow")}, 2, ["x: err"], status="timeout",
                        durations={"c": 2.0})  # fmt: skip
    whole = merged([first, second])
    assert list(whole.outcomes) == ["a", "b", "c"]
    assert whole.failed == ["a", "c"]
    assert whole.collected == 4 and not whole.complete  # "d" never ran; the second timed out
    assert whole.collection_errors == ["x: err"]  # both met it; said once
    assert whole.status == "timeout"
    assert whole.cut == {"a"} and whole.durations == {"a": 0.5, "b": 0.1, "c": 2.0}
