"""Real functions for pre-training: extraction, history versions, de-duplication, reserved
repositories refused; fixes as examples (aligned, expressible); the fix distribution and the
corruption drawn from it; the stand-in signal."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from repair.source import parse, tokens
from training.realcode import (
    FileFunctions,
    RealCodePolicy,
    assemble,
    file_functions,
    normalized_hash,
    repository_functions,
)
from training.realcorrupt import SignalNoise, corrupt_real, fix_distribution, noisy_signal
from training.realfixes import FixExample, aligned_example

MODULE = '''"""Helpers."""
import os

LIMIT = 10


class Store:
    size = LIMIT

    def put(self, key, value):
        if len(self.items) >= LIMIT:
            raise ValueError("full")
        self.items[key] = value

    def get(self, key):
        return self.items.get(key)


def outer(values):
    def inner(value):
        return value + 1

    return [inner(value) for value in values if value is not None]
'''


def test_file_functions_are_outermost_with_the_files_names():
    found = file_functions(MODULE.encode(), "pkg/store.py", RealCodePolicy(min_bytes=20))
    assert [text.split("(")[0].strip() for text in found.functions] == [
        "def put",
        "def get",
        "def outer",
    ]
    assert found.functions[0].startswith("    def put(self, key, value):")  # indentation kept
    assert {"os", "LIMIT", "Store", "size"} <= set(found.names)
    assert "key" not in found.names and "inner" not in found.names  # inside functions
    assert file_functions(b"def broken(:\n", "x.py", RealCodePolicy()) is None


def test_assemble_dedupes_across_sources_and_leaves_out_held_out_functions():
    a = FileFunctions("a.py", ["x"], ["def f():\n    return 1\n", "def g():\n    return 2\n"])
    b = FileFunctions("b.py", ["y"], ["def f():\n        return 1\n", "def h():\n    pass\n"])
    held = {normalized_hash("def h():  pass")}
    corpus = assemble([("one", [a]), ("two", [b])], exclude=held, per_source=10)
    texts = sorted(text for _, text in corpus.functions)
    assert texts == ["def f():\n    return 1\n", "def g():\n    return 2\n"]
    assert corpus.sources == {"one": 2, "two": 0}
    assert all(corpus.names[k] == ["x"] for k, _ in corpus.functions)
    capped = assemble([("one", [a])], exclude=set(), per_source=1)
    assert len(capped.functions) == 1


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    result = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_repository_functions_read_history_versions_and_refuse_reserved(tmp_path: Path):
    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q")
    old = "def area(width, height):\n    result = width * height\n    return result\n"
    new = "def area(width, height):\n    result = width * height\n    return abs(result)\n"
    for text, message in ((old, "first"), (new, "second"), (new + "\n# end\n", "third")):
        (work / "geometry.py").write_text(text)
        (work / "tests").mkdir(exist_ok=True)
        (work / "tests" / "test_geometry.py").write_text("def test_it():\n    assert True\n")
        _git(work, "add", ".")
        _git(work, "commit", "-q", "-m", message)
    bare = tmp_path / "acme+shapes" / "repo"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    policy = RealCodePolicy(min_bytes=10, versions=2)
    files = repository_functions(bare, "acme/shapes", "HEAD", policy)
    functions = {text for item in files for text in item.functions}
    assert functions == {old, new}  # the first commit's version too; tests never
    assert all(item.path == "geometry.py" for item in files)
    with pytest.raises(ValueError, match="reserved"):
        repository_functions(bare, "psf/black", "HEAD", policy)


BEFORE = """    def put(self, key, value):
        if len(self.items) > LIMIT:
            raise ValueError("full")
        self.items[key] = value
