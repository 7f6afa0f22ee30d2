"""The training package: corruption, trajectory signals, loss, checkpoints, evaluation, presets."""

from __future__ import annotations

import json
import random

import pytest
import torch

from repair.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from repair.executor import Executor
from repair.models import build_model
from repair.source import parse, tokens
from repair.vocabulary import Vocabulary
from training.config import EXPERIMENTS, apply_overrides, preset
from training.corruption import corrupt
from training.environment import line_signal, observe
from training.evaluate import Case, _accuracy, frequency_baseline
from training.programs import Program
from training.trajectory import collate, trajectory_loss

PROGRAM = Program(
    name="toy",
    source="def clamp(x, low, high):\n    if x < low:\n        return low\n    if x > high:\n        return high\n    return x\n",
    tests=(
        "assert clamp(5, 0, 10) == 5",
        "assert clamp(-3, 0, 10) == 0",
        "assert clamp(42, 0, 10) == 10",
    ),
    origin="test",
)


def test_corruption_keeps_syntax_and_token_alignment() -> None:
    source = PROGRAM.source.encode()
    original = tokens(source)
    for seed in range(30):
        for rate in (0.2, 0.5, 0.75):
            corruption = corrupt(source, rate, random.Random(seed))
            assert not parse(corruption.source).root_node.has_error
            mutated = tokens(corruption.source)
            assert len(mutated) == len(original)
            changed = {i for i, (a, b) in enumerate(zip(original, mutated)) if a.text != b.text}
            assert changed == set(corruption.positions)


def test_signal_matches_a_direct_run() -> None:
    # `x > high` → `x < high`: only the third test fails, and it runs lines 1-2, 4-5.
    buggy = PROGRAM.source.replace("x > high", "x < high")
    with Executor(workers=0) as executor:
        result = executor.run(buggy, PROGRAM.tests)
    assert [o.passed for o in result.outcomes] == [False, True, False] or result.failed_count >= 1
    binary = line_signal(result, "binary")
    tarantula = line_signal(result, "tarantula")
    failed = [o for o in result.outcomes if not o.passed]
    passed = [o for o in result.outcomes if o.passed]
    for line, score in tarantula.items():
        ef = sum(line in o.lines for o in failed)
        ep = sum(line in o.lines for o in passed)
        if line in result.module_lines:
            ef, ep = len(failed), len(passed)
        expected = (
            0.0
            if ef == 0
            else (ef / len(failed)) / (ef / len(failed) + (ep / len(passed) if passed else 0))
        )
        assert score == pytest.approx(expected)
        assert binary[line] == (1.0 if ef else 0.0)


def _toy_observation():
    source = PROGRAM.source.encode()
    vocabulary = Vocabulary.build([t.text for t in tokens(source)], min_count=1)
    corruption = corrupt(source, 0.5, random.Random(3))
    with Executor(workers=0) as executor:
        result = executor.run(corruption.source.decode(), PROGRAM.tests)
    original = tuple(t.text for t in tokens(source))
    observation = observe(
        corruption.source, result, vocabulary, signal="tarantula", iteration=0, original=original
    )
    return observation, vocabulary, corruption


def test_targets_mark_exactly_the_corrupted_tokens() -> None:
    observation, _, corruption = _toy_observation()
    wrong_tokens = {
        observation.nodes.node_token[n]
        for n in range(observation.graph.num_nodes)
        if observation.graph.is_wrong[n] > 0
    }
    assert wrong_tokens == set(corruption.positions)


@pytest.mark.parametrize("architecture", ["iterative", "guided"])
def test_loss_is_finite_and_trains(architecture: str) -> None:
    observation, vocabulary, _ = _toy_observation()
    config = apply_overrides(
        preset("exp1" if architecture == "iterative" else "exp3"), ["hidden=16", "depth=2"]
    )
    model = build_model(config.model_config(len(vocabulary)))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    batch = collate([observation, observation], torch.device("cpu"))
    losses = []
    for _ in range(15):
        output = model(batch)
        loss, _ = trajectory_loss(output, batch, 9.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0]


def test_checkpoint_round_trip_gives_identical_predictions(tmp_path) -> None:
    observation, vocabulary, _ = _toy_observation()
    config = preset("exp4").model_config(len(vocabulary))
    config.hidden, config.depth = 16, 2
    model = build_model(config).eval()
    path = tmp_path / "model.pt"
    save_checkpoint(
        path, Checkpoint(model=model, config=config, vocabulary=vocabulary, metrics={"x": 1.0})
    )
    loaded = load_checkpoint(path)
    batch = collate([observation], torch.device("cpu"))
    with torch.no_grad():
        before, after = model(batch), loaded.model(batch)
    assert torch.equal(before.token_logits, after.token_logits)
    assert torch.equal(before.wrong_logits, after.wrong_logits)
    assert loaded.vocabulary == vocabulary and loaded.metrics == {"x": 1.0}


