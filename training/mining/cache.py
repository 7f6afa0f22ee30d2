"""Per-repository mining results on disk: one jsonl.gz per (repository, commit, miner policy).

The first line holds what the miner learnt about the repository (license, skip counts); every
other line is one fix. The corpus build reads these, so re-splitting never re-mines.
"""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from pathlib import Path

from training.mining.miner import MineResult, MinerPolicy

DEFAULT_CACHE = Path(
    os.environ.get("REPAIR_MINING_CACHE", Path.home() / ".cache" / "repair" / "realfixes")
)


def cache_path(cache_dir: Path, repo: str, commit: str, policy: MinerPolicy) -> Path:
    return cache_dir / repo.replace("/", "+") / f"{commit}-{policy.cache_key()}.jsonl.gz"


def save(result: MineResult, cache_dir: Path, policy: MinerPolicy) -> Path:
    path = cache_path(cache_dir, result.repo, result.commit, policy)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with gzip.open(partial, "wt", encoding="utf-8") as stream:
        header = {
            "repo": result.repo,
            "commit": result.commit,
            "license": result.license,
            "counts": dict(result.counts),
        }
        stream.write(json.dumps(header) + "\n")
        for fix in result.fixes:
            stream.write(json.dumps(fix, ensure_ascii=False) + "\n")
    partial.replace(path)  # a killed run never leaves a truncated entry behind
    return path


def load(cache_dir: Path, repo: str, commit: str, policy: MinerPolicy) -> MineResult | None:
    path = cache_path(cache_dir, repo, commit, policy)
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        header = json.loads(stream.readline())
        fixes = [json.loads(line) for line in stream]
    return MineResult(
        header["repo"], header["commit"], header["license"], fixes, Counter(header["counts"])
    )
