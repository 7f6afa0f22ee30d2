"""Evaluation rounds (training/rounds.py) and evaluation variants (training/evaluate.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from repair.source import parse, tokens
from repair.vocabulary import Vocabulary
from training import evaluate as evaluation
from training.config import apply_overrides, preset
from training.corruption import Corruption
from training.decode import Decoded
from training.evaluate import Case, evaluate_cases, make_cases
from training.programs import Program
from training.rounds import RAW, SAFE, Prediction, RoundPolicy, refine
from training.trajectory import Environment
from training.variants import parse_policy

SOURCE = b"def f(a, b):\n    return a + b\n"
PROGRAM = Program(
    name="add",
    source=SOURCE.decode(),
    tests=("assert f(1, 2) == 3", "assert f(0, 0) == 0", "assert f(2, 5) == 7"),
    origin="test",
)


def _prediction(source: bytes, wrong: dict[str, float], best: dict[str, str]) -> Prediction:
    """A hand-made prediction over `source`: P(wrong) and best option per named token text."""
    token_list = tokens(source, parse(source))
    targets = [t for t in token_list if t.text in wrong]
    decoded = Decoded(
        token_index=np.asarray([t.index for t in targets]),
        wrong=np.asarray([wrong[t.text] for t in targets], dtype=np.float64),
        best_text=[best.get(t.text, t.text) for t in targets],
        best_p=np.ones(len(targets)),
    )
    return Prediction(decoded, token_list, failing=1)


def test_keep_rules() -> None:
    assert SAFE.kept(3, 2) and not SAFE.kept(3, 3) and not SAFE.kept(3, 4)
    assert RAW.kept(3, 4)
    not_more = RoundPolicy("n", keep="not_more")
    assert not_more.kept(3, 3) and not not_more.kept(3, 4)
    with pytest.raises(ValueError, match="keep="):
        RoundPolicy("bad", keep="sometimes")


def test_threshold_edits_only_confident_tokens_and_skip_no_ops() -> None:
    prediction = _prediction(b"def f(a, b):\n    return a - b\n", {"-": 0.9, "a": 0.3}, {"-": "+"})
    assert [(e.old, e.new) for e in prediction.edits(min_wrong=0.5)] == [("-", "+")]
    # "a" clears 0.2 but its best option is itself: no edit
    assert [(e.old, e.new) for e in prediction.edits(min_wrong=0.2)] == [("-", "+")]
    assert prediction.confidence() == pytest.approx(0.9)


class _FakePredictor:
    """Proposes `plan(iteration, source)`; records the iterations it was asked about."""

    def __init__(self, plan):
        self.plan, self.asked = plan, []

    def predict(self, states, *, use_feedback):
        assert use_feedback  # rounds after the first always see the tests
        self.asked.extend(s.iteration for s in states)
        return [self.plan(s.iteration, s.source) for s in states]


START = b"def f(a, b):\n    return a - b\n"
FIXED = b"def f(a, b):\n    return a + b\n"


def _plan(iteration: int, source: bytes) -> Prediction:
    """Round 1 makes it worse (b -> a), later rounds fix the operator."""
    if iteration == 1:
        return _prediction(source, {"b": 0.9}, {"b": "a"})
    return _prediction(source, {"-": 0.9}, {"-": "+"})


def _failing(indices, sources):
    return [{START: 2, FIXED: 0}.get(s, 3) for s in sources]


def test_refine_keeps_or_drops_rounds_by_policy() -> None:
    def run(policy, fake=None):
        fake = fake or _FakePredictor(_plan)
        return refine(fake, [0], [START], [2], policy, iterations=5, failing_of=_failing)

    raw = run(RAW)  # keeps the worse round 1 (both b -> a), then fixes the operator
    assert raw.sources == [b"def f(a, a):\n    return a + a\n"] and raw.rounds_kept == 2
    safe = run(SAFE)  # drops round 1, keeps round 2, then nothing fails: stops
    assert safe.sources == [FIXED] and safe.failing == [0]
    assert safe.rounds_kept == 1 and safe.tokens_changed == 1
    # one dropped round and the program stops: the better round 2 is never tried
    fake = _FakePredictor(_plan)
    assert run(RoundPolicy("p", keep="fewer", patience=1), fake).sources == [START]
    assert fake.asked == [1]
    # the model is not sure enough of anything: it stops before editing
    assert run(RoundPolicy("u", keep="all", stop_below=0.95)).sources == [START]


def test_policy_parsing() -> None:
    assert parse_policy("safe") is SAFE
    policy = parse_policy("t5:keep=not_more,min_wrong=0.5,patience=2")
    assert policy == RoundPolicy("t5", keep="not_more", min_wrong=0.5, patience=2)
    with pytest.raises(ValueError, match="unknown setting"):
        parse_policy("x:speed=3")


def _toy_model(experiment: str, vocabulary: Vocabulary):
    from repair.models import build_model

    config = apply_overrides(preset(experiment), ["hidden=16", "depth=1"])
    torch.manual_seed(0)
    return build_model(config.model_config(len(vocabulary))).eval(), config


@pytest.mark.parametrize("first_step_feedback", [False, True])
def test_round_zero_feedback_is_what_was_asked(first_step_feedback, monkeypatch) -> None:
    vocabulary = Vocabulary.build([t.text for t in tokens(SOURCE)], max_size=50, min_count=1)
    model, config = _toy_model("exp3", vocabulary)
    cases = make_cases([PROGRAM], (0.5,), 2, seed=0)
    seen: list[bool] = []
    real = evaluation.Predictor.predict

    def spy(self, states, *, use_feedback):
        seen.append(use_feedback)
        return real(self, states, use_feedback=use_feedback)

    monkeypatch.setattr(evaluation.Predictor, "predict", spy)
    never = RoundPolicy("never", keep="all", min_wrong=1.0)  # proposes nothing after round 0
    with Environment([PROGRAM], vocabulary, "none", workers=1, timeout=1.0) as environment:
        table = evaluate_cases(
            model,
            environment,
            cases,
            iterations=3,
            device=torch.device("cpu"),
            feedback_at_first_step=first_step_feedback,
            policies=(SAFE, RAW, never),
        )
    assert seen[0] is first_step_feedback and all(seen[1:])
    row = table[0.5]
    assert row["iterative_never"] == row["one_shot"] and row["tokens_changed_never"] == 0
    assert {"iterative_safe", "iterative_raw", "rounds_kept_raw"} <= set(row)


def test_development_split_adds_unused_programs(monkeypatch) -> None:
    import training.data as data

    programs = [
        Program(f"p{i}", f"def p{i}():\n    return {i}\n", (), "humaneval") for i in range(6)
    ]

    class Splits:
        train, validation, held_out = programs[:2], programs[2:3], programs[5:]

    monkeypatch.setattr(data, "_humaneval", lambda: tuple(programs))
    assert evaluation.split_programs_of(Splits, "held_out") == programs[5:]
    assert evaluation.split_programs_of(Splits, "validation") == programs[2:3]
    # validation first, then the problems neither trained on nor held out
    assert evaluation.split_programs_of(Splits, "development") == programs[2:5]
    with pytest.raises(ValueError, match="split"):
        evaluation.split_programs_of(Splits, "test")


def test_cases_are_fixed_by_the_seed() -> None:
    a = make_cases([PROGRAM], (0.5,), 2, seed=0)
    b = make_cases([PROGRAM], (0.5,), 2, seed=0)
    assert [c.corruption for c in a] == [c.corruption for c in b]
    assert all(isinstance(c, Case) and isinstance(c.corruption, Corruption) for c in a)


def test_freeze_and_iteration_cap() -> None:
    minus = next(t.index for t in tokens(START) if t.text == "-")
    # the one-shot pass changed the operator: a frozen policy may not touch it again
    frozen = RoundPolicy("f", keep="all", freeze=True)
    fake = _FakePredictor(lambda it, source: _prediction(source, {"-": 0.9}, {"-": "+"}))
    result = refine(fake, [0], [START], [2], frozen, iterations=3, failing_of=_failing,
                    edited=[{minus}])  # fmt: skip
    assert result.sources == [START] and result.tokens_changed == 0
    # the model never sees an iteration above the cap
    capped = RoundPolicy("c", keep="fewer", max_iteration=2)
    fake = _FakePredictor(lambda it, source: _prediction(source, {"b": 0.9}, {"b": "a"}))
    refine(fake, [0], [START], [2], capped, iterations=5, failing_of=_failing)
    assert fake.asked == [1, 2, 2, 2]
