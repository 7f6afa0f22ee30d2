"""`repair fix`: the repair loop of DESIGN.md, from paths to a verified patch.

1. Check the inputs (paths, UTF-8, syntax, the checkpoint) before anything runs.
2. Run the suite once under per-test coverage. All pass: nothing to fix. Collection errors: the
   suite is broken, which is reported, not repaired.
3. Start the validation workers; run the failing state once through them for the baseline.
4. Search (`repair.search`): each state expanded is localised (its own coverage run after the
   first), its suspicious regions ranked by the model (or the model-free prior) and
   suspiciousness (`repair.rank`, `repair.score`, `repair.prior`), candidates validated, partial
   states kept, rounds advanced.
5. A passing candidate is verified by a fresh pytest run under the user's configuration
   (`repair.patch`), reported as a unified diff, and written with `apply=True` only, and then
   only when the best passing patch is not doubtful (`repair.patch_choice`) or `apply_doubtful`.

Nothing here writes into the user's tree except `apply_patch_atomically`, at the very end.
"""

from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from repair.edits import EditKind
from repair.errors import BadInput, CheckpointError, TestSuiteBroken
from repair.localize import (
    RankedLine,
    formula_named,
    line_scores,
    line_suspiciousness,
    near_edits,
    rank_lines,
    scores_by_file,
)
from repair.patch import apply_patch_atomically, unified_diff, verify_patch
from repair.patch_choice import doubt, rank_patches
from repair.policy import SearchPolicy
from repair.project import check_paths_exist, find_project_root, list_source_files
from repair.rank import Candidate, FileView, import_signal, rank_candidates, suspicious_regions
from repair.search import Budget, Search, SearchOutcome, State, state_key, timed_out
from repair.shards import ShardPolicy, available_cores, shard_count
from repair.slow_tests import slow_tests
from repair.source import check_parses, function_regions, innermost_function, parse, tokens
from repair.test_literals import Literals, failing_literals
from repair.testrun import SLOW_FACTOR, SuiteRun, run_suite
from repair.time_limits import LimitPolicy, limits_from_run, slow_limits
from repair.validate import Request, Validation, Validator, merged

FIXED, NOTHING_TO_FIX, NOT_FOUND = "fixed", "nothing_to_fix", "not_found"
MIN_TEST_TIMEOUT = 0.5  # seconds a test may run while validating, however fast it was before
TEST_TIMEOUT_FACTOR = SLOW_FACTOR  # ... else this many times the slowest passing test
TIMEOUT_AFTER_TIMEOUT = 1.0  # first run: seconds a test may take once one has timed out (a loop)
MIN_CANDIDATE_TIMEOUT = 5.0  # seconds a candidate may take in all, at least
SUSPICIOUS_SHOWN = 10  # statements kept in `RepairResult.suspicious` (ties across the cut whole)


# Candidates validated at most. A bound on work beside the time budget: at the 25-50 candidates
# per second validation reaches on small projects, 500 (the earlier default) ended searches after
# 10-25 s of a 120 s budget (in the repair benchmark, 7 of 204 runs stopped there before 30 s).
MAX_CANDIDATES = 2000


@dataclass
class RepairConfig:
    timeout: float = 120.0  # seconds for the whole repair, final verification included
    # time.monotonic() the timeout counts from (None: the call to fix(); the command line: the
    # start of its process)
    started: float | None = None
    max_candidates: int = MAX_CANDIDATES  # candidate edits validated at most
    jobs: int = field(default_factory=available_cores)  # validation workers (one per core)
    seed: int = 0  # breaks ties between equally ranked candidates
    # checkpoints whose views are averaged; empty: the bundled pair (checkpoint.DEFAULT_MODEL_NAMES)
    model_paths: tuple[Path, ...] = ()
    use_model: bool = True  # False: the model-free baseline (repair.prior), same search
    formula: str = "tarantula"  # suspiciousness formula (repair.localize.FORMULAS)
    test_timeout: float = 5.0  # seconds one test may run in the first (coverage) run
    # rounds, beam, candidates per token, how they are ranked and when a round ends
    policy: SearchPolicy = field(default_factory=SearchPolicy)
    # each test's short time limit while candidates are validated (`repair.time_limits`)
    limits: LimitPolicy = field(default_factory=LimitPolicy)
    apply: bool = False  # write the verified patch into the user's files
    # with apply: write the best patch even when it is doubtful (`repair.patch_choice.doubt`);
    # without, a doubtful best patch is reported and left unwritten (`RepairResult.held_back`)
    apply_doubtful: bool = False
    # when the first test run is split over several children (`repair.shards`)
    shards: ShardPolicy = field(default_factory=ShardPolicy)


