from __future__ import annotations

import pytest

from repair.executor import Executor, execute
from training.programs import (
    Program,
    dedupe,
    humaneval_programs,
    split_check,
    split_programs,
    validate_programs,
)

CHECK = """
METADATA = {"author": "jt"}


def check(candidate):
    import math
    # a comment between statements
    assert candidate(1) == 2
    assert True, "a placeholder, not a test"
    total = math.floor(2.5)
    for x in range(3):
        assert candidate(x) == x + 1, x
    assert candidate(total) == 3
"""


def test_check_is_split_into_one_test_per_assertion() -> None:
    tests = split_check(CHECK, "increment")
    assert tests == (
        "candidate = increment\nimport math\nassert candidate(1) == 2\n",
        "candidate = increment\nimport math\ntotal = math.floor(2.5)\n"
        "for x in range(3):\n    assert candidate(x) == x + 1, x\n",
        "candidate = increment\nimport math\ntotal = math.floor(2.5)\nassert candidate(total) == 3\n",
    )
    result = execute("def increment(n):\n    return n + 1\n", tests)
    assert result.all_passed
    assert [o.lines for o in result.outcomes] == [{2}] * 3
    broken = execute("def increment(n):\n    return n + 2\n", tests)
    assert [o.status for o in broken.outcomes] == ["failed"] * 3


@pytest.fixture(scope="module")
def humaneval() -> list[Program]:
    return humaneval_programs(validate=False)


def test_humaneval_loads_every_problem_and_its_canonical_solutions_pass(
    humaneval: list[Program],
) -> None:
    assert len(humaneval) == 164
    assert len({p.name for p in humaneval}) == 164
    assert all(p.origin == "humaneval" and p.tests for p in humaneval)
    assert all(test.startswith("candidate = ") for p in humaneval for test in p.tests)
    assert sum(len(p.tests) for p in humaneval) > 1000  # ~7 assertions a problem, not 1 check()
    with Executor(workers=2, timeout=10.0) as executor:
        kept, dropped = validate_programs(humaneval, executor)
    assert not dropped, [(program.name, why) for program, why in dropped]
    assert len(kept) == 164


def test_split_is_deterministic_disjoint_and_by_program(humaneval: list[Program]) -> None:
    train, held_out = split_programs(humaneval, held_out_fraction=0.2, seed=0)
    assert (train, held_out) == split_programs(list(humaneval), 0.2, 0)
    train_names, held_out_names = {p.name for p in train}, {p.name for p in held_out}
    assert not train_names & held_out_names
    assert train_names | held_out_names == {p.name for p in humaneval}
    assert 0.1 < len(held_out) / len(humaneval) < 0.3
    assert split_programs(humaneval, 0.2, seed=1)[1] != held_out
    # A program's side depends on itself only: more data never moves a held-out program.
    _, held_out_of_half = split_programs(humaneval[::2], 0.2, 0)
    assert {p.name for p in held_out_of_half} <= held_out_names


def test_dedupe_ignores_comments_blank_lines_and_trailing_whitespace() -> None:
    plain = Program("a", "def f(x):\n    return x + 1\n", ("assert f(1) == 2",), "fixture")
    commented = Program(
        "b",
        "# header\ndef f(x):  # add one\n\n    return x + 1   \n\n",
        ("assert f(1) == 2",),
        "fixture",
    )
    different = Program("c", "def f(x):\n    return x + 2\n", (), "fixture")
    assert plain.source_hash == commented.source_hash != different.source_hash
    assert dedupe([plain, commented, different]) == [plain, different]
