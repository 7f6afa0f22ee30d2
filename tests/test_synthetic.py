"""Synthetic programs: deterministic, distinct, valid, passing on the clean source, fast, and with
tests that notice a corrupted operator."""

from __future__ import annotations

import ast
import subprocess
import sys
import time

import pytest

from repair.executor import Executor
from repair.source import check_parses
from training.synthetic import TEMPLATES, mutation_score, synthetic_programs

SAMPLE = 400  # enough that every template shows up


@pytest.fixture(scope="module")
def programs():
    return synthetic_programs(SAMPLE, seed=7)


def passing(source: str, tests: tuple[str, ...]) -> list[bool]:
    namespace: dict[str, object] = {}
    exec(compile(source, "<program>", "exec"), namespace)
    outcomes = []
    for test in tests:
        try:
            exec(compile(test, "<test>", "exec"), namespace)
            outcomes.append(True)
        except Exception:
            outcomes.append(False)
    return outcomes


def test_same_seed_same_programs():
    first = synthetic_programs(40, seed=3)
    assert first == synthetic_programs(40, seed=3)
    assert first != synthetic_programs(40, seed=4)
    assert synthetic_programs(10, seed=3) == first[:10]  # a larger count only appends


def test_programs_do_not_depend_on_string_hashing():
    script = (
        "import hashlib; from training.synthetic import synthetic_programs; "
        "print(hashlib.sha256(repr(synthetic_programs(60, seed=5)).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1


def test_count_honoured_names_and_sources_unique(programs):
    assert len(programs) == SAMPLE
    assert len({program.name for program in programs}) == SAMPLE
    assert len({program.source_hash for program in programs}) == SAMPLE
    assert {program.origin for program in programs} == {"synthetic"}
    assert synthetic_programs(0) == []
    assert len(synthetic_programs(3, seed=1)) == 3


def test_every_template_is_used(programs):
    used = {name for program in programs for name in program.name.split("/")[-1].split("+")}
    assert used == set(TEMPLATES)
    assert len(TEMPLATES) >= 40


def test_programs_parse_and_pass_their_tests(programs):
    for program in programs:
        tree = ast.parse(program.source)
        check_parses(program.source.encode())
        functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert 1 <= len(functions) <= 3, program.name
        assert 4 <= len(program.tests) <= 8, program.name
        for test in program.tests:
            assert test.startswith("assert ") and ast.parse(test), test
        assert all(passing(program.source, program.tests)), program.name


def test_programs_are_fast(programs):
    slowest = 0.0
    for program in programs:
        best = float("inf")
        for _ in range(3):  # best of three: the machine may be busy with other tests
            start = time.perf_counter()
            passing(program.source, program.tests)
            best = min(best, time.perf_counter() - start)
        slowest = max(slowest, best)
    assert slowest < 0.02  # the target is 5 ms; measured ~2.5 ms at most


# One swap per operator: enough to change the meaning, never to break the syntax.
SWAPS: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.And: ast.Or, ast.Or: ast.And,
}  # fmt: skip


def operator_swaps(source: str) -> list[str]:
    """Each mutant swaps one binary, comparison, boolean or augmented-assignment operator."""

    def sites(tree: ast.AST) -> list[tuple[ast.AST, int | None]]:
        found: list[tuple[ast.AST, int | None]] = []
        for node in ast.walk(tree):
            if isinstance(node, (ast.BinOp, ast.AugAssign, ast.BoolOp)):
                found.append((node, None))
            elif isinstance(node, ast.Compare):
                found += [(node, position) for position in range(len(node.ops))]
        return found

    mutants = []
    for index in range(len(sites(ast.parse(source)))):
        tree = ast.parse(source)
        node, position = sites(tree)[index]
        if position is None:
            node.op = SWAPS[type(node.op)]()  # type: ignore[attr-defined]
        else:
            node.ops[position] = SWAPS[type(node.ops[position])]()  # type: ignore[attr-defined]
        mutants.append(ast.unparse(tree))
    return mutants


def test_operator_swaps_fail_some_test(programs):
    assert operator_swaps("x = a + b < c and d") == [
        "x = a + b < c or d",
        "x = a + b <= c and d",
        "x = a - b < c and d",
    ]
    sample = programs[::20]  # 20 programs
    with Executor(workers=2, timeout=0.25) as executor:
        killed, total = mutation_score(sample, mutants=operator_swaps, executor=executor)
    assert total > 100
    assert killed / total >= 0.5, f"{killed}/{total}"


def test_single_token_corruptions_fail_some_test(programs):
    # The corruptions training makes (any editable token, same class): the default mutants.
    sample = [min(programs[:20], key=lambda program: len(program.source))]
    with Executor(workers=2, timeout=0.25) as executor:
        killed, total = mutation_score(sample, executor=executor)
    assert total > 20
    assert killed / total >= 0.5, f"{killed}/{total}"
