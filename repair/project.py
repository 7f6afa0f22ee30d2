"""The user's project on disk: its root, its Python source files, and a throwaway copy of it.

Tests always run in a copy (`copy_project`), so nothing `repair` does writes into the user's tree,
and the copy never leads back into it: a symbolic link is copied as a relative link to the same
place in the copy, and one that leads outside the project is refused. Paths that cannot be read
(unreadable folders and files, dangling links or link loops among the sources) and special files
among the sources (a FIFO would block the first read for ever) are refused with one line naming
them; special files elsewhere are left out of the copy.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from repair.errors import BadInput

# A directory holding one of these is a project root, as pytest and packaging tools see it.
ROOT_MARKERS = ("pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini", "setup.py", ".git")
# Never copied, never searched for source: version control, environments, caches.
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache"}
    | {".ruff_cache", ".tox", ".nox", "node_modules"}
)
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# Copied, but never searched for source.
NOT_SOURCE_DIRS = frozenset({"build", "dist"})
TEST_DIR_NAMES = frozenset({"tests", "test", "testing"})
NOT_SOURCE_FILES = frozenset({"conftest.py", "setup.py", "noxfile.py"})


def check_paths_exist(paths: Iterable[Path]) -> None:
    for path in paths:
        if not os.path.exists(path):  # False, not an error, under an unreadable folder
            raise BadInput(f"{path}: no such file or directory")


def find_project_root(source_paths: Sequence[Path], test_paths: Sequence[Path]) -> Path:
    """The nearest directory above all the paths that holds a root marker.

    Falls back to the paths' common parent. The result is absolute and contains every path, so a
    copy of it holds the sources, the tests and the pytest configuration that applies to them.
    """
    paths = [Path(path) for path in (*source_paths, *test_paths)]
    if not paths:
        raise BadInput("no source or test paths given")
    check_paths_exist(paths)
    resolved = [path.resolve() for path in paths]
    common = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in resolved]))
    for directory in (common, *common.parents):
        if any(os.path.exists(directory / marker) for marker in ROOT_MARKERS):
            return directory
    return common


def _is_virtualenv(path: Path) -> bool:
    return os.path.exists(path / "pyvenv.cfg")  # False in an unreadable folder (Path raises)


def _is_source_dir(path: Path) -> bool:
    name = path.name
    return not (
        name in SKIPPED_DIRS
        or name in NOT_SOURCE_DIRS
        or name in TEST_DIR_NAMES
        or name.startswith(".")
        or name.endswith(".egg-info")
        or _is_virtualenv(path)
    )


def is_test_file(path: Path) -> bool:
    name = path.name
    return name.startswith("test_") or name.endswith("_test.py") or name in NOT_SOURCE_FILES


def list_source_files(
    source_paths: Sequence[Path], root: Path, exclude: Sequence[Path] = ()
) -> list[str]:
    """Python files under `source_paths`, as sorted POSIX paths relative to `root`.

    Skips test files and directories (anything under `exclude`, `test_*.py`, `conftest.py`,
    directories named tests/test), hidden directories, virtual environments and caches. A file
    named explicitly is kept even if it looks like a test. A symbolic link to a file in the
    project is listed as that file (once). BadInput names a source that cannot be read: an
    unreadable folder or file, a dangling link, a link loop, a link out of the project, or
    something other than a regular file.
    """
    check_paths_exist([*source_paths, *exclude])
    root = root.resolve()
    excluded = [Path(path).resolve() for path in exclude]

    def excluded_path(path: Path) -> bool:
        return any(path == ex or ex in path.parents for ex in excluded)

    found: set[Path] = set()
    for source in source_paths:
        source = Path(source)
        if not source.is_dir():  # a file named explicitly
            if source.suffix == ".py":
                found.add(_source_file(source.absolute(), root))
            continue
        source = source.resolve()
        for directory, dirnames, filenames in os.walk(source, onerror=_refuse_unreadable):
            here = Path(directory)
            dirnames[:] = sorted(
                name
                for name in dirnames
                if _is_source_dir(here / name) and not excluded_path(here / name)
            )
            for name in filenames:
                path = here / name
                if name.endswith(".py") and not is_test_file(path) and not excluded_path(path):
                    real = _source_file(path, root)
                    if not excluded_path(real):
                        found.add(real)
    return sorted(path.relative_to(root).as_posix() for path in found)


def _readable(path: Path) -> bool:
    return os.access(path, os.R_OK)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _source_file(path: Path, root: Path) -> Path:
    """The real file a listed source is (through a link to another file of the project)."""
    try:
        real = Path(os.path.realpath(path, strict=True))
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise BadInput(f"{path}: a symbolic link loop") from None
        if path.is_symlink() and error.errno == errno.ENOENT:
            raise BadInput(f"{path}: a symbolic link to a missing file") from None
        raise BadInput(f"{path}: cannot read ({error.strerror})") from None
    if not _inside(real, root):
        raise BadInput(f"{path}: a symbolic link to {real}, outside the project {root}")
    if not stat.S_ISREG(real.stat().st_mode):
        raise BadInput(f"{path}: not a regular file")
    if not _readable(real):
        raise BadInput(f"{path}: cannot read (permission denied)")
    return real


def _refuse_unreadable(error: OSError) -> None:
    raise BadInput(f"{error.filename}: cannot read ({error.strerror})")


def _ignore_for_copy(directory: str, names: list[str]) -> set[str]:
    return {
        name
        for name in names
        if name in SKIPPED_DIRS
        or name.endswith(SKIPPED_SUFFIXES)
        or _is_virtualenv(Path(directory, name))
    }


def copy_project(root: Path, dest: Path) -> Path:
    """Copy the project tree at `root` into `dest` (created), leaving out caches, environments
    and special files (FIFOs, sockets, devices).

    A symbolic link becomes a relative link to the same place in the copy (a link costs
    nothing, and a test that writes through it writes into the copy); BadInput for a link that
    leads out of the project, or a folder or file that cannot be read.
    """
    check_paths_exist([root])
    root = Path(root).resolve()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    folders = [(root, dest)]
    for directory, dirnames, filenames in os.walk(root, onerror=_refuse_unreadable):
        here = Path(directory)
        there = dest / here.relative_to(root)
        ignored = _ignore_for_copy(directory, dirnames + filenames)
        links = [name for name in dirnames + filenames if (here / name).is_symlink()]
        dirnames[:] = [name for name in dirnames if name not in ignored and name not in links]
        for name in dirnames:
            (there / name).mkdir(exist_ok=True)
            folders.append((here / name, there / name))
        for name in filenames:
            if name in ignored or name in links:
                continue
            path = here / name
            if not stat.S_ISREG(path.lstat().st_mode):
                continue  # a FIFO would block a read for ever; no test reads these the same way
            try:
                shutil.copy2(path, there / name)
            except OSError as error:
                raise BadInput(f"{path}: cannot read ({error.strerror})") from None
        for name in links:
            if name not in ignored:
                _copy_link(here / name, root, dest, there / name)
    for source, copy in reversed(folders):  # modes last: a read-only folder is filled first
        try:
            shutil.copystat(source, copy)
        except OSError:
            pass
    return dest


def _copy_link(link: Path, root: Path, dest: Path, copy: Path) -> None:
    """`copy`: a relative link to where `link` leads, in the copy; BadInput if that is outside
    the project (a test writing through it would write into the user's files)."""
    leads_to = Path(os.path.realpath(link))  # through every link that exists
    if not _inside(leads_to, root):
        raise BadInput(
            f"{link}: a symbolic link to {os.readlink(link)}, outside the project; "
            "repair runs tests in a copy, which must not reach your files"
        )
    os.symlink(os.path.relpath(dest / leads_to.relative_to(root), copy.parent), copy)