@dataclass(frozen=True)
class EditReport:
    path: str
    line: int
    kind: EditKind
    old: str
    new: str


@dataclass(frozen=True)
class PatchReport:
    """One verified passing patch and how `repair.patch_choice` scored it."""

    edits: list[EditReport]
    diff: str
    score: float
    share: float  # its score over the sum of every passing patch's
    probability: float  # the product of its edits' model probabilities
    size: int  # tokens changed
    removes: str  # what behaviour it removes, "" if none

    def to_json(self) -> dict:
        return {
            "edits": [edit.__dict__ for edit in self.edits],
            "diff": self.diff,
            "score": self.score,
            "share": round(self.share, 4),
            "probability": self.probability,
            "size": self.size,
            "removes": self.removes,
        }


@dataclass
class RepairResult:
    status: str  # FIXED, NOTHING_TO_FIX or NOT_FOUND
    root: Path
    edits: list[EditReport]
    diff: str  # unified diff of the fix ("" unless fixed)
    failing_before: list[str]
    passing_after: list[str]  # of failing_before, those passing after the edits
    still_failing: list[str]  # in the best state found (empty when fixed)
    candidates_tried: int
    test_runs: int  # pytest sessions: coverage runs, validations, verifications
    rounds: int
    seconds: float
    verified: bool  # a fresh pytest run under the user's configuration passed
    applied: bool
    model: str  # the checkpoints used (joined by " + "), or "none"
    stop_reason: str = ""
    validation_outcomes: dict[str, int] = field(default_factory=dict)  # how candidates ended
    # the statements most likely to hold the bug after the first run, as `repair localize` ranks
    # them (its default policy, not `RepairConfig.formula`): for reports such as SARIF
    suspicious: list[RankedLine] = field(default_factory=list)
    # fixed: path -> (bytes before, bytes after) of each file the fix changes, for exact reports
    changes: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    # the verified passing patches, best first (the first is the fix: `edits`, `diff`)
    patches: list[PatchReport] = field(default_factory=list)
    doubt: str = ""  # why the best patch is doubtful ("" if it is not; `repair.patch_choice`)
    held_back: bool = False  # asked to apply, not written: the best patch is doubtful
    # of failing_before, the tests that only timed out and pass when given longer: not the bug
    slow_tests: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.patches[0].score if self.patches else 0.0

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "root": str(self.root),
            "edits": [edit.__dict__ for edit in self.edits],
            "diff": self.diff,
            "failing_before": self.failing_before,
            "slow_tests": self.slow_tests,
            "passing_after": self.passing_after,
            "still_failing": self.still_failing,
            "candidates_tried": self.candidates_tried,
            "test_runs": self.test_runs,
            "rounds": self.rounds,
            "seconds": round(self.seconds, 3),
            "verified": self.verified,
            "applied": self.applied,
            "model": self.model,
            "stop_reason": self.stop_reason,
            "validation_outcomes": self.validation_outcomes,
            "score": self.score,
            "doubt": self.doubt,
            "held_back": self.held_back,
            "patches": [patch.to_json() for patch in self.patches],
        }


Progress = Callable[[str], None]


