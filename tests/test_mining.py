"""The real-fix miner on a git repository the test builds itself; splits, dedupe, licenses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from repair.source import parse, tokens
from training.mining import corpus
from training.mining.__main__ import main
from training.mining.align import edit_script
from training.mining.filters import skip_reason
from training.mining.hunks import Hunk, single_hunk
from training.mining.licenses import classify_metadata, classify_text, is_permissive
from training.mining.miner import MineResult, fix_like, mine
from training.mining.paths import is_test_path
from training.mining.regions import enclosing_region
from training.mining.reserved import ReservedRepositoryError, is_held_out, reserved_reason

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

MIT = """MIT License

Copyright (c) 2020 Someone

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
"""

MODULE = '''"""Arithmetic helpers."""


def total(values):
    result = 0
    for value in values:
        result = result - value
    return result


def mean(values):
    return total(values) / len(values)
'''

REFACTORED = '''"""Arithmetic helpers."""


def total(values):
    return sum(values)


def mean(values, default=0.0):
    if not values:
        return default
    return total(values) / len(values)
'''

TESTS = """from pkg.mod import total


def test_total():
    assert total([1, 2]) == 3
"""


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def history(tmp_path: Path) -> dict[str, object]:
    """A repository with an initial commit, a fix, a refactor and a test-only change."""
    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q")
    _commit(work, {"LICENSE": MIT, "pkg/mod.py": MODULE, "tests/test_mod.py": TESTS}, "Initial")
    fix = _commit(
        work,
        {
            "pkg/mod.py": MODULE.replace("result - value", "result + value"),
            "tests/test_mod.py": TESTS + "\n\ndef test_one():\n    assert total([1]) == 1\n",
        },
        "Fix total subtracting instead of adding (#12)",
    )
    _commit(work, {"pkg/mod.py": REFACTORED}, "Simplify total and give mean a default")
    _commit(work, {"tests/test_mod.py": TESTS.replace("[1, 2]", "[2, 1]")}, "Reorder test data")
    bare = tmp_path / "root" / "acme+arith" / "repo"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return {"git_dir": bare, "fix": fix}


def test_miner_keeps_exactly_the_fix(history: dict[str, object]) -> None:
    result = mine(Path(str(history["git_dir"])), "acme/arith")
    assert result.license == "MIT"
    assert [fix["commit"] for fix in result.fixes] == [history["fix"]]
    fix = result.fixes[0]
    assert fix["path"] == "pkg/mod.py"
    assert fix["tests_changed"] is True
    assert fix["fix_like"] is True
    assert fix["region"] == "function" and fix["function"] == "total"
    assert fix["before"].startswith("def total(values):") and "result - value" in fix["before"]
    assert fix["after"] == fix["before"].replace("result - value", "result + value")
    assert fix["before_lines"] == [4, 8]
    assert [(e["op"], e["old"], e["new"], e["class"]) for e in fix["edits"]] == [
        ("replace", "-", "+", "arithmetic")
    ]
    start, end = fix["edits"][0]["before_at"]
    assert fix["before"][start:end] == "-"
    # the refactor (too many lines) and the test-only change (no source file) are counted
    assert result.counts["too_many_lines"] == 1
    assert result.counts["not_one_source_file"] == 1
    assert result.counts["root_commit"] == 1 and result.counts["commits"] == 4


def test_edit_script_classes_insertions_and_deletions() -> None:
    def script(old: str, new: str) -> list[tuple[str, str, str, str]]:
        old_bytes, new_bytes = old.encode(), new.encode()
        edits = edit_script(
            tokens(old_bytes, parse(old_bytes)), tokens(new_bytes, parse(new_bytes))
        )
        return [(e.op, e.old, e.new, e.token_class) for e in edits]

    assert script("if x:\n    y()\n", "if not x:\n    y()\n") == [("insert", "", "not", "keyword")]
    assert script("f(a, b)\n", "f(a)\n") == [
        ("delete", ",", "", "punctuation"),
        ("delete", "b", "", "identifier"),
    ]
    assert script("x = a < 1  # c\n", "x = (a <=\\\n     1)  # other comment\n") == [
        ("insert", "", "(", "punctuation"),
        ("replace", "<", "<=", "comparison"),
        ("insert", "", ")", "punctuation"),
    ]


def test_reserved_repositories_are_refused(history: dict[str, object], tmp_path: Path) -> None:
    git_dir = Path(str(history["git_dir"]))
    for repo in ("psf/black", "someone/tqdm", "httpie/cli", "yt-dlp/yt-dlp", "x/PySnooper"):
        with pytest.raises(ReservedRepositoryError, match="refused"):
            mine(git_dir, repo)
    assert reserved_reason("pallets/flask") is None
    # a fork under another name is caught by the project name its packaging declares
    assert reserved_reason("me/my-fork", ("pandas",)) is not None
    # the command says so and fails, before reading anything
    code = main(
        ["build", "--repos", str(tmp_path / "r.json"), "--git-root", str(tmp_path)]
        + ["--out", str(tmp_path / "c.jsonl.gz"), "--add", "tornadoweb/tornado"]
    )
    assert code == 2 and not (tmp_path / "c.jsonl.gz").exists()
    assert is_held_out("tkem/cachetools") and is_held_out("python-semver/python-semver")
    assert not is_held_out("pallets/click")


def _result(repo: str, fixes: list[tuple[str, str]], license_id: str = "MIT") -> MineResult:
    records = [
        {
            "repo": repo,
            "commit": f"{repo}-{index}",
            "date": f"2020-01-0{index + 1}T00:00:00+00:00",
            "before": before,
            "after": after,
            "license": license_id,
            "edits": [],
        }
        for index, (before, after) in enumerate(fixes)
    ]
    return MineResult(repo, "c" * 40, license_id, records, Counter())


def test_split_is_by_repository_and_pins_win(tmp_path: Path) -> None:
    repos = [f"owner{index}/project{index}" for index in range(60)]
    results = [_result(repo, [(f"a{repo}", "b"), (f"c{repo}", "d")]) for repo in repos]
    pins_path, bugs_path = tmp_path / "pins.json", tmp_path / "bugs.json"
    pins_path.write_text(json.dumps({"pins": {"owner0/project0": "dev"}}))
    bugs_path.write_text(json.dumps([{"repo": "owner1/project1", "split": "test"}]))
    repositories_path = tmp_path / "repositories.json"
    repositories_path.write_text(json.dumps({"repositories": {"owner2/project2": "dev"}}))
    pins = corpus.load_pins(pins_path, (bugs_path, repositories_path))
    built = corpus.assemble(results, pins)
    split_of = {}
    for fix in built.fixes:
        assert split_of.setdefault(fix["repo"], fix["split"]) == fix["split"]
    assert split_of["owner0/project0"] == "dev" and split_of["owner1/project1"] == "test"
    assert split_of["owner2/project2"] == "dev"
    assert set(split_of.values()) == {"train", "dev", "test"}
    assert corpus.hashed_split("owner5/project5") == corpus.hashed_split("OWNER5/Project5")


def test_dedupe_across_repositories_and_exclusions() -> None:
    original = _result("a/orig", [("def f():\n    return 1\n", "def f():\n    return 2\n")])
    fork = _result("b/fork", [("def f():\n  return 1", "def f():\n  return 2\n")])
    fork.fixes[0]["date"] = "2021-01-01T00:00:00+00:00"
    gpl = _result("c/gpl", [("x", "y")], license_id="GPL")
    held = _result("tkem/cachetools", [("p", "q")])
    built = corpus.assemble([original, fork, gpl, held], pins={})
    assert [fix["repo"] for fix in built.fixes] == ["a/orig"]
    assert built.duplicates == 1
    entries = {entry["repo"]: entry for entry in built.repositories}
    assert entries["c/gpl"]["excluded"] == "license GPL"
    assert "held out" in entries["tkem/cachetools"]["excluded"]
    pinned = corpus.assemble([held], pins={"tkem/cachetools": "dev"})
    assert [fix["split"] for fix in pinned.fixes] == ["dev"]


def test_cap_per_repository_is_a_stable_sample() -> None:
    big = _result("a/big", [(f"x{index}", f"y{index}") for index in range(9)])
    small = _result("b/small", [("p", "q")])
    policy = corpus.CorpusPolicy(max_per_repository=4)
    built = corpus.assemble([big, small], pins={}, policy=policy)
    counts = Counter(fix["repo"] for fix in built.fixes)
    assert counts == {"a/big": 4, "b/small": 1}
    again = corpus.assemble([small, big], pins={}, policy=policy)
    assert [fix["commit"] for fix in again.fixes] == [fix["commit"] for fix in built.fixes]
    entries = {entry["repo"]: entry for entry in built.repositories}
    assert entries["a/big"]["mined"] == 9 and entries["a/big"]["fixes"] == 4


def test_license_classification() -> None:
    assert classify_text(MIT) == "MIT"
    bsd = (
        "Copyright (c) 2010.\nRedistribution and use in source and binary forms, with or "
        "without\nmodification, are permitted provided that ...\n"
    )
    assert classify_text(bsd) == "BSD-2-Clause"
    assert classify_text(bsd + "Neither the name of the copyright holder nor ...") == "BSD-3-Clause"
    assert classify_text("   Apache License\n   Version 2.0, January 2004\n") == "Apache-2.0"
    gpl = "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007"
    assert classify_text(gpl) == "GPL" and not is_permissive("GPL")
    assert classify_text("GNU LESSER GENERAL PUBLIC LICENSE\n" + gpl) == "LGPL"
    isc = "Permission to use, copy, modify, and/or distribute this software for any purpose"
    assert classify_text(isc) == "ISC"
    assert (
        classify_text("This is free and unencumbered software released into the public domain.")
        == "Unlicense"
    )
    assert classify_text("All rights reserved.") == "unknown"
    # the project's own license first, then a notice for bundled code: the first one counts
    bundled = MIT + "\nPortions are under the PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2"
    assert classify_text(bundled) == "MIT"
    assert classify_text("Files: *\nCopyright: 2009 us\nLicense: BSD-3-Clause\n") == "BSD-3-Clause"
    classifiers = 'classifiers = [\n  "License :: OSI Approved :: BSD License",\n]'
    assert classify_metadata(classifiers) == "BSD-3-Clause"
    assert classify_metadata('license = {text = "Apache 2.0"}') == "Apache-2.0"


def test_paths_and_messages() -> None:
    assert is_test_path("tests/unit/helpers.py") and is_test_path("src/test_x.py")
    assert is_test_path("pkg/x_test.py") and is_test_path("conftest.py")
    assert not is_test_path("src/pkg/testament.py")
    assert fix_like("Off by one in the slice") and fix_like("Handle empty input (#123)")
    assert not fix_like("Add a helper for parsing")


def test_build_and_stats_commands(history: dict[str, object], tmp_path: Path) -> None:
    root = Path(str(history["git_dir"])).parent.parent
    repos, out = tmp_path / "repos.json", tmp_path / "corpus.jsonl.gz"
    args = ["--repos", str(repos), "--git-root", str(root), "--out", str(out)]
    args += ["--cache", str(tmp_path / "cache"), "--pins", str(tmp_path / "none.json")]
    args += ["--realbugs"]  # none: the project's own benchmark files play no part here
    assert main(["build", *args, "--add", "acme/arith"]) == 0
    entries = json.loads(repos.read_text())
    assert entries[0]["repo"] == "acme/arith" and entries[0]["fixes"] == 1
    assert len(entries[0]["commit"]) == 40
    fixes = list(corpus.read_corpus(out))
    assert {"repo", "commit", "path", "license", "split", "before", "after", "edits"} <= set(
        fixes[0]
    )
    first = out.read_bytes()
    shutil.rmtree(root)  # a rebuild from the cache needs no git dir and is byte-identical
    assert main(["build", *args]) == 0
    assert out.read_bytes() == first
    elsewhere = tmp_path / "other.jsonl.gz"
    assert main(["build", *args, "--out", str(elsewhere)]) == 0  # the last --out counts
    assert elsewhere.read_bytes() == first
    table = tmp_path / "shape.txt"
    assert main(["stats", str(out), "--out", str(table)]) == 0
    assert "one replacement" in table.read_text()


def test_module_level_change_gets_a_statement_window() -> None:
    old = b"import os\n\nLIMIT = 10\nNAME = 'x'\n\n\ndef f():\n    return LIMIT\n"
    new = old.replace(b"LIMIT = 10", b"LIMIT = 100")
    hunk = single_hunk(old, new)
    assert hunk == Hunk(3, 1, 3, 1)
    region = enclosing_region(parse(old), parse(new), hunk, context=1)
    assert region.kind == "window" and region.before == (1, 4) and region.after == (1, 4)
    inserted = old.replace(b"    return LIMIT\n", b"    print()\n    return LIMIT\n")
    region = enclosing_region(parse(old), parse(inserted), single_hunk(old, inserted))
    assert (region.kind, region.name, region.before, region.after) == (
        "function",
        "f",
        (7, 8),
        (7, 9),
    )


def test_record_checks_drop_docstrings_and_releases() -> None:
    def record(message: str, line: str, edit: dict[str, object]) -> dict[str, object]:
        return {
            "message": message,
            "before": f"{line}\n",
            "before_lines": [1, 1],
            "hunk": {"old_start": 1, "old_count": 1, "new_start": 1, "new_count": 1},
            "edits": [edit],
        }

    literal = {"op": "replace", "old": '"9"', "new": '"10"', "class": "string", "target": True}
    assert skip_reason(record("Bump to 1.10", 'minor = "9"', literal)) == "version_bump"
    assert skip_reason(record("Use 10 workers", '__version__ = "9"', literal)) == "version_bump"
    assert skip_reason(record("Use 10 workers", 'workers = "9"', literal)) is None
    docstring = {**literal, "target": False}
    assert skip_reason(record("Typo", '"""Retrun x."""', docstring)) == "docstring_only"


CORPUS = Path(__file__).resolve().parent.parent / "training" / "data" / "realfixes.jsonl.gz"


@pytest.mark.skipif(not CORPUS.exists(), reason="the committed corpus is not in this checkout")
def test_committed_corpus_invariants() -> None:
    """The committed corpus: splits by repository, pins kept, no reserved repository, spans exact."""
    assert CORPUS.stat().st_size < 30_000_000
    split_of: dict[str, str] = {}
    repos_file = CORPUS.parent / "realfix_repos.json"
    listed = {entry["repo"]: entry for entry in json.loads(repos_file.read_text())}
    counts: Counter[str] = Counter()
    for fix in corpus.read_corpus(CORPUS):
        assert split_of.setdefault(fix["repo"], fix["split"]) == fix["split"]
        assert is_permissive(fix["license"]) and 1 <= len(fix["edits"]) <= 8
        before, after = fix["before"].encode(), fix["after"].encode()
        for edit in fix["edits"]:
            start, end = edit["before_at"]
            assert before[start:end].decode() == (edit["old"] if edit["op"] != "insert" else "")
            start, end = edit["after_at"]
            assert after[start:end].decode() == (edit["new"] if edit["op"] != "delete" else "")
        counts[fix["repo"]] += 1
    assert len(split_of) >= 100 and sum(counts.values()) >= 10_000
    assert all(reserved_reason(repo) is None for repo in split_of)
    assert {listed[repo]["split"] for repo in split_of} <= set(corpus.SPLITS)
    assert all(listed[repo]["fixes"] == count for repo, count in counts.items())
    pins = json.loads((CORPUS.parent / "realfix_pins.json").read_text())["pins"]
    for repo, split in pins.items():
        assert split_of.get(repo, split) == split
