"""The user's project on disk: its root, its Python source files, and a throwaway copy of it.

Tests always run in a copy (`copy_project`), so nothing `repair` does writes into the user's tree.
"""

from __future__ import annotations

import os
import shutil
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
        if not Path(path).exists():
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
        if any((directory / marker).exists() for marker in ROOT_MARKERS):
            return directory
    return common


def _is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").exists()


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
    named explicitly is kept even if it looks like a test.
    """
    check_paths_exist([*source_paths, *exclude])
    root = root.resolve()
    excluded = [Path(path).resolve() for path in exclude]

    def excluded_path(path: Path) -> bool:
        return any(path == ex or ex in path.parents for ex in excluded)

    found: set[Path] = set()
    for source in source_paths:
        source = Path(source).resolve()
        if source.is_file():
            if source.suffix == ".py":
                found.add(source)
            continue
        for directory, dirnames, filenames in os.walk(source):
            here = Path(directory)
            dirnames[:] = sorted(
                name
                for name in dirnames
                if _is_source_dir(here / name) and not excluded_path(here / name)
            )
            for name in filenames:
                path = here / name
                if name.endswith(".py") and not is_test_file(path) and not excluded_path(path):
                    found.add(path)
    return sorted(path.relative_to(root).as_posix() for path in found)


def _ignore_for_copy(directory: str, names: list[str]) -> set[str]:
    return {
        name
        for name in names
        if name in SKIPPED_DIRS
        or name.endswith(SKIPPED_SUFFIXES)
        or _is_virtualenv(Path(directory, name))
    }


def copy_project(root: Path, dest: Path) -> Path:
    """Copy the project tree at `root` into `dest` (created), leaving out caches and environments.

    Symbolic links are copied as links, so a link to a large data directory costs nothing.
    """
    check_paths_exist([root])
    shutil.copytree(root, dest, symlinks=True, ignore=_ignore_for_copy, dirs_exist_ok=True)
    return dest
