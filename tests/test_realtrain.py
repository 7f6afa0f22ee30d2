"""The real-code recipe end to end on a tiny data folder the test builds from standard-library
functions: data folder, both stages, the saved state in parts, resume, the checkpoints `repair
fix` can load, and the dev evaluation's table."""

from __future__ import annotations

import dataclasses
import json
import random
import sysconfig
from pathlib import Path

import pytest
import torch

from repair.checkpoint import load_checkpoint
from repair.errors import BadInput
from training.config import preset
from training.evaluate_real import ModelViews, evaluate, frequency_views
from training.realcode import RealCodePolicy, file_functions
from training.realcorrupt import corrupted_example, fix_distribution
from training.realdata import RealData, build_vocabulary, write_folder
from training.realfixes import FixExample
from training.realtrain import load_parts, train_real
from training.train import train

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _functions() -> list[tuple[list[str], str]]:
    found = []
    for name in ("textwrap.py", "shlex.py", "fnmatch.py", "colorsys.py", "calendar.py"):
        item = file_functions((STDLIB / name).read_bytes(), name, RealCodePolicy())
        if item is not None:
            found += [(item.names, text) for text in item.functions]
    return found


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    functions = _functions()
    assert len(functions) >= 40
    names = [item for item, _ in functions]
    rows = [(index, text) for index, (_, text) in enumerate(functions)]
    # "real fixes": corruptions of the same functions, drawn from a hand-made distribution
    seed_fixes = [FixExample("r", "c", "p", "def f(a):\n    return a < 1\n", ((4, "<", "<="),),
                             ("comparison",), (), True)]  # fmt: skip
    distribution = dataclasses.replace(
        fix_distribution(seed_fixes),
        class_weights={"identifier": 0.5, "comparison": 0.25, "number": 0.25},
    )
    rng = random.Random(0)
    fixes = [corrupted_example(text, n, distribution, rng) for n, text in functions]
    fixes = [fix for fix in fixes if fix is not None]
    out = tmp_path_factory.mktemp("realdata")
    vocabulary = build_vocabulary([text for _, text in functions], 600)
    write_folder(out, rows, names, fixes[:30], fixes[30:], vocabulary, {"test": True})
    return out


def _config(folder: Path, **changes):
    tiny = dict(
        real_data=str(folder),
        device="cpu",
        workers=1,
        lanes=1,
        batch_size=4,
        pretrain_minutes=0.02,
        finetune_minutes=0.02,
        warmup_steps=2,
        save_minutes=10.0,  # saved (and validated) at each stage's end only
        trajectory_epochs=0,
        hidden=32,  # a small model: the recipe's machinery is under test, not its accuracy
        depth=2,
    )
    return dataclasses.replace(preset("realcode"), **{**tiny, **changes})


@pytest.fixture(scope="module")
def trained(folder: Path, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("realrun") / "run"
    return out, train(_config(folder), out, progress=lambda line: None)  # as `repair train` does


def test_the_recipe_runs_both_stages_saves_in_parts_and_resumes(folder: Path, trained):
    data = RealData.load(folder)
    assert data.vocabulary.subtokens and data.fixes and data.validation_fixes
    out, summary = trained
    assert summary["stopped"] is False and summary["stage"] == "finetune"
    assert sorted(p.name for p in out.glob("*.pt")) == [
        "best.pt",
        "finetuned.pt",
        "last.pt",
        "pretrained.pt",
    ]
    checkpoint = load_checkpoint(out / "finetuned.pt")
    assert checkpoint.config.subtokens and checkpoint.config.tie_embeddings
    assert checkpoint.vocabulary == data.vocabulary
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in records][0] == "pretrain" and records[-1]["stage"] == "finetune"
    assert {"val_functions_joint", "val_fixes_aligned_loc"} <= set(records[-1])
    state = load_parts(out)
    steps = state["ledger"]["step"]
    assert steps == records[-1]["step"] > 0

    spent = state["ledger"]["seconds"]["finetune"] / 60
    longer = _config(folder, finetune_minutes=spent + 0.01, resume=True)
    again = train_real(longer, out, progress=lambda line: None)
    assert load_parts(out)["ledger"]["step"] > steps and again["stage"] == "finetune"
    with pytest.raises(BadInput, match="lr"):
        train_real(dataclasses.replace(longer, lr=0.5), out, progress=lambda line: None)


def test_a_call_stops_at_its_budget_and_the_next_goes_on(folder: Path, tmp_path: Path):
    out = tmp_path / "run"
    stopped = train_real(_config(folder, max_minutes=0.001), out, progress=lambda line: None)
    assert stopped["stopped"] is True and stopped["stage"] == "pretrain"
    assert not (out / "finetuned.pt").exists()
    resumed = train_real(_config(folder, resume=True), out, progress=lambda line: None)
    assert resumed["stopped"] is False and (out / "finetuned.pt").is_file()


