"""Fault localization: how suspicious each statement is, from one run of the tests.

The unit is the statement (`repair.statements`): a statement over several lines is scored once and
shown at its first line. Its score combines a spectrum formula (`repair.formulas`: Tarantula,
Ochiai, DStar over the tests that ran it), the tracebacks of failing tests that raised inside the
source (`repair.evidence`), and the statements run at import that take their readers' evidence
(`repair.combine`, weights fit on development data). Tied statements share a rank.

`line_scores` is the plain formula per line (the test signal the models were trained with);
`line_suspiciousness` is the combined statement score spread over each statement's lines, in the
same shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from repair.combine import (
    DEFAULT_POLICY,
    LocalizePolicy,
    parsed_sources,
    spread_to_lines,
    suspiciousness,
    tied_ranks,
)
from repair.errors import TestSuiteBroken
from repair.formulas import (  # noqa: F401 - re-exported: the formulas' long-standing home
    DSTAR_EXPONENT,
    DSTAR_UNBOUNDED_FACTOR,
    FORMULAS,
    Formula,
    covered_by_failing,
    dstar,
    formula_named,
    ochiai,
    tarantula,
)
from repair.project import check_paths_exist, find_project_root
from repair.shards import ShardPolicy, available_cores, shard_count
from repair.source import Token
from repair.testrun import SuiteRun, run_suite


@dataclass(frozen=True)
class RankedLine:
    path: str  # relative to the project root, POSIX separators
    line: int  # 1-based: the statement's first line
    score: float
    text: str  # the line's source, stripped
    rank: int = 0  # 1-based; tied statements share the rank of the tie's first place
    last: int = 0  # the statement's last line (a compound statement's: its header's)


@dataclass(frozen=True)
class Localization:
    root: Path  # the project root that paths are relative to
    run: SuiteRun
    ranked: list[RankedLine]  # most suspicious first; empty when no test fails
    policy: LocalizePolicy = DEFAULT_POLICY  # how the evidence was weighed


def line_scores(run: SuiteRun, formula: str = "tarantula") -> dict[tuple[str, int], float]:
    """The plain formula's score of every covered line, keyed by (path, line): the test signal
    the bundled models were trained with. Localization ranks `line_suspiciousness`."""
    score = formula_named(formula)
    failed, passed = set(run.failed), set(run.passed)
    total_failed, total_passed = len(failed), len(passed)
    return {
        (path, line): score(
            len(nodeids & failed), len(nodeids & passed), total_failed, total_passed
        )
        for path, lines in run.line_coverage.items()
        for line, nodeids in lines.items()
    }


def scores_by_file(scores: Mapping[tuple[str, int], float]) -> dict[str, dict[int, float]]:
    """{path: {line: score}}, the shape `token_scores` takes one file of."""
    by_file: dict[str, dict[int, float]] = {}
    for (path, line), score in scores.items():
        by_file.setdefault(path, {})[line] = score
    return by_file


def near_edits(
    scores: Mapping[str, Mapping[int, float]],
    edits: Sequence[tuple[str, int]],
    lines: int,
    factor: float,
) -> Mapping[str, Mapping[int, float]]:
    """`scores` with every line a test ran within `lines` of an earlier edit of the same file
    (`edits`: (path, line)) weighed `factor` times: a partial fix's other half is most often
    beside it (real fixes are mostly one hunk). `scores` itself when there is nothing to weigh."""
    if not edits or lines < 0 or factor == 1.0:
        return scores
    near: dict[str, set[int]] = {}
    for path, line in edits:
        near.setdefault(path, set()).update(range(line - lines, line + lines + 1))
    return {
        path: {
            line: score * factor if line in near.get(path, ()) else score
            for line, score in by_line.items()
        }
        for path, by_line in scores.items()
    }


def token_scores(tokens: Sequence[Token], scores_for_file: Mapping[int, float]) -> list[float]:
    """Each token's test signal: the score of the line it starts on, 0 for lines no test ran."""
    return [scores_for_file.get(token.line, 0.0) for token in tokens]


