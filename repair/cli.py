"""The `repair` command line: options and presentation only; the work is in the library.

Each command checks its inputs, calls one library function, and turns a `RepairError` into one
line on stderr and its exit code (`repair.exit_codes`).
"""

import json
from enum import Enum
from pathlib import Path

import typer

from repair.errors import RepairError
from repair.localize import FORMULAS, Localization, localize

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


def fail(error: RepairError) -> typer.Exit:
    typer.echo(f"repair: error: {error}", err=True)
    return typer.Exit(code=int(error.exit_code))


@app.command("localize")
def localize_command(
    src: list[Path] = typer.Argument(..., help="Source files or directories to rank."),
    tests: list[Path] = typer.Option(..., "--tests", help="Test file or directory (repeatable)."),
    formula: FormulaName = typer.Option(FormulaName("tarantula"), help="Suspiciousness formula."),
    top: int = typer.Option(10, min=1, help="How many lines to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    timeout: float = typer.Option(10.0, min=0.1, help="Seconds one test may run."),
    total_timeout: float = typer.Option(300.0, min=1.0, help="Seconds the whole suite may run."),
) -> None:
    """Run the tests once under coverage and rank the lines most likely to hold the bug."""
    try:
        result = localize(
            src,
            tests,
            formula=formula.value,
            top=top,
            per_test_timeout=timeout,
            total_timeout=total_timeout,
        )
    except RepairError as error:
        raise fail(error) from None
    for problem in result.run.collection_errors:
        typer.echo(f"repair: warning: {problem}", err=True)
    if as_json:
        typer.echo(json.dumps(_localization_json(result, formula.value), indent=2))
    elif not result.run.failed:
        skipped = len(result.run.results) - len(result.run.passed)
        note = f" ({skipped} skipped)" if skipped else ""
        typer.echo(f"all {len(result.run.passed)} tests pass{note}: nothing to localize")
    else:
        _print_localization(result)


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
    for rank, line in enumerate(result.ranked, start=1):
        location = f"{line.path}:{line.line}"
        typer.echo(f"{rank:>4}  {line.score:>7.3f}  {location:<30}  {line.text}")


def _localization_json(result: Localization, formula: str) -> dict:
    run = result.run
    return {
        "root": str(result.root),
        "formula": formula,
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
                "rank": rank,
                "path": line.path,
                "line": line.line,
                "score": line.score,
                "text": line.text,
            }
            for rank, line in enumerate(result.ranked, start=1)
        ],
    }
