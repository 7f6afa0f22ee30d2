"""Batched decoding (training) gives what `repair.predict.propose` gives one token at a time."""

from __future__ import annotations

import random

import pytest
import torch

from repair.executor import Executor
from repair.models import build_model
from repair.predict import propose
from repair.source import tokens
from repair.vocabulary import Vocabulary
from training.config import apply_overrides, preset
from training.corruption import corrupt, corruption_space
from training.data import held_out_programs
from training.decode import decide, decided_edits, decode
from training.environment import observe
from training.trajectory import collate


def _observations(count: int = 6):
    programs = held_out_programs()[:count]
    corpus = [t.text for p in programs for t in tokens(p.source.encode())]
    # a small vocabulary, so that some options are out of vocabulary and only the copy head has them
    vocabulary = Vocabulary.build(corpus[: len(corpus) // 3], min_count=1)
    rng = random.Random(0)
    observations = []
    with Executor(workers=0) as executor:
        for program in programs:
            source = program.source.encode()
            corrupted = corrupt(source, 0.5, rng).source
            result = executor.run(corrupted.decode(), program.tests)
            observations.append(
                observe(corrupted, result, vocabulary, signal="tarantula", iteration=0)
            )
    return observations, vocabulary


@pytest.mark.parametrize("copy", [True, False])
def test_decode_matches_propose(copy: bool) -> None:
    observations, vocabulary = _observations()
    config = apply_overrides(preset("exp4"), ["hidden=32", "depth=2", f"copy={copy}"])
    torch.manual_seed(0)
    model = build_model(config.model_config(len(vocabulary))).eval()
    batch = collate(observations, torch.device("cpu"))
    with torch.no_grad():
        output = model(batch)
    decoded = decode(output, batch, [o.options for o in observations])
    proposals = propose(
        output,
        batch.ptr,
        [o.nodes for o in observations],
        [o.token_list for o in observations],
        vocabulary,
        ident_index=batch.ident_index,
        include_builtins=False,
        smoothing=0.0,
    )
    compared = 0
    for mine, theirs, observation in zip(decoded, proposals, observations):
        assert mine.token_index.tolist() == [p.token.index for p in theirs]
        assert mine.wrong.tolist() == pytest.approx([p.wrong for p in theirs], abs=1e-6)
        assert mine.best_p.tolist() == pytest.approx([p.best[1] for p in theirs], abs=1e-6)
        for text, proposal in zip(mine.best_text, theirs):
            runner_up = proposal.options[1][1] if len(proposal.options) > 1 else -1.0
            if proposal.best[1] - runner_up > 1e-6:  # a clear best: the same text
                assert text == proposal.best[0]
                compared += 1
        # the tokens changed in one pass: `propose`'s proposals ranked the way `decide` ranks
        expected = round(sum(p.wrong for p in theirs))
        ranked = sorted(theirs, key=lambda p: (-(p.wrong * p.best[1]), p.token.index))
        picked = {p.token.index for r, p in enumerate(ranked) if r < expected or p.wrong > 0.5}
        assert {int(mine.token_index[i]) for i in decide(mine)} == picked
        edits = decided_edits(mine, observation.token_list)
        assert {e.start for e in edits} == {observation.token_list[i].start for i in picked}
    assert compared > 50


def test_cached_corruption_space_gives_the_same_corruption() -> None:
    source = held_out_programs()[0].source.encode()
    space = corruption_space(source)
    for seed in range(10):
        plain = corrupt(source, 0.5, random.Random(seed))
        cached = corrupt(source, 0.5, random.Random(seed), space=space)
        assert plain == cached


def test_smoothing_gives_options_the_vocabulary_lacks_a_probability() -> None:
    observations, vocabulary = _observations(3)
    config = apply_overrides(preset("exp4"), ["hidden=32", "depth=2", "copy=False"])
    torch.manual_seed(0)
    model = build_model(config.model_config(len(vocabulary))).eval()
    batch = collate(observations, torch.device("cpu"))
    with torch.no_grad():
        output = model(batch)

    def options(smoothing: float) -> dict[tuple[int, int], dict[str, float]]:
        proposals = propose(
            output, batch.ptr, [o.nodes for o in observations],
            [o.token_list for o in observations], vocabulary,
            ident_index=batch.ident_index, smoothing=smoothing,
        )  # fmt: skip
        return {
            (graph, p.token.index): dict(p.options)
            for graph, found in enumerate(proposals)
            for p in found
        }

    plain, smoothed = options(0.0), options(0.2)
    unknown = 0
    for key, probabilities in plain.items():
        count = len(probabilities)
        known = any(text in vocabulary for text in probabilities)
        for text, p in probabilities.items():
            assert smoothed[key][text] == pytest.approx(0.8 * p + 0.2 / count, abs=1e-6)
            if known and text not in vocabulary:
                assert p == 0.0
                unknown += 1
        assert sum(smoothed[key].values()) == pytest.approx(1.0, abs=1e-5)
    assert unknown > 10