"""


def _fix(edits: list[dict]) -> dict:
    return {
        "repo": "acme/store",
        "commit": "c1",
        "path": "store.py",
        "before": BEFORE,
        "edits": edits,
    }


def _replace(old: str, new: str, cls: str) -> dict:
    start = re.search(rf"(?<![\w>]){re.escape(old)}(?![\w=])", BEFORE).start()
    return {"op": "replace", "old": old, "new": new, "class": cls, "target": True,
            "before_at": [start, start + len(old)]}  # fmt: skip


def test_aligned_fixes_become_examples_and_expressibility_needs_the_files_names():
    example = aligned_example(_fix([_replace(">", ">=", "comparison")]), names=())
    token_list = tokens(BEFORE.encode())
    index, old, new = example.edits[0]
    assert token_list[index].text == ">" and (old, new) == (">", ">=")
    assert example.expressible and example.classes == ("comparison",)
    wrong_name = _fix([_replace("LIMIT", "MAXIMUM", "identifier")])
    assert not aligned_example(wrong_name, names=()).expressible
    assert aligned_example(wrong_name, names=("MAXIMUM",)).expressible
    inserted = {"op": "insert", "old": "", "new": "not", "class": "keyword", "target": False,
                "before_at": [20, 20]}  # fmt: skip
    assert aligned_example(_fix([inserted]), names=()) is None
    crossed = {**_replace("LIMIT", "10", "identifier"), "new_class": "number"}
    assert aligned_example(_fix([crossed]), names=()) is None


def _example(edits, classes, expressible=True) -> FixExample:
    return FixExample("r", "c", "p", BEFORE, tuple(edits), tuple(classes), (), expressible)


def test_the_distribution_counts_classes_transitions_and_sizes():
    examples = [
        _example([(5, "True", "False")], ["constant"]),
        _example([(5, "True", "False")], ["constant"]),
        _example([(7, "total", "count")], ["identifier"]),
        _example([(7, "x_size", "y_size"), (9, ">", ">=")], ["identifier", "comparison"]),
        _example([(9, '"a"', '"b"')], ["string"], expressible=False),
    ]
    distribution = fix_distribution(examples)
    assert distribution.class_weights == pytest.approx(
        {"constant": 0.4, "identifier": 0.4, "comparison": 0.2}
    )
    assert distribution.transitions["constant"] == {"False": {"True": 2}}
    assert distribution.transitions["comparison"] == {">=": {">": 1}}
    assert distribution.edit_counts == {1: 0.8, 2: 0.2}
    assert distribution.similar_names == pytest.approx(0.5)  # x_size / y_size share "size"
    assert distribution.fixes == 5


CLEAN = b"""def check(values, limit):
    ready = False
    for value in values:
        if value >= limit:
            ready = True
    return ready
"""


def test_corruption_follows_the_distribution_and_stays_token_aligned():
    examples = [_example([(5, ">", ">=")], ["comparison"])] * 3
    distribution = fix_distribution(examples)
    token_list = tokens(CLEAN, parse(CLEAN))
    seen = set()
    for seed in range(20):
        corrupted, edits = corrupt_real(CLEAN, token_list, (), distribution, random.Random(seed))
        assert len(edits) == 1 and edits[0].old == ">="  # only comparisons were ever fixed
        seen.add(edits[0].new)
        after = tokens(corrupted, parse(corrupted))
        assert len(after) == len(token_list)
    assert ">" in seen  # the buggy version humans fixed, 80 % of the time


def test_names_corruption_can_take_the_files_names():
    distribution = fix_distribution([_example([(7, "a", "b")], ["identifier"])])
    token_list = tokens(CLEAN, parse(CLEAN))
    news = set()
    for seed in range(60):
        _, edits = corrupt_real(CLEAN, token_list, ["THRESHOLD"], distribution, random.Random(seed))
        news |= {edit.new for edit in edits}
    assert "THRESHOLD" in news and "limit" in news


def test_noisy_signal_smears_a_block_around_the_bug():
    exact = SignalNoise(misplaced=0.0, none=0.0)
    for seed in range(30):
        signal = noisy_signal([10], 30, random.Random(seed), exact)
        assert set(signal) == set(range(1, 31))
        top = max(signal.values())
        assert signal[10] == top >= 0.6
        block = [line for line, value in signal.items() if value == top]
        assert block == list(range(block[0], block[-1] + 1)) and len(block) <= 9
        assert all(signal[line] <= top for line in range(1, 31))
    assert noisy_signal([3], 5, random.Random(0), SignalNoise(none=1.0)) == {}
