"""Mine one repository: the small, parseable, single-hunk fixes in its history.

The filters run cheapest first: the changed files of `git log --raw` (one non-test .py file,
modified), then the two blobs' differing lines (one block of at most `max_lines` lines), then
parsing, the enclosing region, and the token alignment (at most `max_tokens` token edits).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from repair.source import parse
from training.mining import gitlog
from training.mining.align import edit_script, region_tokens
from training.mining.filters import skip_reason
from training.mining.hunks import Hunk, single_hunk
from training.mining.licenses import is_permissive, repository_license
from training.mining.paths import is_python_source, is_test_path
from training.mining.regions import enclosing_region, line_span_bytes
from training.mining.reserved import declared_project_names, refuse_reserved

# A message that reads like a fix: recorded as a field, never used to filter.
_FIX_WORDS = re.compile(
    r"\b(fix(e[sd])?|fixing|bugs?|bugfix|wrong|incorrect|typo|off[- ]by[- ]one|regression|"
    r"broken|crash(es|ed)?|issue|close[sd]?|resolve[sd]?|mistake)\b"
    r"|(?<![\w&])#\d+|\bgh-\d+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MinerPolicy:
    """Every knob that decides which commits become fixes; `cache_key` names a cache entry."""

    max_lines: int = 3  # changed lines in the one hunk (the larger side)
    max_tokens: int = 8  # token edits once aligned
    max_region_lines: int = 150  # a longer enclosing function is skipped, to keep the corpus small
    window_context: int = 1  # statements either side of a module/class-level change
    version: int = 3  # bump when the miner's output changes for the same policy

    def cache_key(self) -> str:
        return "-".join(f"{value}" for value in asdict(self).values())


# Changes that are not code: documentation builds and packaging metadata.
_NOT_CODE_DIRECTORIES = frozenset({"doc", "docs"})
_NOT_CODE_FILES = frozenset({"setup.py"})


def _is_code_path(path: str) -> bool:
    parts = path.split("/")
    return parts[-1] not in _NOT_CODE_FILES and not _NOT_CODE_DIRECTORIES & set(parts[:-1])


@dataclass
class MineResult:
    repo: str
    commit: str
    license: str
    fixes: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # why commits were skipped, and kept


def fix_like(message: str) -> bool:
    return bool(_FIX_WORDS.search(message))


def project_names(commit: str, reader: gitlog.BlobReader) -> tuple[str, ...]:
    texts = []
    for name in ("pyproject.toml", "setup.cfg", "setup.py"):
        data = reader.read(commit, name)
        if data:
            texts.append(data.decode("utf-8", "replace"))
    return declared_project_names(texts)


def _candidate(
    summary: gitlog.CommitSummary,
) -> tuple[gitlog.FileChange, bool] | str:
    """(the one source file's change, whether tests changed), or why the commit is skipped."""
    if len(summary.parents) != 1:
        return "root_commit"
    sources = [change for change in summary.files if is_python_source(change.path)]
    if len(sources) != 1:
        return "not_one_source_file"
    change = sources[0]
    if not _is_code_path(change.path):
        return "docs_or_setup"
    if change.status != "M" or not change.regular:
        return "file_added_or_removed"
    return change, any(is_test_path(other.path) for other in summary.files)


def mine(
    git_dir: Path, repo: str, commit: str | None = None, policy: MinerPolicy | None = None
) -> MineResult:
    """Mine `repo` (owner/name) from its bare `git_dir`, walking history back from `commit`."""
    refuse_reserved(repo)
    policy = policy or MinerPolicy()
    head = gitlog.resolve(git_dir, commit or "HEAD")
    with gitlog.BlobReader(git_dir) as reader:
        refuse_reserved(repo, project_names(head, reader))
        license_id = repository_license(
            gitlog.top_level_files(git_dir, head), lambda name: reader.read(head, name)
        )
        result = MineResult(repo, head, license_id)
        if not is_permissive(license_id):  # nothing of it may enter the corpus: do not mine
            result.counts["license_not_permissive"] = 1
            return result
        for summary in gitlog.commit_summaries(git_dir, head):
            result.counts["commits"] += 1
            verdict = _candidate(summary)
            if isinstance(verdict, str):
                result.counts[verdict] += 1
                continue
            outcome = _fix_record(reader, summary, *verdict, policy)
            if isinstance(outcome, str):
                result.counts[outcome] += 1
            else:
                outcome.update(repo=repo, license=license_id)
                result.fixes.append(outcome)
        result.counts["kept"] = len(result.fixes)
    return result


def _fix_record(
    reader: gitlog.BlobReader,
    summary: gitlog.CommitSummary,
    change: gitlog.FileChange,
    tests_changed: bool,
    policy: MinerPolicy,
) -> dict[str, Any] | str:
    """The fix record of one candidate commit, or the reason it is skipped."""
    old_source, new_source = reader.read(change.old_blob), reader.read(change.new_blob)
    if old_source is None or new_source is None:
        return "missing_blob"  # snapshots may lack very large files
    if b"\0" in old_source or b"\0" in new_source:
        return "binary"
    hunk = single_hunk(old_source, new_source)
    if hunk is None:
        return "no_lines"
    if hunk.changed_lines > policy.max_lines:
        return "too_many_lines"
    try:
        old_source.decode("utf-8"), new_source.decode("utf-8")
    except UnicodeDecodeError:
        return "not_utf8"
    old_tree, new_tree = parse(old_source), parse(new_source)
    if old_tree.root_node.has_error or new_tree.root_node.has_error:
        return "syntax_error"
    region = enclosing_region(old_tree, new_tree, hunk, policy.window_context)
    if region.lines > policy.max_region_lines:
        return "long_region"
    old_span = line_span_bytes(old_source, *region.before)
    new_span = line_span_bytes(new_source, *region.after)
    edits = edit_script(
        region_tokens(old_source, old_tree, *old_span),
        region_tokens(new_source, new_tree, *new_span),
        old_span[0],
        new_span[0],
    )
    if not edits:
        return "no_token_change"  # whitespace or comments only
    if len(edits) > policy.max_tokens:
        return "too_many_tokens"
    record = {
        "commit": summary.commit,
        "parent": summary.parents[0],
        "path": change.path,
        "date": summary.date,
        "message": summary.subject[:200],
        "fix_like": fix_like(summary.subject),
        "tests_changed": tests_changed,
        "region": region.kind,
        "function": region.name,
        "before_lines": list(region.before),
        "after_lines": list(region.after),
        "hunk": _hunk_json(hunk),
        "before": old_source[old_span[0] : old_span[1]].decode("utf-8"),
        "after": new_source[new_span[0] : new_span[1]].decode("utf-8"),
        "edits": [edit.as_json() for edit in edits],
    }
    return skip_reason(record) or record


def _hunk_json(hunk: Hunk) -> dict[str, int]:
    return asdict(hunk)
