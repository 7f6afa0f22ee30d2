"""Do passing tests run differently after a printed patch? A measurement for #9's ranking.

PATCH-SIM's heuristic (Xiong et al., "Identifying patch correctness in test-based program
repair", ICSE 2018): a correct patch changes what the failing tests execute and leaves what the
passing tests execute alone; an overfitting one often changes passing tests' paths too. For each
patch a saved run printed (plausible or correct), this runs the bug's test files under coverage
with one context per test function, on the buggy tree and on the patched tree, and counts the
passing tests whose executed lines of the patched file differ (lines the patch changed are left
out of the comparison; the others are matched through the diff).

    python bench/realbugs_patchsim.py bench/results/realbugs_dev_reserve.json [--out FILE]
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realbugs import find_bug  # noqa: E402
from realbugs_env import GIT_ROOT, ensure_venv, materialize  # noqa: E402
from realbugs_equivalent import judged_equivalent  # noqa: E402
from realbugs_recheck import apply_patch, printed_patches  # noqa: E402

_READ = """
import json, sys
from coverage import CoverageData
data = CoverageData(basename=sys.argv[1]); data.read()
by_context = {}
for path in data.measured_files():
    if path.endswith(sys.argv[2]):
        for line, contexts in data.contexts_by_lineno(path).items():
            for context in contexts:
                by_context.setdefault(context, []).append(line)
print(json.dumps(by_context))
"""


def traces(python: Path, tree: Path, bug: dict) -> dict[str, set[int]]:
    """test function -> lines of the bug's file it executed."""
    rc = tree / ".patchsim.rc"
    rc.write_text("[run]\ndynamic_context = test_function\n")
    data = tree / ".patchsim.data"
    subprocess.run(
        [str(python), "-m", "coverage", "run", f"--rcfile={rc}", f"--data-file={data}",
         "-m", "pytest", "-q", "-p", "no:cacheprovider", *bug["test_files"]],
        cwd=tree, capture_output=True, stdin=subprocess.DEVNULL, timeout=600,
    )  # fmt: skip
    done = subprocess.run(
        [str(python), "-c", _READ, str(data), bug["file"]],
        cwd=tree, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {context: set(lines) for context, lines in json.loads(done.stdout).items() if context}


def line_map(before: str, after: str) -> dict[int, int]:
    """after's line number -> before's, for the lines the patch left as they were (1-based)."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), False)
    mapping = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mapping[block.b + k + 1] = block.a + k + 1
    return mapping


def changed_tests(bug: dict, diff: str, python: Path, tmp: Path, base: dict) -> tuple[int, int]:
    """(passing tests whose traces differ, passing tests compared)."""
    tree = materialize(bug, tmp / "patched", GIT_ROOT, buggy=True)
    before = (tree / bug["file"]).read_text()
    apply_patch(tree, diff)
    mapping = line_map(before, (tree / bug["file"]).read_text())
    after = traces(python, tree, bug)
    failing = {node.split("::")[-1].split("[")[0] for node in bug["tests"]}
    kept = set(mapping.values())
    compared = differ = 0
    for context, lines in base.items():
        if context.rsplit(".", 1)[-1] in failing:
            continue
        compared += 1
        mapped = {mapping[line] for line in after.get(context, set()) if line in mapping}
        differ += mapped != (lines & kept)
    return differ, compared


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    lines = [
        f"$ python bench/realbugs_patchsim.py {args.json}",
        "",
        "| bug | mode | outcome | judged equivalent | passing tests whose trace changed |",
        "|---|---|---|---|---|",
    ]
    for bug_id, rows in printed_patches(json.loads(args.json.read_text())["rows"]).items():
        bug = find_bug(bug_id)
        python = ensure_venv(bug, log=lambda message: None)
        with tempfile.TemporaryDirectory(prefix="realbugs-patchsim-") as tmp:
            base = traces(python, materialize(bug, Path(tmp) / "buggy", GIT_ROOT), bug)
            for row in rows:
                with tempfile.TemporaryDirectory(dir=tmp) as one:
                    differ, compared = changed_tests(bug, row["diff"], python, Path(one), base)
                equivalent = "yes" if judged_equivalent(bug_id, row["diff"]) else ""
                lines.append(
                    f"| {bug_id} | {row['mode']} | {row['outcome']} | {equivalent} | "
                    f"{differ} of {compared} |"
                )
                print(lines[-1], flush=True)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
