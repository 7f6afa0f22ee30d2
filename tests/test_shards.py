"""When the first test run is split over shards (`repair.shards`)."""

from __future__ import annotations

from pathlib import Path

from repair.shards import ShardPolicy, python_bytes, shard_count


def suite(tmp_path: Path, files: int, size: int) -> Path:
    tests = tmp_path / "tests"
    (tests / "__pycache__").mkdir(parents=True)
    (tests / "__pycache__" / "cached.py").write_text("x" * 10_000)  # never counted
    (tests / "notes.txt").write_text("y" * 10_000)  # not Python
    for index in range(files):
        (tests / f"test_{index}.py").write_text("#" * size)
    return tests


def test_python_bytes_counts_the_test_files_only(tmp_path):
    tests = suite(tmp_path, files=3, size=1_000)
    assert python_bytes([tests]) == 3_000
    assert python_bytes([tests / "test_0.py"]) == 1_000


def test_a_small_suite_runs_in_one_child(tmp_path):
    tests = suite(tmp_path, files=3, size=1_000)
    assert shard_count([tests], jobs=8, policy=ShardPolicy(min_test_bytes=5_000)) == 1


def test_a_large_suite_is_split_over_the_cores_up_to_the_cap(tmp_path):
    tests = suite(tmp_path, files=6, size=1_000)
    policy = ShardPolicy(max_shards=4, min_test_bytes=5_000)
    assert shard_count([tests], jobs=2, policy=policy) == 2
    assert shard_count([tests], jobs=16, policy=policy) == 4
    assert shard_count([tests], jobs=1, policy=policy) == 1
    assert shard_count([tests], jobs=16, policy=ShardPolicy(max_shards=1)) == 1