def test_the_evaluation_table_puts_models_and_the_baseline_side_by_side(folder, trained):
    data = RealData.load(folder)
    out, _ = trained
    examples = data.fixes + data.validation_fixes
    rows = [
        ("finetuned", ModelViews.load([out / "finetuned.pt"]).views),
        ("baseline", lambda cases: frequency_views(cases, data.distribution)),
    ]
    text, results = evaluate(rows, examples, {"fixes": len(examples)})
    assert "finetuned" in text and "baseline" in text
    for row in results["rows"].values():
        headline = row["expressible_single"]
        assert headline["cases"] == sum(e.expressible and len(e.edits) == 1 for e in examples)
        assert (
            0 <= headline["joint"] <= min(headline["localization"], headline["repair_at_location"])
        )


def test_the_trajectory_stage_starts_from_the_fine_tuned_model_at_its_own_rate(
    folder, trained, monkeypatch
):
    import training.train as train_module
    from training.realtrain import _trajectories

    out, _ = trained
    seen = []

    class Captured(Exception):
        pass

    def fake_train(config, folder, progress):
        seen.append(config)
        raise Captured

    monkeypatch.setattr(train_module, "train", fake_train)
    for changes, expected in (({"trajectory_lr": 0.0}, 1e-3), ({"trajectory_lr": 1e-4}, 1e-4)):
        config = _config(folder, trajectory_epochs=3, lr=1e-3, **changes)
        with pytest.raises(Captured):
            _trajectories(config, out, began=0.0, progress=lambda line: None)
        sub = seen[-1]
        assert sub.lr == expected and sub.epochs == 3 and not sub.real_data
        assert sub.init == str(out / "finetuned.pt")


def test_structural_bugs_mix_into_pre_training(folder: Path, tmp_path: Path):
    config = _config(folder, structural_share=1.0, finetune_minutes=0.0)
    summary = train_real(config, tmp_path / "run", progress=lambda line: None)
    assert summary["stopped"] is False and (tmp_path / "run" / "pretrained.pt").is_file()
    assert load_checkpoint(tmp_path / "run" / "pretrained.pt").config.subtokens


def test_a_structural_batch_labels_spans_and_collates_with_replacement_bugs(folder: Path):
    from training.realbatches import _DATA, BatchTask, build_batch

    data = RealData.load(folder)
    _DATA["data"], _DATA["fixes"] = data, data.fixes
    only_replacements = build_batch(BatchTask(tuple(range(8)), (0, 1), seed=3))
    mixed = build_batch(BatchTask(tuple(range(8)), (0, 1), seed=3, structural=0.5))
    again = build_batch(BatchTask(tuple(range(8)), (0, 1), seed=3, structural=0.5))
    assert mixed.num_graphs == only_replacements.num_graphs == 10
    assert torch.equal(mixed.is_wrong, again.is_wrong)  # a task always builds the same batch

    # a structural bug's wrong nodes have no token target; fewer replacement bugs are like that
    def untargeted(batch) -> int:
        learnable = (batch.is_wrong > 0) & (batch.target_vocab >= 0)
        return sum(
            int(not learnable[batch.batch == graph].any()) for graph in range(batch.num_graphs)
        )

    assert untargeted(mixed) > untargeted(only_replacements)


def test_small_programs_mix_into_the_batches_heavily_corrupted(folder: Path):
    """`small_share` gives places of a batch's functions to Exp 4's small programs, corrupted
    at the trajectories' 20-75 %: their graphs carry far more wrong tokens than a real-fix-like
    corruption of a real function."""
    from training.realbatches import _DATA, BatchTask, build_batch
    from training.realtrain import Ledger, _tasks

    data = RealData.load(folder)
    program = "def add(a, b):\n    total = a + b\n    return total * 2 - a\n"
    _DATA["data"], _DATA["fixes"], _DATA["small"] = data, data.fixes, [(program, ["add"])]
    heavy = build_batch(BatchTask((), (), seed=5, small=(0, 0, 0, 0)))
    light = build_batch(BatchTask(tuple(range(4)), (), seed=5))
    assert heavy.num_graphs == 4
    share = float((heavy.is_wrong > 0).float().mean())
    assert share > 3 * float((light.is_wrong > 0).float().mean())
    config = _config(folder, small_share=0.5, batch_size=8)
    task = next(_tasks(config, data, Ledger(), trainable=20, small=1))
    assert len(task.small) == 4 and len(task.functions) == 4
    assert next(_tasks(config, data, Ledger(), trainable=20, small=0)).small == ()