def fix(
    src_paths: Sequence[Path | str],
    test_paths: Sequence[Path | str],
    config: RepairConfig | None = None,
    progress: Progress | None = None,
) -> RepairResult:
    """Find, verify and (with `config.apply`) write a fix for the failing tests.

    Raises BadInput (missing path, no tests, non-UTF-8 or unparsable source), CheckpointError,
    TestSuiteBroken; KeyboardInterrupt leaves the user's files untouched.
    """
    config = config or RepairConfig()
    say = progress or (lambda message: None)
    started = time.monotonic() if config.started is None else config.started
    deadline = started + config.timeout
    src, tests = [Path(path) for path in src_paths], [Path(path) for path in test_paths]
    root, originals = _check_inputs(src, tests, config)
    relative_tests = [_relative(path, root) for path in tests]
    # The model loads (torch takes seconds to import) and the validation workers warm up while
    # the first test run goes on.
    model = _ModelLoader(config)
    with Validator(
        root, relative_tests, jobs=config.jobs, sources=list(originals), deadline=deadline
    ) as validator:
        say("running the test suite under coverage")
        shards = shard_count(tests, config.jobs, config.shards)  # the baseline splits as this
        run = run_suite(
            root,
            tests,
            src,
            per_test_timeout=config.test_timeout,
            total_timeout=max(1.0, deadline - time.monotonic()),
            timeout_after_timeout=min(config.test_timeout, TIMEOUT_AFTER_TIMEOUT),
            shards=shards,
        )
        if run.timed_out and not run.failed:  # not "all tests pass": some never ran
            return _out_of_time(root, started, "time budget spent in the first test run")
        loaded = model.result(deadline)
        if loaded is None:
            return _out_of_time(root, started, "time budget spent loading the model")
        scorer, model_name = loaded
        if run.collection_errors or not run.results:
            first = run.collection_errors[0] if run.collection_errors else "no test ran"
            raise TestSuiteBroken(f"the test suite does not run: {first}")
        failing_before = run.failed
        if not failing_before:
            return RepairResult(
                NOTHING_TO_FIX, root, [], "", [], [], [], 0, 1, 0,
                time.monotonic() - started, False, False, model_name, "all tests pass",
            )  # fmt: skip
        say(f"{len(failing_before)} of {len(run.results)} tests fail")
        suspicious = rank_lines(run, root, top=SUSPICIOUS_SHOWN)
        validator.per_test_timeout, validator.candidate_timeout = _validation_timeouts(run, config)
        validator.limits = limits_from_run(run, config.limits, validator.per_test_timeout)
        outcome, test_runs = _search(
            run, validator, root, src, tests, relative_tests, originals, scorer, config, deadline,
            say, shards,
        )  # fmt: skip
    result = _result(
        outcome, root, originals, failing_before, 1 + test_runs, started, model_name, config
    )
    result.suspicious = suspicious
    return result


def _check_inputs(
    src: list[Path], tests: list[Path], config: RepairConfig
) -> tuple[Path, dict[str, bytes]]:
    """The project root and its source files' bytes; BadInput / CheckpointError otherwise."""
    if not src:
        raise BadInput("no source paths given")
    if not tests:
        raise BadInput("no test paths given (--tests)")
    check_paths_exist([*src, *tests])
    formula_named(config.formula)
    for path in config.model_paths if config.use_model else ():
        if not Path(path).is_file():
            raise CheckpointError(f"{path}: checkpoint not found")
    root = find_project_root(src, tests)
    sources = list_source_files(src, root, exclude=tests)
    if not sources:
        raise BadInput(f"no Python source files under {', '.join(map(str, src))}")
    originals = {path: (root / path).read_bytes() for path in sources}
    for path, data in originals.items():
        check_parses(data, path)
    return root, originals


class _ModelLoader:
    """Loads the checkpoint in a background thread; `result()` waits and re-raises its error."""

    def __init__(self, config: RepairConfig):
        self.config = config
        self.value: tuple[Any, str] = (None, "none")
        self.error: BaseException | None = None
        self.thread = None
        if config.use_model:
            self.thread = threading.Thread(target=self._load, name="repair-model", daemon=True)
            self.thread.start()

    def _load(self) -> None:
        try:
            self.value = _load_scorer(self.config)
        except BaseException as error:  # noqa: BLE001 - handed to the caller by result()
            self.error = error

    def result(self, deadline: float = float("inf")) -> tuple[Any, str] | None:
        """The scorer and its name; None if it is still loading at `deadline` (the thread is
        a daemon: it ends with the process)."""
        if self.thread is not None:
            self.thread.join(max(0.0, min(deadline - time.monotonic(), 1e9)))
            if self.thread.is_alive():
                return None
        if self.error is not None:
            raise self.error
        return self.value


