"""What `pytest --repair` does after a session with failed tests (`repair.pytest_plugin`): run
`repair.fix` on the session's tests and show the result in pytest's terminal summary. Imported
only then, since it loads the repair loop.

Progress goes to stderr as a live line on a terminal (`repair.progress_line`); elsewhere, as
lines in the summary with `-v`, and not at all without it (CI logs stay short).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from repair.errors import RepairError, internal_error_message
from repair.fix import FIXED, NOTHING_TO_FIX, RepairConfig, RepairResult, fix
from repair.progress_line import Progress, is_live_terminal, progress_display


def run_repair(
    reporter: Any,
    *,
    src: Sequence[Path],
    tests: Sequence[Path],
    timeout: float,
    use_model: bool,
    apply: bool,
    sarif: Path | None,
    base: Path,
    verbose: bool,
    stream: TextIO,
    deadline: float,
) -> RepairResult | None:
    """Repair, then write the outcome with `reporter` (pytest's TerminalReporter); None when the
    repair could not run (the reason is written instead). Never raises but KeyboardInterrupt: a
    problem in the repair must not hide the session's own report."""
    config = RepairConfig(timeout=timeout, use_model=use_model, apply=apply)
    config.test_timeout = min(config.test_timeout, timeout)  # one test may not outlast the run
    names = ", ".join(_shown(path, base) for path in src)
    reporter.write_line(f"searching for a fix of {names} (at most {timeout:g} s)")
    try:
        with _progress(reporter, stream, deadline, verbose) as progress:
            result = fix(src, tests, config, progress=progress)
    except RepairError as error:
        reporter.write_line(f"repair: error: {error}", red=True)
        return None
    except Exception as error:  # noqa: BLE001 - a bug in repair, reported in one line
        reporter.write_line(internal_error_message(error), red=True)
        return None
    _report(reporter, result)
    if sarif is not None:
        from repair.sarif import repair_log, write_log

        try:
            write_log(repair_log(result, base), base / sarif)
        except OSError as error:
            reporter.write_line(f"repair: error: --repair-sarif {sarif}: {error}", red=True)
    return result


@contextlib.contextmanager
def _progress(reporter: Any, stream: TextIO, deadline: float, verbose: bool) -> Iterator[Progress]:
    if is_live_terminal(stream):
        with progress_display(stream, deadline) as progress:
            yield progress
    elif verbose:
        yield lambda message: reporter.write_line(f"repair: {message}")
    else:
        yield lambda message: None


def _report(reporter: Any, result: RepairResult) -> None:
    cost = (
        f"{result.candidates_tried} candidates tried, {result.test_runs} test runs, "
        f"{result.seconds:.1f} s; model: {result.model}"
    )
    if result.status == NOTHING_TO_FIX:
        reporter.write_line("the tests pass when run again: nothing to fix (a flaky test?)")
        return
    if result.status != FIXED:
        reporter.write_line(f"no fix found ({result.stop_reason}); {cost}", yellow=True)
        if result.edits:
            reporter.write_line(
                f"the best partial fix leaves {len(result.still_failing)} of "
                f"{len(result.failing_before)} failing tests failing"
            )
        return
    count = len(result.edits)
    written = "; written to your files" if result.applied else ""
    reporter.write_line(
        f"fixed: {count} edit{'s' if count != 1 else ''}, verified by a fresh pytest run"
        f"{written} ({cost})",
        green=True,
    )
    for edit in result.edits:
        reporter.write_line(f"  {edit.path}:{edit.line}  {edit.old!r} -> {edit.new!r}")
    for line in result.diff.splitlines():
        reporter.write_line(line)
    if result.doubt:
        held = "; not written" if result.held_back else ""
        reporter.write_line(f"doubtful{held}: {result.doubt}", yellow=True)
    if result.doubt and not result.applied:  # --repair-apply would hold it back too
        reporter.write_line("write it with `repair fix ... --apply-doubtful`, or `git apply` it")
    elif not result.applied:
        reporter.write_line("write it with --repair-apply, or `git apply` the diff above")


def _shown(path: Path, base: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(base).resolve()).as_posix() or "."
    except ValueError:
        return str(path)
