"""The corpus from per-repository results: exclusions, dedupe, a split by repository, the files.

A repository lands in exactly one split: a pin when one names it (the pins file the lead edits,
then the real-bug benchmark's bugs.json and repositories.json), else a stable hash of owner/name
(~80/10/10 of repositories).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from training.mining.filters import skip_reason
from training.mining.licenses import is_permissive
from training.mining.miner import MineResult
from training.mining.reserved import is_held_out, refuse_reserved

SPLITS = ("train", "dev", "test")
PINS_PATH = Path("training/data/realfix_pins.json")
# The real-bug benchmark's repositories keep its split (written by bench/realbugs).
REALBUGS_PATHS = (Path("bench/realbugs/bugs.json"), Path("bench/realbugs/repositories.json"))


@dataclass(frozen=True)
class CorpusPolicy:
    dev_percent: int = 10  # of repositories, by hash; pins come on top
    test_percent: int = 10
    # A few long histories (sympy, twisted, astropy) would otherwise hold a third of the corpus and
    # most of a split; a stable sample of each keeps the repositories balanced and the file small.
    max_per_repository: int | None = 600


def hashed_split(repo: str, policy: CorpusPolicy = CorpusPolicy()) -> str:
    bucket = int(hashlib.sha256(repo.lower().encode()).hexdigest()[:8], 16) % 100
    if bucket < policy.test_percent:
        return "test"
    if bucket < policy.test_percent + policy.dev_percent:
        return "dev"
    return "train"


def load_pins(
    pins_path: Path = PINS_PATH, benchmark_paths: tuple[Path, ...] = REALBUGS_PATHS
) -> dict[str, str]:
    """owner/name (lower case) -> split: the real-bug benchmark's files, then the pins file."""
    pins: dict[str, str] = {}
    for path in benchmark_paths:
        if path.exists():
            pins.update(_benchmark_splits(json.loads(path.read_text())))
    if pins_path.exists():
        data = json.loads(pins_path.read_text())
        for repo, split in data.get("pins", {}).items():
            if split not in SPLITS:
                raise ValueError(f"{pins_path}: {repo} pinned to unknown split {split!r}")
            pins[repo.lower()] = split
    return pins


def _benchmark_splits(data: Any) -> dict[str, str]:
    """Splits from bugs.json (a list of bugs, each with repo and split) or repositories.json."""
    if isinstance(data, dict) and isinstance(data.get("repositories"), dict):
        pairs = list(data["repositories"].items())
    else:
        bugs = data.get("bugs", []) if isinstance(data, dict) else data
        pairs = [(bug.get("repo"), bug.get("split")) for bug in bugs if isinstance(bug, dict)]
    return {repo.lower(): split for repo, split in pairs if repo and split in SPLITS}


def split_of(repo: str, pins: dict[str, str], policy: CorpusPolicy = CorpusPolicy()) -> str:
    return pins.get(repo.lower()) or hashed_split(repo, policy)


def exclusion(result: MineResult, pins: dict[str, str]) -> str | None:
    """Why a mined repository stays out of the corpus, or None. Reserved ones raise."""
    refuse_reserved(result.repo)
    if not is_permissive(result.license):
        return f"license {result.license}"
    if is_held_out(result.repo) and result.repo.lower() not in pins:
        return "held out by another benchmark"
    return None


def pair_key(fix: dict[str, Any]) -> str:
    """The same change anywhere (a fork, a cherry-pick, a backport): whitespace-normalized text."""
    text = " ".join(fix["before"].split()) + "\x00" + " ".join(fix["after"].split())
    return hashlib.sha1(text.encode()).hexdigest()


def _timestamp(fix: dict[str, Any]) -> float:
    try:
        moment = datetime.fromisoformat(fix["date"])
    except (KeyError, ValueError):
        return float("inf")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def dedupe(fixes: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Keep the earliest commit of every (before, after) pair; return the rest's count."""
    ordered = sorted(fixes, key=lambda fix: (_timestamp(fix), fix["repo"], fix["commit"]))
    seen: set[str] = set()
    kept = []
    for fix in ordered:
        key = pair_key(fix)
        if key not in seen:
            seen.add(key)
            kept.append(fix)
    return kept, len(ordered) - len(kept)


def cap_per_repository(fixes: list[dict[str, Any]], cap: int | None) -> list[dict[str, Any]]:
    """At most `cap` fixes of each repository: those whose commit ids hash lowest (a stable,
    unbiased sample that does not move when other repositories change)."""
    if cap is None:
        return fixes
    by_repo: dict[str, list[dict[str, Any]]] = {}
    for fix in fixes:
        by_repo.setdefault(fix["repo"], []).append(fix)
    chosen: set[int] = set()
    for group in by_repo.values():
        ranked = sorted(group, key=lambda fix: hashlib.sha256(fix["commit"].encode()).hexdigest())
        chosen.update(id(fix) for fix in ranked[:cap])
    return [fix for fix in fixes if id(fix) in chosen]


@dataclass(frozen=True)
class Corpus:
    fixes: list[dict[str, Any]]  # in split, repository, date order, each with its split
    repositories: list[dict[str, Any]]  # the repository list: commit, license, split, counts
    duplicates: int


def assemble(
    results: list[MineResult], pins: dict[str, str], policy: CorpusPolicy = CorpusPolicy()
) -> Corpus:
    """Exclude, dedupe, sample and split the fixes of `results` (one per repository)."""
    included: list[dict[str, Any]] = []
    entries: dict[str, dict[str, Any]] = {}
    for result in results:
        reason = exclusion(result, pins)
        split = split_of(result.repo, pins, policy)
        entries[result.repo] = {
            "repo": result.repo,
            "commit": result.commit,
            "license": result.license,
            "split": None if reason else split,
            "commits": result.counts.get("commits", 0),
            "mined": len(result.fixes),
            "fixes": 0,
            **({"excluded": reason} if reason else {}),
        }
        if reason is None:
            # the record checks run again, so a refined check needs no re-mining
            kept_here = [fix for fix in result.fixes if skip_reason(fix) is None]
            entries[result.repo]["mined"] = len(kept_here)
            included.extend({**fix, "split": split} for fix in kept_here)
    kept, duplicates = dedupe(included)
    kept = cap_per_repository(kept, policy.max_per_repository)
    for fix in kept:
        entries[fix["repo"]]["fixes"] += 1
    order = {split: index for index, split in enumerate(SPLITS)}
    kept.sort(key=lambda fix: (order[fix["split"]], fix["repo"], _timestamp(fix), fix["commit"]))
    return Corpus(kept, sorted(entries.values(), key=lambda entry: entry["repo"]), duplicates)


def write_corpus(fixes: list[dict[str, Any]], path: Path) -> None:
    """One JSON object per line, gzip level 6 (twice as fast as 9 for 2 % more bytes). The gzip
    header holds no file name and a fixed time, so rebuilds are byte-identical wherever written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=6, mtime=0) as zipped,
    ):
        text = io.TextIOWrapper(zipped, encoding="utf-8")
        for fix in fixes:
            text.write(json.dumps(fix, ensure_ascii=False, sort_keys=True) + "\n")
        text.flush()
        text.detach()


def read_corpus(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            yield json.loads(line)
