"""The `repair` command line: options and presentation only; the work is in the library.

Each command checks its inputs, calls one library function, and turns a `RepairError` into one
line on stderr and its exit code (`repair.exit_codes`). Any other exception is a bug in repair:
one line naming it and exit code 70 (`--debug`: the traceback too).
"""

import functools
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from repair.errors import BadInput, RepairError, internal_error_message
from repair.exit_codes import ExitCode
from repair.fix import MAX_CANDIDATES
from repair.interrupts import interrupted_by_signals
from repair.localize import FORMULAS, Localization, localize
from repair.policy import SearchPolicy, with_settings
from repair.progress_line import progress_display

app = typer.Typer(
    help="Fix Python code from its failing tests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FormulaName = Enum("FormulaName", {name: name for name in FORMULAS}, type=str)


@app.callback()
def main() -> None:
    """Fix Python code from its failing tests."""


# time.monotonic() at which this process started, when it is the `repair` command (`entry`):
# `repair fix --timeout` counts from there. None when the app is called in a running process.
_process_started: float | None = None
# At most this much of the process's age counts: the interpreter's start and the imports before
# `entry` take a few seconds, while a process that a shell `exec`s into (`bash -c 'pip install
# ... && repair fix ...'` execs its last command) keeps the shell's start time, and the whole
# script's minutes would otherwise be taken from the budget.
PRE_ENTRY_SECONDS = 10.0


def entry() -> None:
    """The `repair` command (and `python -m repair`). `repair fix --timeout` counts from the
    process's start, the interpreter and the imports included; after `repair fix` the process
    leaves through `os._exit` once its output is flushed: the interpreter's teardown of a loaded
    torch took ~2.5 s on a busy 2-core machine (past the --timeout wall), and a model still
    loading when the budget ran out would abort it ("terminate called without an active
    exception"); by then every file is written and every child and temporary folder is gone."""
    global _process_started
    _process_started = time.monotonic() - min(process_age(), PRE_ENTRY_SECONDS)
    try:
        app(prog_name="repair")
        code = 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)
            code = 1
    if sys.argv[1:2] != ["fix"]:
        raise SystemExit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def process_age() -> float:
    """Seconds since this process started (Linux: /proc; elsewhere 0): `repair fix --timeout`
    counts from there, the interpreter's start and the imports included."""
    try:
        with open("/proc/self/stat", "rb") as file:
            data = file.read()
        ticks = int(data[data.rindex(b")") + 2 :].split()[19])  # field 22: start time
        since_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
        return max(0.0, since_boot - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


def fail(error: RepairError) -> typer.Exit:
    typer.echo(f"repair: error: {error}", err=True)
    return typer.Exit(code=int(error.exit_code))


DEBUG_HELP = "Show the traceback of an internal error (exit code 70 either way)."
SARIF_HELP = (
    "Also write the result as a SARIF 2.1.0 log to this file (for code scanning; paths relative "
    "to the working directory)."
)


def check_writable(path: Path | None) -> None:
    """BadInput now, not after the run, for a --sarif path that cannot be written."""
    if path is None:
        return
    if path.is_dir():
        raise fail(BadInput(f"--sarif {path}: is a directory"))
    folder = path.parent.resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise fail(BadInput(f"--sarif {path}: cannot write in {folder}"))


def write_sarif(log: dict, path: Path) -> None:
    from repair.sarif import write_log

    try:
        write_log(log, path)
    except OSError as error:
        raise fail(BadInput(f"--sarif {path}: {error.strerror or error}")) from None


def reports_internal_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Run `command`; an exception that is not its own exit (domain errors are turned into
    theirs inside) prints one line, or with `--debug` its traceback, and exits 70."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as error:  # noqa: BLE001 - anything else is a bug in repair
            if kwargs.get("debug"):
                traceback.print_exc()
            else:
                typer.echo(internal_error_message(error), err=True)
            raise typer.Exit(code=int(ExitCode.INTERNAL_ERROR)) from None

    return guarded


@app.command("localize")
@reports_internal_errors
def localize_command(
    src: list[Path] = typer.Argument(..., help="Source files or directories to rank."),
    tests: list[Path] = typer.Option(..., "--tests", help="Test file or directory (repeatable)."),
    formula: FormulaName = typer.Option(
        None,
        help="Spectrum formula (default: the localization policy's, ochiai, combined with "
        "traceback and text evidence).",
    ),
    top: int = typer.Option(10, min=1, help="How many statements to show (ties kept whole)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    timeout: float = typer.Option(10.0, min=0.1, help="Seconds one test may run."),
    total_timeout: float = typer.Option(300.0, min=1.0, help="Seconds the whole suite may run."),
    sarif: Path = typer.Option(None, "--sarif", metavar="FILE", help=SARIF_HELP),
    debug: bool = typer.Option(False, "--debug", help=DEBUG_HELP),
) -> None:
    """Run the tests once under coverage and rank the lines most likely to hold the bug."""
    check_writable(sarif)
    try:
        with interrupted_by_signals():
            result = localize(
                src,
                tests,
                formula=formula.value if formula is not None else None,
                top=top,
                per_test_timeout=timeout,
                total_timeout=total_timeout,
            )
    except RepairError as error:
        raise fail(error) from None
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP: the test processes are gone
        typer.echo("repair: interrupted; nothing was changed", err=True)
        raise typer.Exit(code=int(ExitCode.INTERRUPTED)) from None
    for problem in result.run.collection_errors:
        typer.echo(f"repair: warning: {problem}", err=True)
    if as_json:
        typer.echo(json.dumps(_localization_json(result), indent=2))
    elif not result.run.failed:
        skipped = len(result.run.results) - len(result.run.passed)
        note = f" ({skipped} skipped)" if skipped else ""
        typer.echo(f"all {len(result.run.passed)} tests pass{note}: nothing to localize")
    else:
        _print_localization(result)
    if sarif is not None:
        from repair.sarif import localization_log

        write_sarif(localization_log(result), sarif)


def _print_localization(result: Localization) -> None:
    run = result.run
    failed = set(run.failed)
    typer.echo(f"{len(failed)} of {len(run.results)} tests fail:")
    for test in run.results:
        if test.nodeid in failed:
            summary = test.message.splitlines()[0] if test.message else ""
            typer.echo(f"  {test.outcome:<7}  {test.nodeid}  {summary}")
    if run.timed_out:
        typer.echo("  (the overall timeout stopped the run early)")
    typer.echo("")
    typer.echo(f"{'rank':>4}  {'score':>7}  location")
    for line in result.ranked:
        location = f"{line.path}:{line.line}"
        typer.echo(f"{line.rank:>4}  {line.score:>7.3f}  {location:<30}  {line.text}")


def _localization_json(result: Localization) -> dict:
    run = result.run
    return {
        "root": str(result.root),
        "formula": result.policy.formula,
        "policy": result.policy.key(),
        "tests": [
            {"nodeid": t.nodeid, "outcome": t.outcome, "duration": t.duration, "message": t.message}
            for t in run.results
        ],
        "failed": run.failed,
        "collection_errors": run.collection_errors,
        "crashed": run.crashed,
        "timed_out": run.timed_out,
        "ranked": [
            {
                "rank": line.rank,
                "path": line.path,
                "line": line.line,
                "last": line.last,
                "score": line.score,
                "text": line.text,
            }
            for line in result.ranked
        ],
    }


@app.command("train")
@reports_internal_errors
def train_command(
    experiment: str = typer.Option(
        "default",
        help="exp1, exp2, exp3, exp3b, exp3c, exp3d, exp4 or default (the research log); "
        "realcode, realcode_structural or realcode_mixed (real code: a data folder from "
        "`python -m training.realdata`, a GPU).",
    ),
    out: Path = typer.Option(None, help="Output folder (default runs/<experiment>)."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    init: Path = typer.Option(None, help="Checkpoint to start from (exp2 fine-tunes exp1's best)."),
    set_: list[str] = typer.Option(
        [], "--set", help="Override a setting: --set epochs=5 (repeatable)."
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Go on from where a stopped run in the output folder left off (same settings; "
        "device, workers, epochs and max_minutes may change).",
    ),
    debug: bool = typer.Option(False, "--debug", help=DEBUG_HELP),
) -> None:
    """Reproduce one of the research log's experiments, or train the bundled model."""
    from training.config import apply_overrides, preset
    from training.train import train

    try:
        config = apply_overrides(preset(experiment), [f"device={device}", *set_])
        if init is not None:
            config = apply_overrides(config, [f"init={init}"])
        if resume:
            config = apply_overrides(config, ["resume=true"])
        if config.init and not Path(config.init).is_file():
            raise BadInput(
                f"{config.init}: starting checkpoint not found (run from the repository root, "
                "train the run it starts from, or pass --init)"
            )
        if config.real_data and not (Path(config.real_data) / "manifest.json").is_file():
            raise BadInput(
                f"{config.real_data}: no real-code data folder here (make it with "
                "`python -m training.realdata --git-root DIR --out DIR`, or --set real_data=DIR)"
            )
    except ValueError as error:
        raise fail(BadInput(str(error))) from None
    except RepairError as error:
        raise fail(error) from None
    folder = out or Path("runs") / experiment
    try:
        summary = train(config, folder, progress=lambda line: typer.echo(line, err=True))
    except RepairError as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        typer.echo("repair: interrupted; checkpoints written so far are complete", err=True)
        raise typer.Exit(code=int(ExitCode.INTERRUPTED)) from None
    if summary.get("rank", 0) == 0:  # under torchrun only rank 0 reports
        typer.echo(f"best epoch {summary['best_epoch']}, checkpoint {folder / 'best.pt'}")


@app.command("evaluate")
@reports_internal_errors
def evaluate_command(
    checkpoint: Path = typer.Argument(
        None, help="Checkpoint (default: models/default.pt, the bundled Exp 4 model)."
    ),
    levels: str = typer.Option("0.2,0.5,0.75", help="Corruption levels, comma-separated."),
    iterations: int = typer.Option(5, min=1, help="Rounds of predict → apply → run tests."),
    per_program: int = typer.Option(3, min=1, help="Corruptions per held-out program and level."),
    seed: int = typer.Option(0, help="Fixes the corruptions, so tables are comparable."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    workers: int = typer.Option(0, min=0, help="Test-running processes (0: one per spare core)."),
    first_step_feedback: bool = typer.Option(
        None,
        "--first-step-feedback/--no-first-step-feedback",
        help="Give a feedback-guided model its test feedback in the one-shot pass too (default: "
        "as the checkpoint was trained; Exp 3 the log's way is --no-first-step-feedback).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    debug: bool = typer.Option(False, "--debug", help=DEBUG_HELP),
) -> None:
    """One-shot and iterative accuracy on the held-out split, with a trivial baseline row."""
    from repair.checkpoint import default_model_path
    from training.evaluate import evaluate_checkpoint

    try:
        parsed = tuple(float(part) for part in levels.split(",") if part.strip())
    except ValueError:
        raise fail(BadInput(f"--levels {levels!r}: expected numbers like 0.2,0.5")) from None
    path = checkpoint or default_model_path()
    try:
        result = evaluate_checkpoint(
            str(path),
            workers=workers,
            levels=parsed,
            iterations=iterations,
            per_program=per_program,
            seed=seed,
            device=device,
            first_step_feedback=first_step_feedback,
        )
    except RepairError as error:
        raise fail(error) from None
    if as_json:
        result.pop("text")
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(result["text"])


@app.command("fix")
@reports_internal_errors
def fix_command(
    src: list[Path] = typer.Argument(..., help="Source files or directories to repair."),
    tests: list[Path] = typer.Option(..., "--tests", help="Test file or directory (repeatable)."),
    apply: bool = typer.Option(
        False,
        "--apply",
        help="Write the verified fix into the files, unless the best patch is doubtful "
        "(then it is printed, not written, and the exit code is 5).",
    ),
    apply_doubtful: bool = typer.Option(
        False, "--apply-doubtful", help="Write the best verified patch even when it is doubtful."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    timeout: float = typer.Option(120.0, min=1.0, help="Seconds for the whole repair."),
    max_candidates: int = typer.Option(
        MAX_CANDIDATES, min=1, help="Candidate edits validated at most."
    ),
    rounds: int = typer.Option(4, min=1, help="Refinement rounds (edits built on partial fixes)."),
    beam: int = typer.Option(4, min=1, help="Partial fixes kept per round."),
    jobs: int = typer.Option(0, min=0, help="Validation workers (0: one per core)."),
    seed: int = typer.Option(0, help="Breaks ties between equally ranked candidates."),
    model: list[Path] = typer.Option(
        None,
        "--model",
        metavar="PATH",
        help="Checkpoint; repeat it to average several models (default: the bundled pair).",
    ),
    no_model: bool = typer.Option(
        False,
        "--no-model",
        help="The model-free baseline: token frequencies in place of the model.",
    ),
    formula: FormulaName = typer.Option(FormulaName("tarantula"), help="Suspiciousness formula."),
    test_timeout: float = typer.Option(
        5.0,
        min=0.1,
        help="Seconds one test may run. A test that only times out while others fail outright "
        "runs once more with 4x as long; if it passes it is slow, not failing.",
    ),
    set_: list[str] = typer.Option(
        [],
        "--set",
        metavar="NAME=VALUE",
        help="Set a field of the search policy (repair/policy.py): --set max_options=20.",
    ),
    sarif: Path = typer.Option(None, "--sarif", metavar="FILE", help=SARIF_HELP),
    debug: bool = typer.Option(False, "--debug", help=DEBUG_HELP),
) -> None:
    """Find a fix that makes the failing tests pass, verify it, print it as a diff.

    Progress goes to stderr: one live line on a terminal, plain lines otherwise (and in CI)."""
    from repair.fix import FIXED, NOTHING_TO_FIX, RepairConfig, fix

    started = time.monotonic() if _process_started is None else _process_started
    deadline = started + timeout
    check_writable(sarif)
    try:
        policy = with_settings(SearchPolicy(rounds=rounds, beam=beam), set_)
    except (ValueError, TypeError) as error:
        raise fail(BadInput(f"--set: {error}")) from None
    config = RepairConfig(
        timeout=timeout,
        started=started,
        max_candidates=max_candidates,
        policy=policy,
        seed=seed,
        model_paths=tuple(model or ()),
        use_model=not no_model,
        formula=formula.value,
        test_timeout=test_timeout,
        apply=apply or apply_doubtful,
        apply_doubtful=apply_doubtful,
    )
    if jobs:
        config.jobs = jobs
    try:
        with interrupted_by_signals(), progress_display(sys.stderr, deadline) as progress:
            result = fix(src, tests, config, progress=progress)
    except RepairError as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        typer.echo("repair: interrupted; your files are untouched", err=True)
        raise typer.Exit(code=int(ExitCode.INTERRUPTED)) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        _print_repair(result)
    if sarif is not None:
        from repair.sarif import repair_log

        write_sarif(repair_log(result), sarif)
    if result.held_back:
        raise typer.Exit(code=int(ExitCode.HELD_BACK))
    if result.status == FIXED:
        raise typer.Exit(code=int(ExitCode.FIXED))
    if result.status == NOTHING_TO_FIX:
        raise typer.Exit(code=int(ExitCode.NOTHING_TO_FIX))
    raise typer.Exit(code=int(ExitCode.NO_FIX_FOUND))


def _print_repair(result) -> None:
    cost = (
        f"{result.candidates_tried} candidates tried, {result.test_runs} test runs, "
        f"{result.rounds} round{'s' if result.rounds != 1 else ''}, {result.seconds:.1f} s"
    )
    if result.status == "nothing_to_fix":
        typer.echo("all tests pass: nothing to fix")
        return
    if result.status == "fixed":
        count = len(result.edits)
        typer.echo(
            f"fixed: {count} edit{'s' if count != 1 else ''}, verified by a fresh pytest run"
            + ("; written to your files" if result.applied else "")
            + (
                "; not written: it is doubtful (below), --apply-doubtful writes it"
                if result.held_back
                else ""
            )
        )
    else:
        typer.echo(f"no fix found ({result.stop_reason})")
        if result.edits:
            typer.echo(
                f"best partial fix leaves {len(result.still_failing)} of "
                f"{len(result.failing_before)} failing tests failing:"
            )
    for edit in result.edits:
        typer.echo(f"  {edit.path}:{edit.line}  {edit.old!r} -> {edit.new!r}  ({edit.kind})")
    typer.echo(f"tests failing before: {len(result.failing_before)}")
    for nodeid in result.failing_before:
        if nodeid in result.slow_tests:
            mark = "slow, not failing: passes when given longer"
        else:
            mark = "passes now" if nodeid in result.passing_after else "still fails"
        typer.echo(f"  {nodeid}  ({mark})")
    typer.echo(f"model: {result.model}; {cost}")
    _print_patch_choice(result)
    _print_alternatives(result)
    if result.diff:
        typer.echo("")
        typer.echo(result.diff, nl=False)


def _print_patch_choice(result) -> None:
    """The best patch's score among the passing patches found, and whether it is doubtful."""
    if not result.patches:
        return
    best, count = result.patches[0], len(result.patches)
    found = "the only passing patch found"
    if count > 1:
        found = f"{best.share:.0%} of the {count} passing patches found"
    typer.echo(f"patch score {best.score:.3g} ({found})")
    if result.doubt:
        typer.echo(f"doubtful: {result.doubt}")


def _print_alternatives(result, shown: int = 2) -> None:
    """The next passing patches after the best (`--json` lists them all)."""
    others = result.patches[1 : 1 + shown]
    if not others:
        return
    typer.echo("other passing patches (--json lists all, with diffs):")
    for rank, patch in enumerate(others, start=2):
        edits = ", ".join(f"{e.path}:{e.line} {e.old!r} -> {e.new!r}" for e in patch.edits)
        removes = f"; {patch.removes}" if patch.removes else ""
        typer.echo(f"  {rank}. score {patch.score:.3g}{removes}: {edits}")
