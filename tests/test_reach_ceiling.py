"""The reach ceiling's novelty check (`bench/reach_ceiling.py`) on hand-made fixes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from operator_reach import _novel  # noqa: E402
from reach_ceiling import Mirror, levels, novel_texts, token_texts  # noqa: E402

FILE = b"""\
class URL:
    def __init__(self, raw_path):
        self.raw_path = raw_path

    def path(self):
        return self.path_of(len(self.parts))
"""
REGION = "    def path(self):\n        return self.path_of(len(self.parts))\n"


def _fix(new: str) -> dict:
    """`self.parts` becomes `self.<new>`; a deleted `len` call brings nothing."""
    return {
        "before": REGION,
        "edits": [
            {"op": "replace", "class": "identifier", "old": "parts", "new": new},
            {"op": "delete", "class": "identifier", "old": "len", "new": ""},
        ],
    }


def test_a_name_in_the_file_but_not_the_region_is_novel_only_at_region_level() -> None:
    fix = _fix("raw_path")
    region, whole = token_texts(REGION.encode()), token_texts(FILE)
    assert novel_texts(fix, region) == [("raw_path", "identifier")]
    assert novel_texts(fix, region) and _novel(fix)
    assert novel_texts(fix, region, whole) == []


def test_a_name_found_nowhere_is_novel_at_every_level() -> None:
    fix = _fix("frobnicate")
    region, whole = token_texts(REGION.encode()), token_texts(FILE)
    repository = whole | {"other_module_name", "'frobnicate'"}  # a string is not the name
    expected = [("frobnicate", "identifier")]
    assert novel_texts(fix, region) == novel_texts(fix, region, whole) == expected
    assert novel_texts(fix, region, whole, repository) == expected
    assert novel_texts(_fix("len"), region) == []  # a builtin is never novel


def _commit(git_dir: Path, files: dict[str, bytes]) -> str:
    """Write `files` into the work tree of `git_dir` and commit them; the commit's id."""
    for name, data in files.items():
        (git_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (git_dir / name).write_bytes(data)
    git = ["git", "-C", str(git_dir), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True, capture_output=True)
    return subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()


def test_the_fix_commits_test_files_count_but_never_the_fixed_file(tmp_path: Path) -> None:
    """`parts` becomes `frobnicate` (only in the fixed file at the fix commit: novel everywhere);
    the call gains `'bad path'` (in the fix's test file) and `NEW_LIMIT` (in another changed file)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    parent = _commit(tmp_path, {"yarl/url.py": FILE, "tests/test_url.py": b"import yarl\n"})
    fixed = FILE.replace(b"len(self.parts)", b"len(self.frobnicate), 'bad path', NEW_LIMIT")
    test = b"def test_path():\n    assert str(raises()) == 'bad path'\n"
    commit = _commit(
        tmp_path,
        {"yarl/url.py": fixed, "tests/test_url.py": test, "yarl/limits.py": b"NEW_LIMIT = 3\n"},
    )
    fix = {"parent": parent, "commit": commit, "path": "yarl/url.py", "before": REGION}
    fix["edits"] = [
        {"op": "replace", "class": "identifier", "old": "parts", "new": "frobnicate"},
        {"op": "insert", "class": "string", "old": "", "new": "'bad path'"},
        {"op": "insert", "class": "identifier", "old": "", "new": "NEW_LIMIT"},
    ]
    mirror = Mirror(tmp_path / ".git")
    found = levels(fix, mirror)
    mirror.close()
    assert found is not None and found["test_files"] == ["tests/test_url.py"]
    everything = [
        ("frobnicate", "identifier"),
        ("'bad path'", "string"),
        ("NEW_LIMIT", "identifier"),
    ]
    assert found["region"] == found["file"] == found["repository"] == everything
    assert found["repo+tests"] == [("frobnicate", "identifier"), ("NEW_LIMIT", "identifier")]
    assert found["repo+changed"] == [("frobnicate", "identifier")]
