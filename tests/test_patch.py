"""Patches: a `git apply`-able diff, the final verification run, and atomic application that a
SIGKILL at any moment leaves whole (each file the old or the new version, never a mix)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repair.patch import PatchConflict, apply_patch_atomically, unified_diff, verify_patch

CASES = Path(__file__).parent / "data" / "fix"


def test_diff_applies_with_git(tmp_path: Path):
    originals = {"pkg/a.py": b"x = 1\ny = 2\n", "b.py": b"last = 1"}  # b.py: no final newline
    patched = {"pkg/a.py": b"x = 1\ny = 3\n", "b.py": b"last = 2"}
    diff = unified_diff(originals, patched)
    assert diff.startswith("--- a/b.py\n+++ b/b.py\n")
    assert "\\ No newline at end of file\n" in diff
    for path, data in originals.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    (tmp_path / "fix.patch").write_text(diff)
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True)
    assert {path: (tmp_path / path).read_bytes() for path in patched} == patched


def test_verify_patch_runs_the_users_suite():
    case = CASES / "two_bugs"
    source = (case / "shapes.py").read_bytes()
    fixed = source.replace(b"width + height", b"width * height").replace(
        b"2 * (width * height)", b"2 * (width + height)"
    )
    assert verify_patch(case, ["tests"], {"shapes.py": fixed}, timeout=60).passed
    half = source.replace(b"width + height", b"width * height")
    result = verify_patch(case, ["tests"], {"shapes.py": half}, timeout=60)
    assert not result.passed and "test_perimeter" in result.output


def test_apply_replaces_only_changed_files_and_keeps_modes(tmp_path: Path):
    (tmp_path / "a.py").write_bytes(b"a = 1\n")
    (tmp_path / "b.py").write_bytes(b"b = 1\n")
    os.chmod(tmp_path / "a.py", 0o640)
    before_b = (tmp_path / "b.py").stat()
    written = apply_patch_atomically(tmp_path, {"a.py": b"a = 2\n"}, {"a.py": b"a = 1\n"})
    assert written == [tmp_path / "a.py"]
    assert (tmp_path / "a.py").read_bytes() == b"a = 2\n"
    assert stat.S_IMODE((tmp_path / "a.py").stat().st_mode) == 0o640
    assert (tmp_path / "b.py").stat().st_mtime_ns == before_b.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]  # no temporary left


def test_apply_refuses_a_file_changed_meanwhile(tmp_path: Path):
    (tmp_path / "a.py").write_bytes(b"a = 1  # edited by the user\n")
    with pytest.raises(PatchConflict):
        apply_patch_atomically(tmp_path, {"a.py": b"a = 2\n"}, {"a.py": b"a = 1\n"})
    assert (tmp_path / "a.py").read_bytes() == b"a = 1  # edited by the user\n"


# A child process flips three large files between two versions forever; the test kills it at
# random moments and checks that every file reads exactly one of the two versions.
FLIPPER = """
import sys
from pathlib import Path
from repair.patch import apply_patch_atomically
root = Path(sys.argv[1])
versions = [{name: (root / ".." / f"{name}.{v}").read_bytes() for name in NAMES} for v in "ab"]
current = 0
while True:
    apply_patch_atomically(root, versions[1 - current], versions[current])
    current = 1 - current
""".replace("NAMES", "['one.py', 'two.py', 'three.py']")


def test_sigkill_never_leaves_a_half_written_file(tmp_path: Path):
    root = tmp_path / "project"
    root.mkdir()
    names = ["one.py", "two.py", "three.py"]
    versions = {}
    for index, name in enumerate(names):
        a = (f"# {name} version a\n" + "x = 1\n" * 200_000).encode()
        b = (f"# {name} version b {index}\n" + "y = 22\n" * 150_000).encode()
        (tmp_path / f"{name}.a").write_bytes(a)
        (tmp_path / f"{name}.b").write_bytes(b)
        (root / name).write_bytes(a)
        versions[name] = (a, b)
    rng = random.Random(0)
    for _ in range(8):
        child = subprocess.Popen([sys.executable, "-c", FLIPPER, str(root)])
        time.sleep(0.3 + rng.random() * 0.7)
        child.send_signal(signal.SIGKILL)
        child.wait()
        for name in names:
            assert (root / name).read_bytes() in versions[name], name
        for leftover in root.glob(".*"):  # a kill between staging and replace leaves a temp file
            leftover.unlink()
