"""The tests a user would hand `repair fix`: the project's whole suite, not only the bug's files.

`bench/realbugs.py run --suite whole` repairs each bug with `--tests` set to every test file under
the top folders of the bug's test files (`tests/`, say) whose tests all pass or skip on the fixed
tree. A file with a test that fails on the fixed tree on this machine (a dependency's newer
version, a missing tool) is left out whole, as a user would deselect it; the bug's own test files
always pass there (`realbugs.py check`). A patch is then plausible only when the whole kept suite
passes, as Defects4J and BugsInPy count it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

PASSING = ("passed", "skipped")


def suite_files(
    bug: dict, outcomes_of: Callable[[list[str]], dict[str, str]]
) -> tuple[list[str], list[str]]:
    """(kept, left out): the test files of the bug's test folders, split by whether every test
    of the file passes or skips on the fixed tree. `outcomes_of(paths)` runs pytest on paths
    relative to the fixed tree and returns node id -> outcome (`realbugs_env.run_outcomes`)."""
    tops = sorted({Path(test_file).parts[0] for test_file in bug["test_files"]})
    by_file: dict[str, list[str]] = {}
    for node, result in outcomes_of(tops).items():
        by_file.setdefault(node.split("::")[0], []).append(result)
    own = set(bug["test_files"])
    kept = sorted(
        name
        for name, results in by_file.items()
        if name in own or all(result in PASSING for result in results)
    )
    return sorted(set(kept) | own), sorted(set(by_file) - set(kept))
