"""The repair benchmark's bugs (`bench/bugs.py`): seeding is deterministic and every seeded bug
fails a test and can be undone; blind-search counts match hand counts."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from repair.source import candidates, repair_targets, tokens

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bugs = _load("bugs")

PROGRAM = b"""\
def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def mean(values):
    total = 0
    for value in values:
        total += value
    return total / len(values)


def span(values):
    return max(values) - min(values)
"""
TESTS = (
    "assert clamp(5, 0, 10) == 5",
    "assert clamp(-1, 0, 10) == 0",
    "assert clamp(11, 0, 10) == 10",
    "assert mean([1, 2, 3]) == 2",
    "assert mean([4]) == 4",
    "assert span([3, 9, 4]) == 6",
    "assert span([2]) == 0",
)


def _fails(files: dict[str, bytes], lines) -> bool:
    namespace: dict = {}
    exec(compile(files["m.py"], "m.py", "exec"), namespace)
    for test in TESTS:
        try:
            exec(test, dict(namespace))
        except Exception:  # noqa: BLE001 - any error fails the test
            return True
    return False


def test_blind_search_single_token_hand_count():
    # Walk: `a` -> f, b (2 runs), then `+` -> "-" is its first option: 3 runs.
    blind = bugs.blind_search(
        {"m.py": b"def f(a, b):\n    return a + b\n"}, {"m.py": b"def f(a, b):\n    return a - b\n"}
    )
    assert blind.runs == 3
    assert blind.candidates == 2 + 6 + 2


def test_blind_search_two_tokens_counts_greedy_and_pairs():
    # Buggy `b + b`, original `a - b`. Walk: b->f, b->a*, +->-*, +->*, ... (entries 1 and 2).
    # Greedy: the later true edit is the 3rd test run. Pairs: (b->f, x) for the 8 edits of the
    # two later tokens come first, then (b->a, +->-): the 9th pair.
    blind = bugs.blind_search(
        {"m.py": b"def f(a, b):\n    return b + b\n"}, {"m.py": b"def f(a, b):\n    return a - b\n"}
    )
    assert (blind.greedy, blind.pairs, blind.runs) == (3, 9, 3)


def test_blind_search_swap_unreachable_and_not_a_replacement():
    # One walk over replacements and swaps: `g` -> f, a, b, then `b` -> f, a, g (6 runs), then
    # the swap that starts at `b`: the 7th run; it is the first of the swaps alone.
    swap = bugs.blind_search(
        {"m.py": b"def f(a, b):\n    return g(b, a)\n"},
        {"m.py": b"def f(a, b):\n    return g(a, b)\n"},
        swap=True,
    )
    assert (swap.runs, swap.swaps_only, swap.candidates) == (7, 1, 10)
    # `len` appears nowhere in the buggy file and builtins are not walked: unreachable.
    gone = bugs.blind_search(
        {"m.py": b"def f(a):\n    return a(a)\n"}, {"m.py": b"def f(a):\n    return len(a)\n"}
    )
    assert gone.runs is None
    # An inserted `+ 1` is not a same-class replacement.
    assert bugs.blind_search({"m.py": b"x = a\n"}, {"m.py": b"x = a + 1\n"}) is None


def test_blind_search_in_function_walks_only_the_bugs_function():
    original = {"m.py": PROGRAM}
    buggy = {"m.py": PROGRAM.replace(b"max(values) - min", b"max(values) + min")}
    whole, local = (
        bugs.blind_search(buggy, original),
        bugs.blind_search(buggy, original, in_function=True),
    )
    assert local.runs < whole.runs
    assert local.candidates < whole.candidates


def test_options_match_candidates():
    source = (Path(__file__).resolve().parent.parent / "repair" / "rank.py").read_bytes()
    token_list = tokens(source)
    options = bugs.Options(token_list)
    for token in repair_targets(token_list)[:400]:
        assert options(token) == candidates(token, token_list, include_builtins=False)


def test_seeding_is_deterministic_and_every_bug_fails_and_can_be_undone():
    files = {"m.py": PROGRAM}
    sizes = (1, 1, 1, 1, 2, 2)
    first = bugs.seed_bugs(files, sizes, "unit", 0, _fails)
    again = bugs.seed_bugs(files, sizes, "unit", 0, _fails)
    other = bugs.seed_bugs(files, sizes, "unit", 1, _fails)
    assert first == again
    assert first != other
    assert [bug.size for bug in first] == list(sizes)
    assert len({tuple(bug.edits["m.py"]) for bug in first}) == len(first)
    for bug in first:
        buggy = bug.apply(files)
        assert _fails(buggy, bug.lines)
        blind = bugs.blind_search(buggy, files, swap=bug.bug_class == bugs.SWAP)
        assert blind is not None and blind.runs is not None
        if bug.size == 2:
            assert bug.bug_class == bugs.TWO_TOKEN
            fixes = bugs.token_fixes(buggy, files)
            assert len(fixes) == 2 and fixes[0].token.scope == fixes[1].token.scope
        else:
            assert bug.bug_class in bugs.SINGLE_CLASSES


def test_seeding_only_uses_allowed_lines():
    files = {"m.py": PROGRAM}
    only_mean = lambda path, line: 9 <= line <= 13  # noqa: E731
    for bug in bugs.seed_bugs(files, (1, 1, 2), "unit", 0, _fails, only_mean):
        assert all(9 <= line <= 13 for _, line in bug.lines)


@pytest.mark.parametrize(
    ("fixture", "bug_class"),
    [
        ("bank_transfer_swapped_arguments", bugs.SWAP),
        ("invoice_two_files", bugs.TWO_TOKEN),
        ("tokenizer_wrong_membership", bugs.COMPARISON),
        ("inventory_wrong_variable", None),  # an attribute: not a repair target
    ],
)
def test_fixture_bugs_classified(fixture, bug_class):
    bench = _load("repair_bench")
    case = next(case for case in bench.fixture_cases() if case.name == fixture)
    assert case.bug_class == (bug_class or bench.OTHER)
    if bug_class is None:
        assert case.blind is None
    else:
        assert case.blind.runs is not None


def test_seeding_leaves_annotations_alone():
    # `List` only appears in annotations (a `generic_type` that `repair_targets` keeps).
    files = {
        "m.py": b"from typing import List\n\n\ndef f(xs: List[int]) -> List[int]:\n    return xs[1:]\n"
    }
    seeded = bugs.seed_bugs(files, (1,) * 6, "unit", 0, lambda files, lines: True)
    assert seeded
    assert all(edit.old != "List" for bug in seeded for edit in bug.edits["m.py"])


def test_seeding_avoids_another_splits_bugs():
    files = {"m.py": PROGRAM}
    first = bugs.seed_bugs(files, (1, 1, 1, 2), "unit", 0, _fails)
    taken = {bugs.bug_identity(bug.apply(files)) for bug in first}
    again = bugs.seed_bugs(files, (1, 1, 1, 2), "unit", 0, _fails, avoid=taken)
    assert again and len(again) == len(first)
    assert not taken & {bugs.bug_identity(bug.apply(files)) for bug in again}


# --- the frozen test split (bench/frozen_split.py, bench/heldout/test_bugs.json) -------------


def test_frozen_record_round_trip_and_problems():
    frozen = _load("frozen_split")
    files = {"m.py": PROGRAM}
    (seeded,) = bugs.seed_bugs(files, (2,), "unit", 0, _fails)
    record = frozen.record_of("m-0", "unit", {"kind": "unit"}, "unit", seeded, files)
    back = frozen.seeded_of(record)
    assert back.apply(files) == seeded.apply(files)
    assert {path: set(edits) for path, edits in back.edits.items()} == {
        path: set(edits) for path, edits in seeded.edits.items()
    }
    assert (back.size, back.bug_class, back.detail, back.lines) == (
        seeded.size, seeded.bug_class, seeded.detail, seeded.lines,
    )  # fmt: skip
    for edit in record["edits"]:
        assert edit["original"].encode() in PROGRAM.splitlines()[edit["line"] - 1]
    assert frozen.problem_with(record, files, _fails) is None
    changed = {"m.py": PROGRAM.replace(b"def span", b"def spam")}
    assert "differs" in frozen.problem_with(record, changed, _fails)
    assert "no test fails" in frozen.problem_with(record, files, lambda files, lines: False)
    record["files"]["m.py"] = frozen._sha(changed["m.py"])
    record["edits"][0]["start"] += 1  # the bytes there no longer read the original text
    assert "do not apply" in frozen.problem_with(record, changed, _fails)


def test_frozen_test_split_is_whole_and_apart_from_dev():
    """The committed test split: its composition, and its HumanEval and fixture bugs still apply
    to their sources and differ from every development bug (the OSS ones need their sdists:
    `repair_bench.py --split test --list` checks those)."""
    import json

    from training.data import held_out_programs

    frozen = _load("frozen_split")
    bench = _load("repair_bench")
    document = json.loads(frozen.TEST_FILE.read_text(encoding="utf-8"))
    records = document["bugs"]
    assert len(records) == 102 and len({r["name"] for r in records}) == 102
    counts = Counter((r["origin"]["kind"], r["size"]) for r in records)
    assert counts == {
        ("humaneval", 1): 29, ("humaneval", 2): 29, ("fixture", 1): 32, ("oss", 1): 8,
        ("oss", 2): 4,
    }  # fmt: skip
    assert {p["name"] for p in document["projects"]}.isdisjoint(p.name for p in bench.OSS_PROJECTS)
    assert all(r["seed"] == frozen.TEST_SEED != frozen.DEV_SEED for r in records)

    dev_results = (
        Path(__file__).resolve().parent.parent / "bench" / "results" / "repair_benchmark.json"
    )
    dev_patches = {case["patch"] for case in json.loads(dev_results.read_text())["cases"]}
    assert len(dev_patches) == 102
    programs = {p.name: {"solution.py": p.source.encode()} for p in held_out_programs()}
    fixtures = {}
    for root in frozen._fixture_roots():
        record = json.loads((root / "bug.json").read_text(encoding="utf-8"))
        fixtures[root.name] = {
            path: (root / path).read_bytes() for path in _source_paths(root)
        } | bench._fixed_files(root, record)
    for r in records:
        origin = r["origin"]
        if origin["kind"] == "oss":
            continue
        if origin["kind"] == "humaneval":
            files = programs[origin["program"]]
        else:
            files = fixtures[origin["fixture"]]
        assert frozen.problem_with(r, files, lambda files, lines: True) is None, r["name"]
        buggy = frozen.seeded_of(r).apply(files)
        patch = bench.unified_diff(buggy, {path: files[path] for path in buggy})
        assert patch not in dev_patches, r["name"]


def _source_paths(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*.py") if "tests" not in p.parts]
