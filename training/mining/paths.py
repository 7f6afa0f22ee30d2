"""Which changed paths count as Python source, and which as tests."""

from __future__ import annotations

from pathlib import PurePosixPath

_TEST_DIRECTORIES = frozenset({"test", "tests", "testing"})


def is_test_path(path: str) -> bool:
    """A file under test/, tests/ or testing/, or named test_*.py, *_test.py or conftest.py."""
    parts = PurePosixPath(path).parts
    if any(part.lower() in _TEST_DIRECTORIES for part in parts[:-1]):
        return True
    name = parts[-1] if parts else ""
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def is_python_source(path: str) -> bool:
    """A .py file that is not a test: the one file a mined fix may change."""
    return path.endswith(".py") and not is_test_path(path)
