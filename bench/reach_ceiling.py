"""Which share of mined fixes any operator could make, drawing text from region, file, repo, tests.

    python bench/reach_ceiling.py --split dev --out bench/results/reach_ceiling_dev.txt \
        [--limit N] [--git-root /work/.mirror]

A fix of `training/data/realfixes.jsonl.gz` is novel at a level when one of its edits that is not
a delete brings a name, string, number or constant (no builtin, no keyword) whose text is no token
(`repair.source.tokens`' leaves; a string's text is its literal, quotes included) of that level's
source: `bench/operator_reach.py`'s `_novel` for the region (`before`); the whole file at the fix's
parent commit; every `.py` file of the repository there; that, or a `.py` file the fix commit
changed (`git diff-tree PARENT COMMIT`) read at the fix commit, never the fixed file itself (it
holds the answer): repo+tests takes only test files (the miner's `is_test_path`: a directory
`test`, `tests` or `testing`, a name `test_*`, `*_test.py` or `conftest.py`), repo+changed all.
repo+tests is the one that models `repair fix`, which is given the failing tests (those the fix
commit added or changed, absent at the parent); the other changed files are part of the buggy
program there, so repo+changed is only an upper bound (equal on mined fixes, whose commits change
no other non-test .py file). Levels include one another: the ceiling, the share of fixes with no
novel text, grows from left to right. Files over 1 MB are skipped. The repository is looked up
lazily: a blob is tokenized (cached by blob id) only when the text's bytes occur in it (an
identifier as a whole word), which finds exactly what tokenizing every file would.
Git repositories are bare mirrors under `--git-root` (`OWNER+NAME/repo`); a fix whose mirror,
parent commit or file is missing is counted unavailable and left out of the table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Container
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from operator_reach import _novel, new_texts  # noqa: E402
from realbugs_env import git_dir  # noqa: E402

from repair.source import tokens  # noqa: E402
from training.mining.gitlog import BlobReader  # noqa: E402
from training.mining.paths import is_test_path  # noqa: E402

CORPUS = ROOT / "training" / "data" / "realfixes.jsonl.gz"
COLUMNS = ("region", "file", "repository", "repo+tests", "repo+changed")
BANDS = {
    "all": (0, 1 << 30),
    "1 token": (1, 1),
    "2 tokens": (2, 2),
    "3-4 tokens": (3, 4),
    "5-8 tokens": (5, 8),
}
MAX_BYTES = 1 << 20
Novel = list[tuple[str, str]]  # (token text, class)


def novel_texts(fix: dict, *present: Container[str]) -> Novel:
    """The fix's new texts that are in none of `present` (sets of token texts)."""
    return [(text, cls) for text, cls in new_texts(fix) if not any(text in p for p in present)]


def absent(novel: Novel, present: Container[str]) -> Novel:
    return [(text, cls) for text, cls in novel if text not in present]


def token_texts(source: bytes) -> frozenset[str]:
    return frozenset(token.text for token in tokens(source))


class Mirror:
    """A bare git mirror: git's output, `.py` blobs (one `cat-file --batch`, `BlobReader`),
    their token texts by blob id (or `COMMIT:PATH`)."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.reader = BlobReader(git_dir)
        self.cache: dict[str, frozenset[str]] = {}

    def git(self, *args: str) -> bytes | None:
        done = subprocess.run(["git", "--git-dir", str(self.git_dir), *args], capture_output=True)
        return done.stdout if done.returncode == 0 else None

    def blobs(self, specs: list[str]) -> list[tuple[str, bytes]]:
        """(name, bytes) of the blobs named (`SHA` or `COMMIT:PATH`) that exist, up to 1 MB."""
        found = ((spec, self.reader.read(spec)) for spec in specs)
        return [(spec, data) for spec, data in found if data is not None and len(data) <= MAX_BYTES]

    def python_blobs(self, commit: str) -> list[tuple[str, bytes]]:
        listing = self.git("ls-tree", "-r", "-z", commit) or b""
        entries = [entry.partition(b"\t") for entry in listing.split(b"\0")]
        return self.blobs(
            [meta.split()[2].decode() for meta, _, path in entries if path.endswith(b".py")]
        )

    def close(self) -> None:
        self.reader.close()

    def blob_tokens(self, sha: str, data: bytes) -> frozenset[str]:
        if sha not in self.cache:
            if len(self.cache) > 20_000:
                self.cache.clear()
            self.cache[sha] = token_texts(data)
        return self.cache[sha]

    def tokens_at(self, commit: str, paths: list[str]) -> frozenset[str]:
        blobs = self.blobs([f"{commit}:{path}" for path in paths]) if paths else []
        return frozenset().union(*(self.blob_tokens(sha, data) for sha, data in blobs))


class TreeTokens:
    """The token texts of a commit's `.py` files, as a container whose lookups tokenize lazily."""

    def __init__(self, mirror: Mirror, commit: str) -> None:
        self.mirror, self.blobs = mirror, mirror.python_blobs(commit)

    def __contains__(self, text: object) -> bool:
        assert isinstance(text, str)
        needle = re.escape(text.encode())
        word = text.isidentifier()
        pattern = re.compile(rb"(?<![\w])" + needle + rb"(?![\w])" if word else needle)
        return any(
            pattern.search(data) and text in self.mirror.blob_tokens(sha, data)
            for sha, data in self.blobs
        )


