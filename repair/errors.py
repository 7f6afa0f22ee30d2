"""Domain exceptions. The CLI turns each into one line on stderr and its exit code."""

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
