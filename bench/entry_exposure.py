"""Which seeded dev bugs of the repair benchmark could be offered a table entry at all
(`repair.collection_entries`)? An upper bound: the strings of every test, not only the failing
ones, against every table of every source file. A bug with none ranks the same candidates in the
same order with the entries on or off.

    python bench/entry_exposure.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import repair_bench  # noqa: E402 - bench/ is not a package

from repair.operators import real_operations  # noqa: E402
from repair.rank import ENTRIES  # noqa: E402
from repair.source import parse  # noqa: E402
from repair.test_literals import failing_literals  # noqa: E402


def test_ids(root: Path, tests: list[Path]) -> list[str]:
    """Node ids of every test function (and method) in the test files under `tests`."""
    found = []
    for test in tests:
        for path in [test] if test.is_file() else sorted(test.rglob("test*.py")):
            relative = path.relative_to(root).as_posix()
            stack = [(parse(path.read_bytes()).root_node, [])]
            while stack:
                node, scope = stack.pop()
                for child in node.named_children:
                    if child.type == "decorated_definition":
                        child = child.child_by_field_name("definition") or child
                    name = child.child_by_field_name("name")
                    if name is None or not name.text:
                        continue
                    if child.type == "function_definition":
                        found.append("::".join([relative, *scope, name.text.decode()]))
                    elif child.type == "class_definition":
                        body = child.child_by_field_name("body")
                        if body is not None:
                            stack.append((body, [*scope, name.text.decode()]))
    return found


def entries_offered(case) -> int:
    literals = failing_literals(case.root, test_ids(case.root, case.tests))
    files = dict(case.buggy)
    for source in case.sources:
        for path in [source] if source.is_file() else source.rglob("*.py"):
            files.setdefault(path.relative_to(case.root).as_posix(), path.read_bytes())
    return sum(
        op.kind in ENTRIES
        for data in files.values()
        for op in real_operations(data, literals=literals)
    )


def main() -> int:
    defaults = argparse.Namespace(
        humaneval=29,
        seed=0,
        no_fixtures=False,
        fixture_seeds=1,
        no_oss=False,
        oss_bugs=6,
        oss=",".join(p.name for p in repair_bench.OSS_PROJECTS if p.default),
        cache=repair_bench.DEFAULT_CACHE,
    )  # repair_bench.py's defaults: its dev split
    with tempfile.TemporaryDirectory() as folder:
        cases = repair_bench.dev_cases(defaults, None, Path(folder))
        exposed = [(case.name, n) for case in cases if (n := entries_offered(case))]
    print(f"{len(cases)} dev bugs; offered any entry (upper bound): {len(exposed)}")
    for name, count in exposed:
        print(f"  {name}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