def levels(fix: dict, mirror: Mirror | None) -> dict | None:
    """The fix's novel texts at each level and its changed test files, or None if unavailable."""
    if mirror is None or mirror.git("cat-file", "-e", f"{fix['parent']}^{{commit}}") is None:
        return None
    diff = mirror.git("diff-tree", "--name-only", "-r", "-z", fix["parent"], fix["commit"]) or b""
    changed = {path.decode(errors="replace") for path in diff.split(b"\0") if path.endswith(b".py")}
    changed -= {fix["path"]}  # the fixed file at the fix commit holds the answer
    tests = sorted(path for path in changed if is_test_path(path))
    region = token_texts(fix["before"].encode())
    result: dict = {"test_files": tests, "region": novel_texts(fix, region)}
    assert bool(result["region"]) == _novel(fix), fix["commit"]
    if not result["region"]:
        return result | {level: [] for level in COLUMNS[1:]}
    source = mirror.reader.read(fix["parent"], fix["path"])
    if source is None:
        return None
    whole = token_texts(source)
    result["file"] = novel_texts(fix, region, whole)
    tree = TreeTokens(mirror, fix["parent"]) if result["file"] else set()
    result["repository"] = novel_texts(fix, region, whole, tree)
    in_tests = mirror.tokens_at(fix["commit"], tests) if result["repository"] else frozenset()
    result["repo+tests"] = absent(result["repository"], in_tests)
    others = sorted(changed - set(tests)) if result["repo+tests"] else []
    result["repo+changed"] = absent(result["repo+tests"], mirror.tokens_at(fix["commit"], others))
    return result


def _share(rows: list[dict], level: str) -> str:
    within = sum(1 for row in rows if not row[level])
    return f"{100 * within / len(rows):.1f} %" if rows else "-"


def report(rows: list[dict], unavailable: int, head: list[str]) -> str:
    lines = [
        *head,
        f"fixes {len(rows) + unavailable}, unavailable (mirror, parent or file missing) "
        f"{unavailable}",
        "ceiling: share of fixes whose new names, strings, numbers are all found at the level",
        "(repo+tests: or a .py test file the fix commit changed; repo+changed: or any .py file it",
        "changed; never the fixed file. Rows tests_changed: the fix commit changed a test file;",
        "test .py changed: a .py one)",
        "",
        f"{'fixes':<16}{'n':>6}" + "".join(f"{name:>14}" for name in COLUMNS),
    ]
    groups = {
        name: [row for row in rows if low <= row["tokens"] <= high]
        for name, (low, high) in BANDS.items()
    }
    groups["tests_changed"] = [row for row in rows if row["tests_changed"]]
    groups["test .py changed"] = [row for row in rows if row["test_files"]]
    for name, group in groups.items():
        shares = "".join(f"{_share(group, level):>14}" for level in COLUMNS)
        lines.append(f"{name:<16}{len(group):>6}{shares}")
    novel = [(row, text, cls) for row in rows for text, cls in row["repository"]]
    classes = Counter(cls for _, _, cls in novel)
    fixes_by_class = Counter(cls for row in rows for cls in {c for _, c in row["repository"]})
    lines += ["", "novel at repository level, by class: tokens (fixes with one)"]
    lines += [f"  {cls:<12}{n:>6} ({fixes_by_class[cls]})" for cls, n in classes.most_common()]
    lines += ["", "the 10 most common novel-at-repository texts (count, class, text)"]
    texts = Counter((cls, text) for _, text, cls in novel)
    lines += [f"  {n:>4}  {cls:<11} {text[:70]!r}" for (cls, text), n in texts.most_common(10)]
    lines += ["", "15 random novel-at-repository tokens (repo, path, class, text)"]
    for row, text, cls in random.Random(0).sample(novel, min(15, len(novel))):
        lines.append(f"  {row['repo']}  {row['path']}  {cls}  {text[:70]!r}")
    found = [(row, text, cls) for row, text, cls in novel if (text, cls) not in row["repo+tests"]]
    lines += [
        "",
        f"10 random of the {len(found)} tokens found in test files only (repo, path, class, text)",
    ]
    for row, text, cls in random.Random(0).sample(found, min(10, len(found))):
        lines.append(f"  {row['repo']}  {row['path']}  {cls}  {text[:70]!r}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "dev", "test"), default="dev")
    parser.add_argument("--allow-test", action="store_true", help="the test split, knowingly")
    parser.add_argument("--limit", type=int, default=0, help="the first N fixes of the split")
    parser.add_argument("--git-root", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, help="write the report here too")
    args = parser.parse_args()
    if args.split == "test" and not args.allow_test:
        parser.error("--split test needs --allow-test")
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        fixes = [fix for line in handle if (fix := json.loads(line))["split"] == args.split]
    fixes = fixes[: args.limit or None]
    git_head = ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git_head, capture_output=True, text=True).stdout.strip()
    command = " ".join([os.path.relpath(sys.executable, ROOT), *sys.argv])
    mirrors: dict[str, Mirror | None] = {}
    rows, unavailable, start = [], 0, time.monotonic()
    for index, fix in enumerate(fixes, 1):
        if fix["repo"] not in mirrors:
            found_dir = git_dir(fix["repo"], args.git_root)
            mirrors[fix["repo"]] = Mirror(found_dir) if (found_dir / "HEAD").exists() else None
        found = levels(fix, mirrors[fix["repo"]])
        if found is None:
            unavailable += 1
        else:
            rows.append({**found, "repo": fix["repo"], "path": fix["path"]})
            rows[-1] |= {"tokens": len(fix["edits"]), "tests_changed": fix["tests_changed"]}
        if index % 200 == 0:
            elapsed = time.monotonic() - start
            print(f"{index}/{len(fixes)} fixes, {elapsed:.0f} s", file=sys.stderr, flush=True)
    for mirror in mirrors.values():
        if mirror is not None:
            mirror.close()
    seconds = time.monotonic() - start
    head = [f"command: {command}", f"commit: {commit}", f"run time: {seconds:.0f} s", ""]
    text = report(rows, unavailable, head)
    print(text, end="")
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
