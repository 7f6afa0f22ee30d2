"""`repair-hook`: the pre-commit hook. Suggest a fix before a broken change is committed.

pre-commit passes the staged Python files. The hook runs the tests once (through `repair.fix`,
which returns at once when they all pass); when some fail it searches for a fix that edits only
the staged files, prints the failing tests, the suggested patch and the command that applies it,
and exits non-zero so the commit stops. Files are written only with `--apply`.

All staged files go to one `fix` call: the model loads once per hook run, not once per file.
An unexpected exception (a bug in repair) prints one line and exits 70 (`--debug`: the traceback).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from repair.errors import RepairError, TestSuiteBroken, internal_error_message
from repair.exit_codes import ExitCode
from repair.interrupts import interrupted_by_signals

DEFAULT_TIMEOUT = 45.0  # seconds: a commit should not wait much longer than this
DEFAULT_TESTS = "tests"


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="repair-hook",
        description="Stop a commit whose tests fail and suggest a fix for the staged files.",
    )
    parser.add_argument("filenames", nargs="*", help="Staged files (pre-commit passes them).")
    parser.add_argument(
        "--tests",
        action="append",
        default=None,
        help=f"Test file or directory (repeatable; default: {DEFAULT_TESTS}).",
    )
    parser.add_argument(
        "--src",
        action="append",
        default=None,
        help="Source directory (repeatable; default: the staged files' top folders).",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"Seconds for the whole search (default: {DEFAULT_TIMEOUT:g}).",
    )
    parser.add_argument("--apply", action="store_true", help="Write the fix into the files.")
    parser.add_argument(
        "--no-model",
        action="store_true",
        help="The model-free baseline: token frequencies in place of the model.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="Show the traceback of an internal error."
    )
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    args.tests = args.tests or [DEFAULT_TESTS]
    return args


def _top_folder(path: Path) -> Path:
    return Path(path.parts[0]) if len(path.parts) > 1 else Path(".")


def _is_under(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def _looks_like_test(path: Path) -> bool:
    return path.name.startswith("test_") or path.name == "conftest.py"


def staged_sources(
    filenames: Sequence[str], src: Sequence[Path], tests: Sequence[Path]
) -> list[Path]:
    """The staged Python files under `src` that are not tests: the only files a fix may edit."""
    chosen = []
    for name in filenames:
        path = Path(name)
        if path.suffix != ".py" or not path.is_file() or _looks_like_test(path):
            continue
        if any(_is_under(path, test) for test in tests):
            continue
        if any(_is_under(path, folder) for folder in src):
            chosen.append(path)
    return sorted(set(chosen))


def _apply_command(files: Sequence[Path], args: argparse.Namespace, doubtful: bool) -> str:
    words = ["repair", "fix", *map(str, files)]
    for test in args.tests:
        words += ["--tests", test]
    words += ["--timeout", f"{args.timeout:g}"]
    if args.no_model:
        words.append("--no-model")
    words.append("--apply-doubtful" if doubtful else "--apply")
    return shlex.join(words)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    try:
        return _run(args)
    except Exception as error:  # noqa: BLE001 - a bug in repair, not "no fix found"
        if args.debug:
            traceback.print_exc()
        else:
            _say(internal_error_message(error))
        return int(ExitCode.INTERNAL_ERROR)


def _run(args: argparse.Namespace) -> int:
    tests = [Path(test) for test in args.tests]
    staged = [Path(name) for name in args.filenames]
    src = (
        [Path(folder) for folder in args.src] if args.src else sorted(set(map(_top_folder, staged)))
    )
    files = staged_sources(args.filenames, src, tests)
    if not files:
        return int(ExitCode.OK)
    missing = [str(test) for test in tests if not test.exists()]
    if missing:
        _say(f"repair: error: test path not found: {', '.join(missing)} (set --tests)")
        return int(ExitCode.BAD_INPUT)

    from repair.fix import FIXED, NOTHING_TO_FIX, RepairConfig, fix

    config = RepairConfig(timeout=args.timeout, use_model=not args.no_model, apply=args.apply)
    config.test_timeout = min(config.test_timeout, args.timeout)  # one test may not outlast it
    started = time.monotonic()
    try:
        # Passing only the staged files as sources restricts the edits to them: `fix` proposes
        # edits in its source files only, while the tests still import the whole project.
        with interrupted_by_signals():
            result = fix(files, tests, config)
    except TestSuiteBroken as error:
        if time.monotonic() - started >= args.timeout:  # the first run itself was cut short
            _say(
                f"repair: no fix found within {args.timeout:g} s; "
                "the tests did not finish running in that time"
            )
            return int(ExitCode.NO_FIX_FOUND)
        _say(f"repair: error: {error}")
        return int(error.exit_code)
    except RepairError as error:
        _say(f"repair: error: {error}")
        return int(error.exit_code)
    except KeyboardInterrupt:
        _say("repair: interrupted; your files are untouched")
        return int(ExitCode.INTERRUPTED)

    if result.status == NOTHING_TO_FIX:
        return int(ExitCode.OK)
    failing = result.failing_before
    _say(f"repair: {len(failing)} test{'s' if len(failing) != 1 else ''} fail:")
    for nodeid in failing:
        _say(f"  {nodeid}")
    if result.status != FIXED:
        still = ", ".join(result.still_failing or failing)
        if "time" in result.stop_reason or result.seconds >= args.timeout:
            _say(f"repair: no fix found within {args.timeout:g} s; tests still failing: {still}")
        else:
            _say(f"repair: no fix found ({result.stop_reason}); tests still failing: {still}")
        return int(ExitCode.NO_FIX_FOUND)
    if result.applied:
        _say("repair: applied this fix (verified by a fresh pytest run); review and stage it:")
        _say(result.diff.rstrip("\n"))
        # The commit still stops: the fix is not staged yet.
        return int(ExitCode.NO_FIX_FOUND)
    _say("repair: suggested fix (verified by a fresh pytest run):")
    _say(result.diff.rstrip("\n"))
    if result.doubt:
        held = "; not applied" if result.held_back else ""
        _say(f"repair: doubtful{held}: {result.doubt}")
    _say("repair: apply it with `git apply` on the diff above, or run:")
    _say(f"  {_apply_command(files, args, doubtful=bool(result.doubt))}")
    return int(ExitCode.NO_FIX_FOUND)


if __name__ == "__main__":
    raise SystemExit(main())
