"""The result of a repair as a patch: a unified diff, its final verification, and `--apply`.

The diff names files `a/<path>` / `b/<path>` relative to the project root, so `git apply` and
`patch -p1` take it from there. Verification is a fresh `python -m pytest` on a temporary copy
with the patched files, under the user's own configuration: the validator's answer is fast, this
one is what the user would see. Its output goes to a file, not a pipe, so a process a test leaves
behind cannot hold the verification up; pytest's process group goes when pytest is done. Applying replaces only the changed files, each through a temporary
file in the same directory, fsync and `os.replace`, with Ctrl-C held off between the first and the
last replace: at any moment each file is either the user's or the patched version, never a mix.
"""

from __future__ import annotations

import difflib
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from repair import _child as child
from repair.errors import RepairError
from repair.project import copy_project
from repair.tempdirs import TemporaryFolder
from repair.validate import pytest_arguments

OUTPUT_TAIL = 4000  # characters of pytest's output kept


class PatchConflict(RepairError):
    """A file changed on disk while the repair ran: the patch was not applied."""


@dataclass(frozen=True)
class Verification:
    passed: bool
    returncode: int  # pytest's exit code (-1: it ran out of time)
    output: str  # the tail of pytest's output


def unified_diff(originals: Mapping[str, bytes], patched: Mapping[str, bytes]) -> str:
    """A `git apply`-able diff from `originals` to `patched` (both: path -> bytes)."""
    chunks = []
    for path in sorted(patched):
        before = originals[path].decode("utf-8").splitlines(keepends=True)
        after = patched[path].decode("utf-8").splitlines(keepends=True)
        lines = list(difflib.unified_diff(before, after, f"a/{path}", f"b/{path}"))
        for line in lines:
            if line.endswith("\n"):
                chunks.append(line)
            else:  # the file's last line has no newline
                chunks.append(line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


def verify_patch(
    root: Path, tests: Sequence[str], files: Mapping[str, bytes], timeout: float
) -> Verification:
    """Run the whole suite once with `files` written into a temporary copy of `root`; at most
    `timeout` seconds in all, the copy included."""
    deadline = time.monotonic() + timeout
    with TemporaryFolder("repair-verify-") as work:
        copy = copy_project(root, work / "project")
        for relative, content in files.items():
            (copy / relative).write_bytes(content)
        command = [sys.executable, "-B", "-m", "pytest", *pytest_arguments(tests, copy, work)]
        with open(work / "output.log", "w+b") as output:
            process = subprocess.Popen(
                command,
                cwd=copy,
                env=child.child_environment(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                code = -1
            finally:
                child.kill_group(process.pid)  # with whatever its tests left running
                process.wait()
            output.seek(max(0, output.seek(0, os.SEEK_END) - 4 * OUTPUT_TAIL))
            text = output.read().decode("utf-8", "replace")[-OUTPUT_TAIL:]
    return Verification(code == 0, code, text)


@contextmanager
def _signals_held():
    """Hold SIGINT / SIGTERM / SIGHUP until the block is done (delivered right after)."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError):  # not the main thread, or no pthread_sigmask
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def apply_patch_atomically(
    root: Path, files: Mapping[str, bytes], expected: Mapping[str, bytes]
) -> list[Path]:
    """Replace each `root / path` by `files[path]`, if it still reads `expected[path]`.

    Every new file is written and fsynced beside its target first; then all targets are replaced
    back to back with signals held. A crash before the replaces leaves every file as it was; the
    temporary files are removed on any error. Returns the paths written.
    """
    root = Path(root).resolve()
    targets = {path: Path(os.path.realpath(root / path)) for path in files}
    for path, target in targets.items():
        if target.read_bytes() != expected[path]:
            raise PatchConflict(f"{path}: changed while repair ran; not applied")
    staged: list[tuple[Path, Path]] = []
    try:
        for path in sorted(files):
            target = targets[path]
            info = target.stat()
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            staged.append((Path(temporary), target))
            with os.fdopen(handle, "wb") as file:
                file.write(files[path])
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, stat.S_IMODE(info.st_mode))
            try:
                os.chown(temporary, info.st_uid, info.st_gid)
            except (PermissionError, OSError):
                pass  # not ours to give away; the mode is what matters
        with _signals_held():
            for temporary, target in staged:
                os.replace(temporary, target)
            staged_targets = [target for _, target in staged]
            staged = []
        for directory in {target.parent for target in staged_targets}:
            _fsync_directory(directory)
        return staged_targets
    finally:
        for temporary, _ in staged:
            try:
                temporary.unlink()
            except FileNotFoundError:
                pass


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
