"""python -m training.mining {mine, build, stats}: mine one git dir, build the corpus, its shape.

mine GIT_DIR [--repo OWNER/NAME] [--commit C]   mine one bare git dir (cached), print counts
build --repos LIST --git-root DIR --out CORPUS  the corpus from every listed repository
stats CORPUS [--out TABLE]                      the corpus's shape table
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from training.mining import cache, corpus, shape
from training.mining.gitlog import GitError, resolve
from training.mining.miner import MineResult, MinerPolicy, mine
from training.mining.reserved import ReservedRepositoryError, refuse_reserved


def git_dir_of(git_root: Path, repo: str) -> Path:
    """Where `git clone --bare https://github.com/OWNER/NAME` was put: GIT_ROOT/OWNER+NAME/repo."""
    return git_root / repo.replace("/", "+") / "repo"


def repo_from_path(git_dir: Path) -> str:
    """OWNER/NAME from a path .../OWNER+NAME/repo (or .../OWNER+NAME)."""
    folder = git_dir.parent if git_dir.name in ("repo", ".git") else git_dir
    if "+" not in folder.name:
        raise SystemExit(f"cannot tell OWNER/NAME from {git_dir}: pass --repo")
    return folder.name.replace("+", "/", 1)


def mine_cached(
    git_dir: Path, repo: str, commit: str | None, cache_dir: Path, policy: MinerPolicy
) -> MineResult:
    refuse_reserved(repo)  # before the git dir is read at all
    commit = commit or resolve(git_dir)
    cached = cache.load(cache_dir, repo, commit, policy)
    if cached is not None:
        return cached
    result = mine(git_dir, repo, commit, policy)
    cache.save(result, cache_dir, policy)
    return result


def _mine_job(job: tuple[Path, str, str | None, Path, MinerPolicy]) -> MineResult:
    return mine_cached(*job)


def command_mine(args: argparse.Namespace) -> int:
    repo = args.repo or repo_from_path(args.git_dir)
    started = time.monotonic()
    result = mine_cached(args.git_dir, repo, args.commit, args.cache, MinerPolicy())
    counts = ", ".join(f"{key} {value}" for key, value in sorted(result.counts.items()))
    print(f"{repo} at {result.commit[:12]} ({result.license}): {len(result.fixes)} fixes")
    print(f"  {counts}; {time.monotonic() - started:.1f} s")
    return 0


def command_build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    entries = json.loads(args.repos.read_text()) if args.repos.exists() else []
    known = {entry["repo"].lower() for entry in entries}
    for repo in args.add:
        refuse_reserved(repo)
        if repo.lower() not in known:
            entries.append({"repo": repo})
            known.add(repo.lower())
    jobs, carried = [], []
    for entry in entries:
        git_dir = git_dir_of(args.git_root, entry["repo"])
        commit = entry.get("commit")
        if commit is None:
            commit = resolve(git_dir)  # a new entry is recorded at the head it was mined from
        job = (git_dir, entry["repo"], commit, args.cache, MinerPolicy())
        if git_dir.exists() or cache.cache_path(args.cache, *job[1:3], job[4]).exists():
            jobs.append(job)
        elif entry.get("excluded"):
            carried.append(entry)  # excluded before (a license, say): nothing to clone for it
        else:
            raise SystemExit(
                f"no git dir and no cache for {entry['repo']}: clone it with"
                f" git clone --bare https://github.com/{entry['repo']} {git_dir}"
            )
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(_mine_job, jobs))
    else:
        results = [_mine_job(job) for job in jobs]
    policy = corpus.CorpusPolicy(max_per_repository=args.max_per_repo or None)
    built = corpus.assemble(results, corpus.load_pins(args.pins, tuple(args.realbugs)), policy)
    corpus.write_corpus(built.fixes, args.out)
    args.repos.parent.mkdir(parents=True, exist_ok=True)
    listed = sorted(built.repositories + carried, key=lambda entry: entry["repo"].lower())
    args.repos.write_text(json.dumps(listed, indent=1) + "\n")
    per_split = {
        split: sum(fix["split"] == split for fix in built.fixes) for split in corpus.SPLITS
    }
    kept = sum(entry["fixes"] > 0 for entry in built.repositories)
    skipped: Counter[str] = Counter()
    for result in results:
        skipped.update(result.counts)
    print("miner counts over all repositories:", dict(skipped.most_common()))
    print(
        f"{len(built.fixes)} fixes from {kept} repositories ({built.duplicates} duplicates dropped)"
        f" {per_split}; {args.out} {args.out.stat().st_size / 1e6:.1f} MB;"
        f" {time.monotonic() - started:.1f} s"
    )
    return 0


def command_stats(args: argparse.Namespace) -> int:
    table = shape.shape_table(list(corpus.read_corpus(args.corpus)), str(args.corpus))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table)
    print(table, end="")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m training.mining", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    one = commands.add_parser("mine", help="mine one bare git directory")
    one.add_argument("git_dir", type=Path)
    one.add_argument("--repo", help="OWNER/NAME (default: from a path .../OWNER+NAME/repo)")
    one.add_argument("--commit", help="walk history back from this commit (default: HEAD)")
    one.add_argument("--cache", type=Path, default=cache.DEFAULT_CACHE)
    one.set_defaults(run=command_mine)
    build = commands.add_parser("build", help="build the corpus from a repository list")
    build.add_argument("--repos", type=Path, default=Path("training/data/realfix_repos.json"))
    build.add_argument("--git-root", type=Path, required=True, help="holds OWNER+NAME/repo dirs")
    build.add_argument("--out", type=Path, default=Path("training/data/realfixes.jsonl.gz"))
    build.add_argument("--cache", type=Path, default=cache.DEFAULT_CACHE)
    build.add_argument("--add", nargs="*", default=[], metavar="OWNER/NAME")
    build.add_argument("--pins", type=Path, default=corpus.PINS_PATH)
    build.add_argument(
        "--realbugs",
        type=Path,
        nargs="*",
        default=list(corpus.REALBUGS_PATHS),
        help="the real-bug benchmark's bugs.json / repositories.json: their repos keep their split",
    )
    build.add_argument("--jobs", type=int, default=1, help="repositories mined at once")
    build.add_argument(
        "--max-per-repo",
        type=int,
        default=corpus.CorpusPolicy().max_per_repository,
        help="a stable sample of at most this many fixes per repository (0: all)",
    )
    build.set_defaults(run=command_build)
    stats = commands.add_parser("stats", help="the corpus's shape table")
    stats.add_argument("corpus", type=Path)
    stats.add_argument("--out", type=Path)
    stats.set_defaults(run=command_stats)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ReservedRepositoryError, GitError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
