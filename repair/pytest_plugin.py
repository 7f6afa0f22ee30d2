"""`pytest --repair`: when tests fail, search for a fix of the project's source and show it.

Registered through the `pytest11` entry point and off unless `--repair` (or `--repair-apply`)
is given. Importing it costs pytest and the standard library only: the repair loop, and torch
with the model, load only when a session with `--repair` ends with failing tests.

The session runs as usual. If it ends with failed tests (pytest's exit status 1), `repair.fix`
searches for a fix of `--repair-src` (default: the rootdir; tests, conftest.py and virtual
environments are never edited) against the session's test files (each file that held a
collected test function), for at most `--repair-timeout` seconds, and prints the verified patch
in a `repair` section of the terminal summary; `--repair-apply` writes it (atomically, after the
final verification), `--repair-sarif FILE` writes the SARIF log too. pytest's exit status stays
the session's.

Never nested: the repair runs the tests again in subprocesses, which get no `--repair` on their
command line and whose environment carries `REPAIR_INNER_RUN` (`repair._child.child_environment`),
which keeps this plugin off even when the user's addopts ask for it. Nor does it run in an xdist
worker: the controller repairs once.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from repair._child import INNER_RUN_VARIABLE

DEFAULT_TIMEOUT = 60.0  # seconds for the whole repair, its first test run included


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("repair", "repair: fix the code that makes tests fail")
    group.addoption(
        "--repair",
        action="store_true",
        default=False,
        help="When tests fail, search for a fix of the source and print the verified patch.",
    )
    group.addoption(
        "--repair-src",
        action="append",
        default=None,
        metavar="PATH",
        help="Source file or folder the fix may edit (repeatable; default: the rootdir).",
    )
    group.addoption(
        "--repair-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"Seconds for the whole repair (default: {DEFAULT_TIMEOUT:g}).",
    )
    group.addoption(
        "--repair-no-model",
        action="store_true",
        default=False,
        help="The model-free baseline: token frequencies in place of the model.",
    )
    group.addoption(
        "--repair-apply",
        action="store_true",
        default=False,
        help="Write the verified fix into the files (implies --repair).",
    )
    group.addoption(
        "--repair-sarif",
        default=None,
        metavar="FILE",
        help="Also write the repair's result as a SARIF 2.1.0 log.",
    )


def pytest_configure(config: pytest.Config) -> None:
    wanted = config.getoption("repair") or config.getoption("repair_apply")
    inner = bool(os.environ.get(INNER_RUN_VARIABLE)) or hasattr(config, "workerinput")
    if wanted and not inner:
        config.pluginmanager.register(RepairAfterSession(config), "repair-after-session")


class RepairAfterSession:
    """Notes the session's test files; repairs in the terminal summary when tests failed."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.test_files: list[Path] = []
        self.reported: set[str] = set()  # paths of the node ids reported (xdist's controller)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        files = {Path(item.path) for item in session.items if isinstance(item, pytest.Function)}
        self.test_files = sorted(files)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reported.add(report.nodeid.split("::")[0])

    def session_test_files(self) -> list[Path]:
        """The collected test functions' files; where this process collected none (xdist's
        controller: its workers collect), the Python files of the reports' node ids."""
        if self.test_files:
            return self.test_files
        files = (self.config.rootpath / path for path in sorted(self.reported))
        return [path for path in files if path.suffix == ".py" and path.is_file()]

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter, exitstatus: int) -> None:
        tests = self.session_test_files()
        if exitstatus != pytest.ExitCode.TESTS_FAILED or not tests:
            return
        from repair.pytest_summary import run_repair

        options = self.config.option
        terminalreporter.write_sep("=", "repair")
        run_repair(
            terminalreporter,
            src=[Path(path) for path in options.repair_src or [self.config.rootpath]],
            tests=tests,
            timeout=options.repair_timeout,
            use_model=not options.repair_no_model,
            apply=options.repair_apply,
            sarif=Path(options.repair_sarif) if options.repair_sarif else None,
            base=self.config.invocation_params.dir,
            verbose=options.verbose > 0,
            stream=sys.stderr,
            deadline=time.monotonic() + options.repair_timeout,
        )
