"""A bare git directory's history through `git` subprocesses: commit summaries, diffs, blobs.

Everything streams: `git log --numstat` over tens of thousands of commits is read line by line, so
the cheap filters (one Python file, a few lines) run before any diff or blob is read.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Fields of one commit header in `git log`, separated by \x01; each commit starts with \x00.
_FORMAT = "%x00%H%x01%P%x01%aI%x01%s"


class GitError(RuntimeError):
    """A git command failed (not a git directory, unknown revision, ...)."""


@dataclass(frozen=True)
class FileChange:
    path: str
    added: int | None  # None for a binary file
    deleted: int | None


@dataclass(frozen=True)
class CommitSummary:
    commit: str
    parents: tuple[str, ...]
    date: str  # author date, ISO 8601
    subject: str
    files: tuple[FileChange, ...]


def git(git_dir: Path, *args: str, input_text: str | None = None) -> str:
    """Run one git command in `git_dir` and return its stdout (decoded leniently)."""
    result = subprocess.run(
        ["git", "--git-dir", str(git_dir), *args],
        input=input_text.encode() if input_text is not None else None,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {' '.join(args[:2])} in {git_dir}: {message}")
    return result.stdout.decode("utf-8", "replace")


def resolve(git_dir: Path, revision: str = "HEAD") -> str:
    """The full commit id of `revision`."""
    return git(git_dir, "rev-parse", "--verify", f"{revision}^{{commit}}").strip()


def _unquote(path: str) -> str:
    # git quotes paths with unusual characters in C style; such paths are rare in Python projects
    if path.startswith('"') and path.endswith('"'):
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return path


def _file_change(line: str) -> FileChange:
    added, deleted, path = line.split("\t", 2)
    return FileChange(
        _unquote(path),
        None if added == "-" else int(added),
        None if deleted == "-" else int(deleted),
    )


def commit_summaries(git_dir: Path, head: str) -> Iterator[CommitSummary]:
    """Every non-merge commit reachable from `head`, newest first, with its per-file line counts."""
    command = ["git", "--git-dir", str(git_dir), "log", "--no-merges", "--no-renames"]
    command += [f"--format={_FORMAT}", "--numstat", head]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        header: list[str] | None = None
        files: list[FileChange] = []
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith("\x00"):
                if header is not None:
                    yield _summary(header, files)
                header, files = line[1:].split("\x01", 3), []
            elif line and header is not None:
                files.append(_file_change(line))
        if header is not None:
            yield _summary(header, files)
    if process.returncode not in (0, None):
        raise GitError(f"git log {head} in {git_dir} failed ({process.returncode})")


def _summary(header: list[str], files: list[FileChange]) -> CommitSummary:
    commit, parents, date, subject = (header + ["", "", ""])[:4]
    return CommitSummary(commit, tuple(parents.split()), date, subject.strip(), tuple(files))


def zero_context_diffs(git_dir: Path, commits: Iterable[str]) -> dict[str, str]:
    """Each commit's diff against its parent with no context lines (Python files only)."""
    ids = list(commits)
    if not ids:
        return {}
    output = git(
        git_dir,
        "diff-tree",
        "--stdin",
        "-p",
        "-U0",
        "--no-renames",
        "--no-color",
        "--",
        "*.py",
        input_text="\n".join(ids) + "\n",
    )
    wanted = set(ids)
    diffs: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines(keepends=True):
        stripped = line.strip()
        if stripped in wanted:  # diff-tree --stdin prints the commit id before its diff
            current = diffs.setdefault(stripped, [])
        elif current is not None:
            current.append(line)
    return {commit: "".join(lines) for commit, lines in diffs.items()}


class BlobReader:
    """One long-lived `git cat-file --batch`: file contents by `revision:path`, without a process each."""

    def __init__(self, git_dir: Path) -> None:
        command = ["git", "--git-dir", str(git_dir), "cat-file", "--batch"]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, revision: str, path: str) -> bytes | None:
        """The bytes of `path` at `revision`, or None if it is missing or not a file."""
        if "\n" in path:
            return None
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(f"{revision}:{path}\n".encode())
        self._process.stdin.flush()
        header = self._process.stdout.readline().decode("utf-8", "replace").split()
        if len(header) != 3:  # "<name> missing" or "<name> ambiguous"
            return None
        size = int(header[2])
        data = self._process.stdout.read(size)
        self._process.stdout.read(1)  # the newline after every object
        return data if header[1] == "blob" else None

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def top_level_files(git_dir: Path, commit: str) -> list[str]:
    return git(git_dir, "ls-tree", "--name-only", commit).splitlines()