def _out_of_time(root: Path, started: float, reason: str) -> RepairResult:
    """The budget ran out before the search could start."""
    seconds = time.monotonic() - started
    return RepairResult(NOT_FOUND, root, [], "", [], [], [], 0, 1, 0, seconds, False, False,
                        "none", reason)  # fmt: skip


def _search(
    run: SuiteRun,
    validator: Validator,
    root: Path,
    src: list[Path],
    tests: list[Path],
    relative_tests: list[str],
    originals: dict[str, bytes],
    scorer,
    config: RepairConfig,
    deadline: float,
    say: Progress,
    shards: int,
) -> tuple[SearchOutcome, int]:
    """Run the beam search from the failing state; returns its outcome and the test runs."""
    per_test, per_candidate = validator.per_test_timeout, validator.candidate_timeout
    baseline = _baseline(validator, run, shards)
    failing = tuple(baseline.failed) or tuple(run.failed)
    slow = {}
    if validator.limits is not None:
        slow = slow_tests(validator, baseline, failing, config.limits, deadline)
    if slow:  # not targets; the spectrum counts them as passing
        failing = tuple(nodeid for nodeid in failing if nodeid not in slow)
        longest = config.limits.slow_timeout_factor * per_test
        validator.limits = slow_limits(validator.limits, slow, config.limits, per_test, longest)
        validator.candidate_timeout = per_candidate = per_candidate + sum(
            validator.limits.slow[nodeid] for nodeid in slow
        )
        run = _with_outcomes(run, failing, as_ran=True)
        say(f"{len(slow)} slow test(s) pass when given longer, not counted as failing: "
            + ", ".join(sorted(slow)))  # fmt: skip
    start = State(
        files={},
        edits=(),
        failing=failing,
        messages={nodeid: baseline.messages.get(nodeid, "") for nodeid in failing},
        timed_out=timed_out(baseline) - set(slow),
    )
    coverage_runs = 0
    literals = failing_literals(root, failing)
    runs = {state_key({}): run}  # each expanded state's coverage run
    # A ranking cannot be stopped halfway, and on a large file of a busy machine it takes
    # seconds (attrs' _make.py, no model, load 12: 6.6 s): it runs in a thread the search stops
    # waiting for at the deadline, and an expansion that could not end by then (less time left
    # than the longest ranking so far) is not started.
    ranking = {"seconds": 0.0, "skipped": False}

    def too_late() -> bool:
        if deadline - time.monotonic() > ranking["seconds"]:
            return False
        ranking["skipped"] = True
        return True

    def expand(state: State, iteration: int):
        nonlocal coverage_runs
        if too_late():
            return []
        state_run = run
        if state.files and not config.policy.fresh_coverage:  # the partial fix's outcomes
            state_run = _with_outcomes(run, state.failing)
        elif state.files:  # a partial fix: its own coverage and outcomes give its signals
            coverage_runs += 1
            parent = runs.get(state.parent_key)
            complete = parent is not None and not (parent.timed_out or parent.crashed)
            # Only the tests its last edit can change run again; the others ran the same code
            # in the state it came from.
            select = sorted(state.retest) if complete and state.retest is not None else None
            state_run = run_suite(
                root,
                tests,
                src,
                per_test_timeout=per_test,
                total_timeout=max(0.1, min(per_candidate * 2, deadline - time.monotonic())),
                files=state.files,
                select=select,
            )
            if select is not None:
                state_run = _merged(parent, state_run, frozenset(select))
            runs[state_key(state.files)] = state_run
        if too_late():
            return []
        # a partial fix ranked on the first run's coverage cannot say which tests its edits reach
        exact = not state.files or config.policy.fresh_coverage
        began = time.monotonic()
        ranked = _by_deadline(
            lambda: _ranked(
                state, state_run, originals, config, scorer, iteration, exact, literals
            ),
            deadline,
        )
        ranking["seconds"] = max(ranking["seconds"], time.monotonic() - began)
        if ranked is None:
            ranking["skipped"] = True
            return []
        return ranked

    def verify(state: State) -> bool:
        say("verifying the fix with a fresh pytest run")
        remaining = max(0.1, deadline - time.monotonic())
        return verify_patch(root, relative_tests, state.files, remaining).passed

    budget = Budget(
        deadline=deadline, max_candidates=config.max_candidates, jobs=max(1, config.jobs)
    )
    outcome = Search(start, originals, validator, expand, verify, budget, config.policy, say).run()
    if ranking["skipped"] and outcome.fixed is None:  # not "no candidates left"
        outcome.stop_reason = "time budget spent"
    outcome.slow = sorted(slow)
    return outcome, 1 + outcome.test_runs + coverage_runs


