"""A bare git directory's history through `git` subprocesses: commit summaries and blobs.

`git log --raw` names each commit's changed files and blob ids from the trees alone, so it streams
tens of thousands of commits in a second and never needs a file's contents (snapshots may lack
large blobs, which would break `--numstat`). Blobs are read only for commits the cheap filter
keeps, through one long-lived `git cat-file --batch`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Fields of one commit header in `git log`, separated by \x01; each commit starts with \x00.
_FORMAT = "%x00%H%x01%P%x01%aI%x01%s"


class GitError(RuntimeError):
    """A git command failed (not a git directory, unknown revision, ...)."""


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # M(odified), A(dded), D(eleted), T(ype changed)
    old_blob: str
    new_blob: str
    regular: bool  # a plain file on both sides (not a link or a submodule)


@dataclass(frozen=True)
class CommitSummary:
    commit: str
    parents: tuple[str, ...]
    date: str  # author date, ISO 8601
    subject: str
    files: tuple[FileChange, ...]


def git(git_dir: Path, *args: str) -> str:
    """Run one git command in `git_dir` and return its stdout (decoded leniently)."""
    result = subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], capture_output=True, check=False
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


_REGULAR_MODES = ("100644", "100755")


def _file_change(line: str) -> FileChange | None:
    # ":100644 100644 <old blob> <new blob> M\tpath"
    fields, _, path = line.partition("\t")
    parts = fields.lstrip(":").split()
    if len(parts) != 5:
        return None
    old_mode, new_mode, old_blob, new_blob, status = parts
    regular = old_mode in _REGULAR_MODES and new_mode in _REGULAR_MODES
    return FileChange(_unquote(path), status[:1], old_blob, new_blob, regular)


def commit_summaries(git_dir: Path, head: str) -> Iterator[CommitSummary]:
    """Every non-merge commit reachable from `head`, newest first, with its changed files."""
    command = ["git", "--git-dir", str(git_dir), "log", "--no-merges", "--no-renames"]
    command += [f"--format={_FORMAT}", "--raw", "--no-abbrev", head]
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
            elif line.startswith(":") and header is not None:
                change = _file_change(line)
                if change is not None:
                    files.append(change)
        if header is not None:
            yield _summary(header, files)
    if process.returncode not in (0, None):
        raise GitError(f"git log {head} in {git_dir} failed ({process.returncode})")


def _summary(header: list[str], files: list[FileChange]) -> CommitSummary:
    commit, parents, date, subject = (header + ["", "", ""])[:4]
    return CommitSummary(commit, tuple(parents.split()), date, subject.strip(), tuple(files))


class BlobReader:
    """One long-lived `git cat-file --batch`: blobs by id or `revision:path`, no process each."""

    def __init__(self, git_dir: Path) -> None:
        command = ["git", "--git-dir", str(git_dir), "cat-file", "--batch"]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, revision: str, path: str | None = None) -> bytes | None:
        """The blob `revision` (an id), or `path` at `revision`; None if missing or not a file."""
        name = revision if path is None else f"{revision}:{path}"
        if "\n" in name:
            return None
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(f"{name}\n".encode())
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
