"""Real functions for pre-training: the train-split repositories of the real-fix corpus (their
sources at the recorded commit and at commits sampled from their history) plus the standard
library, de-duplicated, with each function's file's module-level names (the names the copy head
may point at beyond the function's own).

Read from bare git directories (`DIR/OWNER+NAME/repo`, as for `training.mining`); nothing is
downloaded. Only repositories whose split is `train` in `data/realfix_repos.json` are read, and
every one is checked against the reserved list again. Each repository's functions are cached
(`~/.cache/repair/realcode` or `$REPAIR_REALCODE_CACHE`), so a rebuild re-reads no git directory.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sysconfig
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import tree_sitter

from repair.source import parse
from training.mining.gitlog import BlobReader
from training.mining.paths import is_python_source
from training.mining.reserved import reserved_reason


@dataclass(frozen=True)
class RealCodePolicy:
    versions: int = 8  # commits sampled evenly from each repository's history, beside its head
    min_bytes: int = 80  # functions shorter than this say too little (a bare `return x`)
    max_bytes: int = 4000  # longer ones cost a large graph for one corruption
    max_lines: int = 100
    max_file_bytes: int = 400_000  # generated tables and vendored bundles are not code to learn
    max_names: int = 200  # module-level names kept per file for the copy head

    def key(self) -> str:
        return hashlib.sha1(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:10]


# vendored copies of other projects (a dev or test repository's code among train files)
_VENDORED = re.compile(r"(^|/)(_?vendor(ed)?|extern(al)?|third_party|_lib)(/|$)")


@dataclass
class FileFunctions:
    """One file's functions (their text from the start of their first line, so a method keeps
    its indentation, as the mined fixes' `before` does) and its module-level names."""

    path: str
    names: list[str]
    functions: list[str]


def normalized_hash(text: str) -> str:
    """Equal for texts that differ only in whitespace: forks, moves and re-indents count once."""
    return hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:16]


def file_functions(data: bytes, path: str, policy: RealCodePolicy) -> FileFunctions | None:
    """The functions and module-level names of one file; None if it is not UTF-8 Python that
    parses."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    tree = parse(data)
    if tree.root_node.has_error:
        return None
    functions, names = [], {}
    stack: list[tree_sitter.Node] = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":  # outermost functions and methods, not nested
            start = data.rfind(b"\n", 0, node.start_byte) + 1
            text = data[start : node.end_byte]
            lines = node.end_point[0] - node.start_point[0] + 1
            if policy.min_bytes <= len(text) <= policy.max_bytes and lines <= policy.max_lines:
                functions.append(text.decode("utf-8") + "\n")
            continue
        if node.type == "identifier":  # outside every function: `repair.source`'s scope -1
            names[data[node.start_byte : node.end_byte].decode("utf-8")] = None
        stack.extend(reversed(node.children))
    return FileFunctions(path, list(names)[: policy.max_names], functions)


def _git(git_dir: Path, *args: str) -> str:
    command = ["git", "--git-dir", str(git_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def sampled_commits(git_dir: Path, head: str, versions: int) -> list[str]:
    """`head` and `versions` commits spread evenly over its first-parent history."""
    history = _git(git_dir, "rev-list", "--first-parent", head).split()
    if len(history) <= 1 or versions <= 0:
        return history[:1]
    step = len(history) / (versions + 1)
    picked = [history[min(len(history) - 1, round(step * (k + 1)))] for k in range(versions)]
    return list(dict.fromkeys([history[0], *picked]))


def python_blobs(git_dir: Path, commit: str, max_bytes: int) -> list[tuple[str, str]]:
    """(blob id, path) of the commit's non-test, non-vendored Python sources."""
    listing = _git(git_dir, "ls-tree", "-r", "-z", "--long", commit)
    found = []
    for entry in listing.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) != 4 or parts[1] != "blob" or not is_python_source(path):
            continue
        if _VENDORED.search(path) or parts[3] == "-" or int(parts[3]) > max_bytes:
            continue
        found.append((parts[2], path))
    return found


