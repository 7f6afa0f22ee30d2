"""Temporary folders of a run (`repair-run-*`, `repair-validate-*`, `repair-verify-*`), and the
sweeping of those that runs killed with SIGKILL left behind.

Each folder holds an owner file naming the process that made it (its pid and, on Linux, its
start time, so a reused pid is not mistaken for it). The first folder a process makes sweeps the
temporary directory once: a folder with one of our prefixes, owned by us (the user), whose owner
process is gone, is removed. Folders without an owner file (being made, or made by an older
version) and folders of live processes are left alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PREFIXES = ("repair-run-", "repair-validate-", "repair-verify-")
OWNER_FILE = ".repair-owner"
_swept: set[str] = set()  # temporary directories this process has swept


class TemporaryFolder:
    """A fresh folder under the temporary directory, removed on `cleanup` (or leaving the
    `with` block), with an owner file so that a later run can sweep it if this one is killed.

    Args:
        prefix: one of PREFIXES.
    """

    def __init__(self, prefix: str):
        if prefix not in PREFIXES:
            raise ValueError(f"{prefix!r}: not one of {PREFIXES}")
        parent = tempfile.gettempdir()
        if parent not in _swept:
            _swept.add(parent)
            sweep_stale(Path(parent))
        self.name = tempfile.mkdtemp(prefix=prefix)
        self.path = Path(self.name).resolve()
        _write_owner(self.path)

    def cleanup(self) -> None:
        shutil.rmtree(self.name, ignore_errors=True)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


def sweep_stale(parent: Path | None = None) -> list[Path]:
    """Remove the folders of dead runs under `parent` (default: the temporary directory);
    returns those removed."""
    parent = Path(parent or tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    uid = os.getuid()
    for entry in entries:
        if not entry.name.startswith(PREFIXES):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat().st_uid != uid:
                continue
        except OSError:
            continue
        owner = _read_owner(Path(entry.path))
        if owner is not None and not _alive(*owner):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _process_stat(pid: int) -> tuple[str, str] | None:
    """(state, clock ticks after boot at which it started) of `pid`, from /proc/PID/stat
    (fields 3 and 22), or None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            data = file.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from its last ")".
    fields = data[data.rindex(b")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0].decode(), fields[19].decode()


def _start_time(pid: int) -> str | None:
    stat = _process_stat(pid)
    return stat[1] if stat else None


def _write_owner(folder: Path) -> None:
    pid = os.getpid()
    text = f"{pid} {_start_time(pid) or '-'}\n"
    temporary = folder / (OWNER_FILE + ".tmp")
    temporary.write_text(text, encoding="ascii")
    os.replace(temporary, folder / OWNER_FILE)  # a sweep sees the whole file or none


def _read_owner(folder: Path) -> tuple[int, str] | None:
    try:
        pid, started = (folder / OWNER_FILE).read_text(encoding="ascii").split()
        return int(pid), started
    except (OSError, ValueError):
        return None


def _alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone's process, so not a run of ours; leave its folder
    stat = _process_stat(pid)
    if stat is None:  # no /proc: the pid is in use, by our run or not
        return True
    state, now = stat
    return state not in ("Z", "X") and (started == "-" or now == started)