def test_accuracy_and_baseline_match_a_hand_count() -> None:
    source = b"def f(a, b):\n    return a + b\n"
    corrupted = b"def f(a, b):\n    return b - b\n"
    original = tuple(t.text for t in tokens(source))
    mutated = tokens(corrupted)
    positions = tuple(i for i, t in enumerate(mutated) if t.text != original[i])
    from training.corruption import Corruption

    case = Case(0, 0.5, Corruption(corrupted, (), positions), original)
    # Restoring only the operator: 1 of 2 positions.
    half = b"def f(a, b):\n    return b + b\n"
    assert _accuracy([half], [case]) == (1, 2)
    assert _accuracy([source], [case]) == (2, 2)
    # Baseline: training programs use "+" most among arithmetic operators and "a" most among names.
    train = [Program("t", "def g(a, c):\n    return a + a + c\n", (), "test")]
    baseline = frequency_baseline(train, [case])
    assert baseline[0.5] == pytest.approx(1.0)


def test_overrides_are_type_checked() -> None:
    config = apply_overrides(preset("exp2"), ["epochs=3", "lr=0.5", "copy=false", "levels=0.2,0.5"])
    assert (config.epochs, config.lr, config.copy, config.levels) == (3, 0.5, False, (0.2, 0.5))
    with pytest.raises(ValueError, match="not a valid int"):
        apply_overrides(config, ["epochs=many"])
    with pytest.raises(ValueError, match="key one of"):
        apply_overrides(config, ["nonsense=1"])


@pytest.mark.slow
@pytest.mark.parametrize("experiment", [e for e in EXPERIMENTS if e != "exp2"])
def test_smoke_training_run_of_each_preset(experiment: str, tmp_path) -> None:
    from training.train import train

    config = apply_overrides(
        preset(experiment),
        [
            "epochs=1",
            "train_samples=4",
            "val_samples=2",
            "batch_size=4",
            "hidden=16",
            "depth=1",
            "workers=1",
            "val_corruptions=1",
            "trajectory_steps=2",
            "pretrain_stdlib_functions=8"
            if experiment == "default"
            else "pretrain_stdlib_functions=0",
        ],
    )
    summary = train(config, tmp_path / experiment, progress=lambda line: None)
    assert summary["epochs_run"] == 1
    assert (tmp_path / experiment / "best.pt").is_file()
    if experiment == "exp1":
        exp2 = apply_overrides(
            preset("exp2"),
            [
                "epochs=1",
                "train_samples=4",
                "val_samples=2",
                "batch_size=4",
                "workers=1",
                "val_corruptions=1",
                f"init={tmp_path / 'exp1' / 'best.pt'}",
            ],
        )
        assert train(exp2, tmp_path / "exp2", progress=lambda line: None)["epochs_run"] == 1


@pytest.mark.slow
def test_a_resumed_run_ends_where_an_unbroken_one_does(tmp_path) -> None:
    from repair.errors import BadInput
    from training.train import train

    settings = [
        "train_samples=8",
        "val_samples=2",
        "batch_size=4",
        "hidden=16",
        "depth=1",
        "workers=1",
        "lanes=1",  # one batch in flight: the order of steps is fixed
        "val_corruptions=1",
        "trajectory_steps=2",
        "sampling_warmup=0.0",
    ]
    config = apply_overrides(preset("exp4"), [*settings, "epochs=2"])
    train(config, tmp_path / "unbroken", progress=lambda line: None)

    def interrupt_in_epoch_two(line: str) -> None:
        if line.startswith("epoch 2/2"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "resumed", progress=interrupt_in_epoch_two)
    with pytest.raises(BadInput, match="different settings: lr"):
        train(
            apply_overrides(config, ["resume=true", "lr=0.5"]),
            tmp_path / "resumed",
            progress=lambda line: None,
        )
    summary = train(
        apply_overrides(config, ["resume=true"]), tmp_path / "resumed", progress=lambda line: None
    )
    assert summary["epochs_run"] == 2
    a = load_checkpoint(tmp_path / "unbroken" / "last.pt").model.state_dict()
    b = load_checkpoint(tmp_path / "resumed" / "last.pt").model.state_dict()
    assert all(torch.equal(a[key], b[key]) for key in a)
    lines = (tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]