def repository_functions(
    git_dir: Path, repo: str, head: str, policy: RealCodePolicy
) -> list[FileFunctions]:
    """Every file version's functions in `repo` at `head` and the sampled history commits
    (each blob read once)."""
    reason = reserved_reason(repo)
    if reason:
        raise ValueError(f"refused: {reason}")
    seen: set[str] = set()
    result: list[FileFunctions] = []
    with BlobReader(git_dir) as reader:
        for commit in sampled_commits(git_dir, head, policy.versions):
            for blob, path in python_blobs(git_dir, commit, policy.max_file_bytes):
                if blob in seen:
                    continue
                seen.add(blob)
                data = reader.read(blob)
                found = file_functions(data, path, policy) if data is not None else None
                if found is not None and found.functions:
                    result.append(found)
    return result


def stdlib_files(policy: RealCodePolicy) -> list[FileFunctions]:
    """The running interpreter's standard library (tests, idlelib and site-packages left out)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    result = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if "site-packages" in path.parts or "idlelib" in path.parts or "test" in path.parts:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if len(data) <= policy.max_file_bytes:
            found = file_functions(data, f"stdlib/{relative}", policy)
            if found is not None and found.functions:
                result.append(found)
    return result


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "repair" / "realcode"
    return Path(os.environ.get("REPAIR_REALCODE_CACHE", default))


def cached_repository(
    git_root: Path, repo: str, head: str, policy: RealCodePolicy, cache: Path
) -> list[FileFunctions]:
    path = cache / f"{repo.replace('/', '+')}@{head[:12]}-{policy.key()}.json.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return [FileFunctions(**item) for item in json.load(handle)]
    git_dir = git_root / repo.replace("/", "+") / "repo"
    files = repository_functions(git_dir, repo, head, policy)
    cache.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with gzip.open(temporary, "wt", encoding="utf-8") as handle:
        json.dump([asdict(item) for item in files], handle)
    os.replace(temporary, path)
    return files


@dataclass
class FunctionCorpus:
    """De-duplicated functions, each with the index of its file's module-level names."""

    functions: list[tuple[int, str]]  # (file id, function text)
    names: list[list[str]]  # per file id
    sources: dict[str, int]  # functions kept per source (repository or "stdlib")


def assemble(
    sources: Iterable[tuple[str, list[FileFunctions]]],
    exclude: set[str],
    per_source: int,
    seed: int = 0,
) -> FunctionCorpus:
    """Functions of every source, de-duplicated by `normalized_hash` across all of them (the first
    source to hold one keeps it), without those in `exclude` (hashes of dev / test fixes'
    functions), at most `per_source` from one source (a random sample: no repository dominates)."""
    seen = set(exclude)
    functions: list[tuple[int, str]] = []
    names: list[list[str]] = []
    counts: dict[str, int] = {}
    for label, files in sources:
        kept: list[tuple[int, str]] = []
        for item in files:
            file_id = len(names)
            names.append(item.names)
            for text in item.functions:
                digest = normalized_hash(text)
                if digest not in seen:
                    seen.add(digest)
                    kept.append((file_id, text))
        if len(kept) > per_source:
            kept = random.Random(f"{seed}:{label}").sample(kept, per_source)
        functions.extend(kept)
        counts[label] = len(kept)
    used = sorted({file_id for file_id, _ in functions})
    renumber = {old: new for new, old in enumerate(used)}
    functions = [(renumber[file_id], text) for file_id, text in functions]
    random.Random(seed).shuffle(functions)
    return FunctionCorpus(functions, [names[old] for old in used], counts)


def iter_train_repositories(repos_json: Path) -> Iterator[tuple[str, str]]:
    """(owner/name, recorded commit) of every train-split repository, reserved ones refused."""
    for entry in json.loads(repos_json.read_text()):
        if entry.get("split") != "train":
            continue
        if reserved_reason(entry["repo"]):
            raise ValueError(f"{entry['repo']}: reserved, yet in the train split")
        yield entry["repo"], entry["commit"]