def read_sources(run: SuiteRun, root: Path) -> dict[str, bytes]:
    """The text of every source file the run measured or a traceback named."""
    paths = set(run.line_coverage) | {f.path for r in run.results for f in r.frames}
    sources = {}
    for path in sorted(paths):
        try:
            sources[path] = (Path(root) / path).read_bytes()
        except OSError:
            continue  # scored line by line
    return sources


def policy_for(formula: str | None, policy: LocalizePolicy | None = None) -> LocalizePolicy:
    """The policy with `formula` (when given) in place of its own."""
    policy = policy or DEFAULT_POLICY
    if formula is not None:
        formula_named(formula)  # BadInput for an unknown name
        policy = replace(policy, formula=formula)
    return policy


def line_suspiciousness(
    run: SuiteRun,
    sources: Mapping[str, bytes],
    formula: str | None = None,
    *,
    policy: LocalizePolicy | None = None,
) -> dict[tuple[str, int], float]:
    """The combined statement scores on every line of each statement, keyed by (path, line):
    `line_scores`' shape, for the repair loop (`sources`: path -> text of the run's files)."""
    prepared = parsed_sources(sources)
    scores = suspiciousness(run, sources, policy_for(formula, policy), prepared=prepared)
    return spread_to_lines(scores, prepared.maps)


def rank_lines(
    run: SuiteRun,
    root: Path,
    formula: str | None = None,
    top: int | None = 10,
    *,
    policy: LocalizePolicy | None = None,
) -> list[RankedLine]:
    """Statements with a positive score, most suspicious first, each with its rank (tied
    statements share one). `formula` replaces the policy's; `top=None` keeps them all, and a
    tie across the cut is kept whole.
    """
    sources = read_sources(run, root)
    prepared = parsed_sources(sources)
    maps = prepared.maps
    scores = suspiciousness(run, sources, policy_for(formula, policy), prepared=prepared)
    ranked = []
    texts: dict[str, list[str]] = {}
    for (path, line), score, rank, _ in tied_ranks(scores):
        if top is not None and rank > top:
            break
        if path not in texts:
            texts[path] = sources.get(path, b"").decode("utf-8", errors="replace").splitlines()
        lines = texts[path]
        text = lines[line - 1].strip() if line <= len(lines) else ""
        unit = maps[path].starting_at(line) if path in maps else None
        last = unit.last if unit is not None else line
        ranked.append(RankedLine(path, line, score, text, rank, last))
    return ranked


def localize(
    src_paths: Sequence[Path],
    test_paths: Sequence[Path],
    formula: str | None = None,
    top: int | None = 10,
    *,
    per_test_timeout: float = 10.0,
    total_timeout: float = 300.0,
    policy: LocalizePolicy | None = None,
) -> Localization:
    """Run the tests once and rank the source statements by suspiciousness (`formula`, when
    given, replaces the policy's spectrum formula).

    Raises BadInput (missing path, unknown formula), NoTestsFound, or TestSuiteBroken when no
    test produced a result (every test file failed to import, or the interpreter crashed first).
    Collection errors next to tests that did run are kept in `run.collection_errors`.
    """
    policy = policy_for(formula, policy)
    check_paths_exist([*src_paths, *test_paths])
    root = find_project_root(src_paths, test_paths)
    run = run_suite(
        root,
        test_paths,
        src_paths,
        per_test_timeout=per_test_timeout,
        total_timeout=total_timeout,
        shards=shard_count(test_paths, available_cores(), ShardPolicy()),
    )
    if not run.results:
        if run.collection_errors:
            raise TestSuiteBroken(run.collection_errors[0])
        raise TestSuiteBroken("no test finished before the overall timeout")
    ranked = rank_lines(run, root, top=top, policy=policy)
    return Localization(root=root, run=run, ranked=ranked, policy=policy)