def _baseline(validator: Validator, run: SuiteRun, parts: int) -> Validation:
    """The failing tests, then the rest of the suite, through the validation workers (whose
    outcomes the search compares with). A suite whose first run was split is split here too:
    worker k runs every `parts`-th of the rest from the k-th, the first worker the failing
    tests before its share."""
    failing = tuple(run.failed)
    if parts <= 1 or run.timed_out:
        return validator.validate(Request({}, failing, rest=True, max_failures=None))
    targets = set(failing)
    rest = [result.nodeid for result in run.results if result.nodeid not in targets]
    requests = [
        Request({}, failing if k == 0 else (), only=frozenset(rest[k::parts]), max_failures=None)
        for k in range(parts)
    ]
    return merged(validator.validate_many(requests))


def _by_deadline(work: Callable[[], Any], deadline: float) -> Any:
    """`work()`, or None if `deadline` comes first: it runs on in a daemon thread, its result
    dropped (the command leaves through os._exit; a library caller's thread ends by itself)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            box["error"] = error

    thread = threading.Thread(target=run, name="repair-rank", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        return None
    if "error" in box:
        raise box["error"]
    return box["value"]


def _merged(parent: SuiteRun, part: SuiteRun, retest: frozenset[str]) -> SuiteRun:
    """`parent` with the results and coverage of the tests in `retest` taken from `part` (a run
    of those tests alone, on a state one edit away that only they can tell apart)."""
    again = {result.nodeid: result for result in part.results}
    results = [again.pop(r.nodeid, r) if r.nodeid in retest else r for r in parent.results]
    results += again.values()
    coverage: dict[str, dict[int, frozenset[str]]] = {}
    for path in parent.line_coverage.keys() | part.line_coverage.keys():
        before = parent.line_coverage.get(path, {})
        now = part.line_coverage.get(path, {})
        lines = {line: (before.get(line, frozenset()) - retest) | now.get(line, frozenset())
                 for line in before.keys() | now.keys()}  # fmt: skip
        coverage[path] = {line: ids for line, ids in lines.items() if ids}
    return SuiteRun(
        results=results,
        line_coverage=coverage,
        collection_errors=part.collection_errors,
        wall_time=part.wall_time,
        crashed=part.crashed,
        timed_out=part.timed_out,
    )


def _with_outcomes(run: SuiteRun, failing: Sequence[str], *, as_ran: bool = False) -> SuiteRun:
    """`run`'s coverage with other outcomes: the tests in `failing` failed (with `as_ran`, as
    they ran there, message included), the others passed."""
    failed = set(failing)
    results = [
        r
        if r.outcome == "skipped" or (as_ran and r.nodeid in failed)
        else replace(r, outcome="failed" if r.nodeid in failed else "passed", message="")
        for r in run.results
    ]
    return replace(run, results=results)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise BadInput(f"{path}: not inside the project root {root}") from None


def _load_scorer(config: RepairConfig):
    if not config.use_model:
        return None, "none"
    from repair.checkpoint import default_model_paths, load_checkpoint
    from repair.score import EnsembleScorer, ModelScorer

    paths = [Path(path) for path in config.model_paths] or list(default_model_paths())
    scorers = []
    for path in paths:
        if not path.is_file():
            raise CheckpointError(
                f"{path}: checkpoint not found (pass --model PATH, or --no-model for the baseline)"
            )
        checkpoint = load_checkpoint(path)
        scorers.append(ModelScorer(checkpoint.model, checkpoint.vocabulary))
    scorer = scorers[0] if len(scorers) == 1 else EnsembleScorer(scorers)
    return scorer, " + ".join(map(str, paths))


def _validation_timeouts(run: SuiteRun, config: RepairConfig) -> tuple[float, float]:
    slowest = max((r.duration for r in run.results if r.outcome == "passed"), default=0.0)
    per_test = min(config.test_timeout, max(MIN_TEST_TIMEOUT, TEST_TIMEOUT_FACTOR * slowest))
    timeouts = [r.duration for r in run.results if r.outcome == "timeout"]
    # a candidate that still loops runs each looping test to the validation's per-test limit
    per_candidate = max(
        MIN_CANDIDATE_TIMEOUT, 3 * (run.wall_time - sum(timeouts)) + per_test * len(timeouts)
    )
    return per_test, per_candidate


def _ranked(
    state: State,
    run: SuiteRun,
    originals,
    config: RepairConfig,
    scorer,
    iteration: int,
    tests: bool = False,
    literals: Literals = (),
):
    """Candidates for `state` (whose test run is `run`), best first; with `tests`, each knows
    the tests it can change (`run` must then be the state's own coverage run). `literals`: the
    failing tests' strings (`repair.test_literals`)."""
    spectrum = scores_by_file(line_scores(run, config.formula))
    scores = near_edits(
        _localization_scores(state, run, originals, config, spectrum),
        [(edit.path, edit.line) for edit in state.edits],
        config.policy.near_edit_lines,
        config.policy.near_edit_factor,
    )
    views = {}
    for path in scores:
        if path not in originals:
            continue
        source = state.files.get(path, originals[path])
        tree = parse(source)
        if tree.root_node.has_error:  # edits keep code parsable; never rank a file that is not
            continue
        views[path] = FileView(source, tree, tokens(source, tree))
    # the failing tests' strings may be missing from a table in any file (`repair.rank`)
    for path in (p for p in originals if p not in scores) if literals else ():
        view = _table_view(state.files.get(path, originals[path]))
        if view is not None:
            views[path] = view
    at_import = import_signal(config.formula, len(run.failed), len(run.passed))
    regions, signals = suspicious_regions(
        views,
        scores,
        import_signal=at_import,
        policy=config.policy,
        tables_everywhere=bool(literals),
    )
    model_signals = None
    if scores is not spectrum:  # the model reads the signal it was trained with
        model_signals = suspicious_regions(
            views, spectrum, import_signal=at_import, policy=config.policy
        )[1]
    ranked = rank_candidates(
        views,
        regions,
        signals,
        scorer=scorer,
        iteration=iteration,
        seed=config.seed,
        policy=config.policy,
        model_signals=model_signals,
        literals=literals,
    )
    return _with_tests(ranked, run, views) if tests else ranked


@lru_cache(maxsize=1024)
def _table_view(source: bytes) -> FileView | None:
    """A file no failing test ran, parsed for its tables only (no tokens): most keep their
    bytes in every state of a search, so each is parsed once, not once per ranking."""
    tree = parse(source)
    return None if tree.root_node.has_error else FileView(source, tree, [])


def _localization_scores(state, run, originals, config, spectrum):
    """Per file, per line: the suspiciousness that picks regions and weighs candidates
    (`SearchPolicy.localization`): `spectrum` itself, or `repair localize`'s combined scores."""
    if config.policy.localization == "spectrum":
        return spectrum
    if config.policy.localization != "combined":
        raise BadInput(f"localization {config.policy.localization!r}: spectrum or combined")
    sources = {path: state.files.get(path, data) for path, data in originals.items()}
    return scores_by_file(line_suspiciousness(run, sources))


def _with_tests(ranked: list[Candidate], run: SuiteRun, views: dict[str, FileView]):
    """Each candidate with the tests whose outcome its edit can change: a test that passed
    without running the edited function runs the same code after the edit. Those are the tests
    that ran any line of the innermost function around the edit, and every test that did not
    pass (its coverage may stop early). An edit outside functions (run at import) can change
    every test, as can any edit when the run did not finish. The final verification runs the
    whole suite either way."""
    if run.timed_out or run.crashed:
        return ranked
    unsure = frozenset(r.nodeid for r in run.results if r.outcome != "passed")
    spans = {path: function_regions(view.tree) for path, view in views.items()}
    found: dict[tuple[str, int, int], frozenset[str]] = {}
    result = []
    for candidate in ranked:
        inner = innermost_function(spans.get(candidate.path, ()), candidate.line)
        if inner is None:
            result.append(candidate)
            continue
        key = (candidate.path, inner[2], inner[3])
        if key not in found:
            lines = run.line_coverage.get(candidate.path, {})
            ran = set(unsure)
            for line in range(inner[2], inner[3] + 1):
                ran.update(lines.get(line, ()))
            found[key] = frozenset(ran)
        result.append(replace(candidate, tests=found[key]))
    return result


def _line_changed(original: bytes, final: bytes | None, line: int) -> bool:
    if final is None:
        return False
    before, after = original.splitlines(), final.splitlines()
    return line > len(before) or line > len(after) or before[line - 1] != after[line - 1]


def _result(
    outcome: SearchOutcome,
    root: Path,
    originals: dict[str, bytes],
    failing_before: list[str],
    test_runs: int,
    started: float,
    model_name: str,
    config: RepairConfig,
) -> RepairResult:
    choices = rank_patches(outcome.passing, originals, config.policy)
    patches = [
        PatchReport(
            _edit_reports(choice.state, originals),
            unified_diff(originals, choice.state.files),
            choice.score,
            choice.share,
            choice.probability,
            choice.size,
            choice.removes,
        )
        for choice in choices
    ]
    if choices:  # the best passing patch, not the first found
        outcome.fixed = choices[0].state
    state = outcome.fixed or outcome.best
    edits = _edit_reports(state, originals)
    still_failing = list(state.failing)
    passing_after = [test for test in failing_before if test not in set(still_failing)]
    fixed = outcome.fixed is not None
    diff = unified_diff(originals, state.files) if fixed else ""
    changes = {path: (originals[path], data) for path, data in sorted(state.files.items())
               if fixed and data != originals[path]}  # fmt: skip
    doubtful = doubt(choices, config.policy)
    held_back = fixed and config.apply and bool(doubtful) and not config.apply_doubtful
    applied = False
    if fixed and config.apply and state.files and not held_back:
        apply_patch_atomically(root, state.files, originals)
        applied = True
    return RepairResult(
        status=FIXED if fixed else NOT_FOUND,
        root=root,
        edits=edits,
        diff=diff,
        failing_before=failing_before,
        passing_after=passing_after,
        still_failing=[] if fixed else still_failing,
        candidates_tried=outcome.candidates_tried,
        test_runs=test_runs,
        rounds=outcome.rounds,
        seconds=time.monotonic() - started,
        verified=fixed,
        applied=applied,
        model=model_name,
        stop_reason=outcome.stop_reason,
        validation_outcomes=dict(sorted(outcome.outcomes.items())),
        slow_tests=list(outcome.slow),
        changes=changes,
        patches=patches,
        doubt=doubtful,
        held_back=held_back,
    )


def _edit_reports(state: State, originals: dict[str, bytes]) -> list[EditReport]:
    return [
        EditReport(e.path, e.line, e.kind, e.old, e.new)
        for e in state.edits
        if _line_changed(originals[e.path], state.files.get(e.path), e.line)
    ]  # a later edit may have undone an earlier one


class _CallableModule(types.ModuleType):
    """Importing `repair.fix` sets the package attribute `repair.fix` to this module, which then
    shadows the function of the same name: calling the module calls the function, so
    `from repair import fix; fix(...)` works whichever of the two it finds."""

    def __call__(self, *args: Any, **kwargs: Any) -> RepairResult:
        return fix(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
