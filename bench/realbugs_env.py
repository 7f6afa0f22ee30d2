"""Real bugs on disk: a bug's tree from its repository's git directory, the venv that runs its
tests, and which of its tests pass or fail there.

A bug is a fix commit of a public repository (`bench/realbugs/bugs.json`). Its *fixed* tree is
the commit's tree; its *buggy* tree is the same with the fixed file as it was in the parent (the
source fix reverted, the fix's new tests kept). Trees and venvs live in a cache outside the
repository (`~/.cache/repair-realbugs`), never in it.

A venv is made per repository and pinned requirements. Its python sees, in this order: the
project's requirements, then the site-packages of the python running this script (the one that
has `repair` and torch), through a `.pth` file, so `repair fix` runs inside it and the project's
own pins win. The project itself is not installed: a second `.pth` puts `<cwd>/<pythonpath>` first
on `sys.path` (`src` for src layouts), so whichever tree a test run starts in is what it imports,
`repair`'s scratch copies included (it runs tests with `python -I`, which ignores PYTHONPATH).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

CACHE = Path(os.environ.get("REPAIR_REALBUGS_CACHE", Path.home() / ".cache" / "repair-realbugs"))
GIT_ROOT = Path("/work/.mirror")

# A pytest plugin that writes each test's outcome as a JSON line: node ids exactly as pytest
# names them, which `-rA` output cannot give for ids with spaces or " - ".
_OUTCOME_PLUGIN = """
import json, os
_final = {}
def pytest_runtest_logreport(report):
    before = _final.get(report.nodeid)
    if report.failed:
        _final[report.nodeid] = "error" if report.when != "call" else "failed"
    elif report.when == "call" or (report.skipped and before is None):
        _final[report.nodeid] = before if before in ("failed", "error") else report.outcome
def pytest_collectreport(report):
    if report.failed:
        _final[report.nodeid or "<collection>"] = "collection error"
def pytest_sessionfinish(session):
    with open(os.environ["REALBUGS_OUTCOMES"], "w") as stream:
        json.dump(_final, stream)
"""


def git_dir(repo: str, git_root: Path = GIT_ROOT) -> Path:
    """The bare git directory of `repo` ("owner/name") as the fetch tool lays it out."""
    base = Path(git_root) / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(gitdir), *args], check=True, capture_output=True
    ).stdout


def materialize(bug: dict, dest: Path, git_root: Path = GIT_ROOT, buggy: bool = True) -> Path:
    """Write the bug's fixed tree into `dest` (made empty first), and with `buggy` put back the
    fixed file as the parent commit had it: the buggy program with the fix's tests."""
    gitdir = git_dir(bug["repo"], git_root)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = git(gitdir, "archive", "--format=tar", bug["fixed_commit"])
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    if buggy:
        before = git(gitdir, "show", f"{bug['buggy_commit']}:{bug['file']}")
        (dest / bug["file"]).write_bytes(before)
    return dest


def venv_key(bug: dict) -> str:
    spec = json.dumps([bug["repo"], bug["requirements"], bug.get("pythonpath", ".")])
    name = bug["repo"].replace("/", "+")
    return f"{name}-{hashlib.sha256(spec.encode()).hexdigest()[:10]}"


def venv_python(bug: dict, cache: Path = CACHE) -> Path:
    return cache / "venvs" / venv_key(bug) / "bin" / "python"


def ensure_venv(bug: dict, cache: Path = CACHE, log=print) -> Path:
    """The python of the bug's venv, made (and its requirements installed) on first use."""
    python = venv_python(bug, cache)
    folder = python.parent.parent
    if (folder / ".complete").exists():
        return python
    if folder.exists():
        shutil.rmtree(folder)
    log(f"making {folder} ({len(bug['requirements'])} requirements)")
    make_venv(folder, bug["requirements"], bug.get("pythonpath", "."))
    (folder / ".complete").write_text("\n".join(bug["requirements"]) + "\n")
    return python


def make_venv(folder: Path, requirements: Sequence[str], pythonpath: str = ".") -> Path:
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    if requirements:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *requirements],
            check=True,
            stdin=subprocess.DEVNULL,
        )
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # `zz` sorts last: the project's packages come before repair's on sys.path.
    repair_site = sysconfig.get_paths()["purelib"]
    (site / "zz_repair_site.pth").write_text(f"import site; site.addsitedir({repair_site!r})\n")
    (site / "aa_realbugs_tree.pth").write_text(
        "import os, sys; sys.path.insert(0, os.path.join(os.getcwd(), "
        f"{pythonpath!r})) if os.path.isdir({pythonpath!r}) else None\n"
    )
    return python


def freeze(python: Path) -> list[str]:
    """The pinned requirements installed in a venv (pip's own tools left out)."""
    done = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--all", "--local"],
        check=True,
        capture_output=True,
        text=True,
    )
    skip = ("pip==", "setuptools==", "wheel==")
    return sorted(line for line in done.stdout.splitlines() if line and not line.startswith(skip))


def run_outcomes(
    python: Path, tree: Path, tests: Sequence[str], timeout: float = 300
) -> dict[str, str]:
    """Run pytest on `tests` (paths or node ids, relative to `tree`) with `python`, in `tree`;
    each test's outcome: passed / failed / error / skipped / collection error. An empty dict
    when pytest could not run or ran past `timeout`."""
    with tempfile.TemporaryDirectory(prefix="realbugs-run-") as tmp:
        (Path(tmp) / "realbugs_outcomes.py").write_text(_OUTCOME_PLUGIN)
        results = Path(tmp) / "outcomes.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV"))}
        env.update(
            PYTHONPATH=tmp, REALBUGS_OUTCOMES=str(results), PYTHONDONTWRITEBYTECODE="1"
        )  # fmt: skip
        command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["-p", "realbugs_outcomes", "--continue-on-collection-errors", *tests]
        try:
            subprocess.run(
                command,
                cwd=tree,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {}
        if not results.exists():
            return {}
        return json.loads(results.read_text())
