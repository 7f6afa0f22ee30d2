"""The bundled checkpoints, as `repair fix` uses them: models/default.pt and models/exp3d.pt
averaged. A regression test of the files, their loading and the model's ranking: two fixtures are
fixed with their recorded patch within a small candidate budget, and one fix is ranked first.

The model-free baseline ranks the leaderboard fixture's fix 100th or later (the constant `20`
for `10` is one of many literals and names), so a model that loads but ranks like no model, or a
ranking that drops the model's view, fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from repair.checkpoint import default_model_paths
from repair.fix import FIXED, RepairConfig, _check_inputs, _load_scorer, _ranked, fix
from repair.search import State
from repair.source import apply_edits
from repair.testrun import run_suite

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BUDGET = 30  # candidates validated at most; the pair needs 2 and 4 here (the baseline 60+ and 3)


def _config(**options) -> RepairConfig:
    return RepairConfig(jobs=2, test_timeout=1.0, timeout=120.0, **options)


def test_the_bundled_pair_is_what_repair_fix_loads():
    assert [path.name for path in default_model_paths()] == ["default.pt", "exp3d.pt"]
    assert all(path.is_file() for path in default_model_paths())
    scorer, name = _load_scorer(_config())
    assert len(scorer.members) == 2
    assert name == " + ".join(map(str, default_model_paths()))


@pytest.mark.parametrize("name", ["leaderboard_wrong_constant", "bank_transfer_swapped_arguments"])
def test_the_bundled_models_fix_a_fixture_exactly(name: str):
    root = FIXTURES / name
    result = fix([root], [root / "tests"], _config(max_candidates=BUDGET))
    assert result.status == FIXED, (result.stop_reason, result.candidates_tried)
    assert result.diff == (root / "fix.patch").read_text(encoding="utf-8")
    assert result.model == " + ".join(map(str, default_model_paths()))


def test_the_bundled_models_rank_the_recorded_fix_first():
    root = FIXTURES / "leaderboard_wrong_constant"
    config = _config()
    _, originals = _check_inputs([root], [root / "tests"], config)
    run = run_suite(root, [root / "tests"], [root], per_test_timeout=1.0, total_timeout=60.0)
    state = State(files={}, edits=(), failing=tuple(run.failed), messages={})
    scorer, _ = _load_scorer(config)
    ranked = _ranked(state, run, originals, config, scorer, 0)
    fixed = _patched(root, originals)
    first = ranked[0]
    assert apply_edits(originals[first.path], [first.edit]) == fixed[first.path]


def _patched(root: Path, originals: dict[str, bytes]) -> dict[str, bytes]:
    """The fixture's files with its recorded fix (bug.json: one buggy line -> its fixed line)."""
    import json

    bug = json.loads((root / "bug.json").read_text(encoding="utf-8"))
    files = {}
    for edit in bug["edits"]:
        source = originals[edit["path"]].decode()
        assert source.count(edit["buggy"] + "\n") == 1
        files[edit["path"]] = source.replace(edit["buggy"] + "\n", edit["fixed"] + "\n").encode()
    return files
