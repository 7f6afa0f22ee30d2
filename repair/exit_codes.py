"""Exit codes of every `repair` command and of the pre-commit hook, defined in one place."""

from enum import IntEnum


class ExitCode(IntEnum):
    FIXED = 0  # a verified patch was found (and written, with --apply)
    NOTHING_TO_FIX = 0  # every test passes already
    OK = 0
    NO_FIX_FOUND = 1  # the budget ran out before any candidate passed every test
    BAD_INPUT = 2  # missing path, unparsable or non-UTF-8 source, no tests found, bad option
    BAD_CHECKPOINT = 3  # the model file is missing, corrupt or of another format
    TESTS_BROKEN = 4  # the test suite cannot run (collection error, crashed interpreter)
    HELD_BACK = 5  # --apply found a verified patch but did not write it: the best one is doubtful
    INTERRUPTED = 130  # Ctrl-C; the user's files are untouched
    INTERNAL_ERROR = 70  # a bug in repair itself
