"""Domain exceptions. The CLI turns each into one line on stderr and its exit code; any other
exception is an internal error (`internal_error_message`, exit code 70)."""

from repair.exit_codes import ExitCode


class RepairError(Exception):
    """Base class: a problem the user can act on, reported as one line."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class BadInput(RepairError):
    exit_code = ExitCode.BAD_INPUT


class SourceError(BadInput):
    """A file that does not parse, is not UTF-8, or cannot be read."""


class NoTestsFound(BadInput):
    pass


class TestSuiteBroken(RepairError):
    """Collection errors, a crashed interpreter: the suite cannot tell us anything."""

    exit_code = ExitCode.TESTS_BROKEN
    __test__ = False  # not a pytest test class


class CheckpointError(RepairError):
    exit_code = ExitCode.BAD_CHECKPOINT


def internal_error_message(error: BaseException) -> str:
    """The one line for an unexpected exception: its type and first line, and how to see more.
    The CLI and the hook print it and exit with `ExitCode.INTERNAL_ERROR`, so a crash is never
    read as "no fix found"."""
    text = str(error).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    return (
        f"repair: internal error: {type(error).__name__}{detail} "
        "(a bug in repair; run again with --debug to see the traceback)"
    )
