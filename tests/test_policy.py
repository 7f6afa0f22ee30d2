"""`SearchPolicy`: defaults, type-checked changes, a key that follows every field, the policy of a
`RepairConfig` reaching the ranking, and the model-free scorer ranking the model's candidates."""

from __future__ import annotations

import dataclasses

import pytest

from repair.edits import EditKind
from repair.errors import BadInput
from repair.fix import RepairConfig, _ranked
from repair.policy import SearchPolicy, with_settings
from repair.rank import FileView, rank_candidates, suspicious_regions
from repair.search import State
from repair.source import parse, tokens
from repair.testrun import SuiteRun, TestResult


def test_defaults_and_immutability():
    policy = SearchPolicy()
    assert (policy.rounds, policy.beam, policy.top_functions) == (4, 4, 5)
    assert policy.model_turns is None and policy.fresh_coverage
    assert (policy.swap_prior, policy.operation_prior, policy.option_smoothing) == (0.8, 0.2, 0.3)
    assert RepairConfig().policy == policy
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.beam = 2  # type: ignore[misc]


def test_fields_are_type_checked():
    assert dataclasses.replace(SearchPolicy(), beam=2).beam == 2
    with pytest.raises(TypeError, match="SearchPolicy.beam: '2' is not a int"):
        dataclasses.replace(SearchPolicy(), beam="2")
    with pytest.raises(TypeError, match="max_options"):
        SearchPolicy(max_options=2.5)
    with pytest.raises(TypeError, match="older_by_score"):
        SearchPolicy(older_by_score=1)
    with pytest.raises(ValueError, match="prior_scope"):
        SearchPolicy(prior_scope="galaxy")
    assert SearchPolicy(swap_prior=1) == SearchPolicy(swap_prior=1.0)  # one policy, one key
    assert SearchPolicy(swap_prior=1).key() == SearchPolicy(swap_prior=1.0).key()


def test_settings_from_strings():
    policy = with_settings(
        SearchPolicy(),
        ["model_turns=4", "max_options=none", "older_by_score=false", "swap_prior=2", "beam=3"],
    )
    assert (policy.model_turns, policy.max_options, policy.older_by_score) == (4, None, False)
    assert (policy.swap_prior, policy.beam) == (2.0, 3)
    assert with_settings(policy, ["model_turns=None"]).model_turns is None
    with pytest.raises(ValueError, match="NAME one of: rounds, beam"):
        with_settings(SearchPolicy(), ["MODEL_TURNS=4"])
    with pytest.raises(ValueError, match="beam=wide: not a valid int"):
        with_settings(SearchPolicy(), ["beam=wide"])
    with pytest.raises(ValueError, match="rounds=none"):
        with_settings(SearchPolicy(), ["rounds=none"])  # not optional


def _another_value(value):
    if isinstance(value, bool):
        return not value
    if value is None:
        return 7
    if isinstance(value, (int, float)):
        return value * 2 + 1
    return "project" if value == "file" else "file"


def test_the_key_follows_every_field():
    default = SearchPolicy()
    assert default.key() == SearchPolicy().key()
    assert SearchPolicy(**default.to_json()) == default
    keys = {default.key()}
    for field in dataclasses.fields(SearchPolicy):
        changed = dataclasses.replace(default, **{field.name: _another_value(field.default)})
        assert changed.changes() == {field.name: getattr(changed, field.name)}
        keys.add(changed.key())
    assert len(keys) == len(dataclasses.fields(SearchPolicy)) + 1


CODE = b"def f(a, b):\n    if a < b:\n        return a + b\n    return a - b\n"


def _views(code: bytes = CODE) -> dict[str, FileView]:
    tree = parse(code)
    return {"m.py": FileView(code, tree, tokens(code, tree))}


class _SureOfTheReturn:
    """A stand-in model: sure that `+` on line 3 is wrong (P 0.9; `-` 0.6, `*` 0.3), unsure of
    every other token, whose options it ranks in the reverse of the model-free scorer's order."""

    def score(self, files, regions, signals, iteration, policy):
        from repair.prior import PriorScorer

        found = []
        for wrong, options in PriorScorer().score(files, regions, signals, iteration, policy):
            view = files["m.py"]
            wrong = {index: 0.01 for index in wrong}
            for index, ranked in options.items():
                texts = [text for text, _ in ranked]
                options[index] = list(zip(reversed(texts), [p for _, p in ranked]))
                if view.tokens[index].text == "+" and view.tokens[index].line == 3:
                    wrong[index] = 0.9
                    rest = [text for text, _ in ranked if text not in ("-", "*")]
                    options[index] = [("-", 0.6), ("*", 0.3)] + [
                        (text, 0.1 / len(rest)) for text in rest
                    ]
            found.append((wrong, options))
        return found


def test_a_policy_in_the_config_reaches_the_ranking():
    # t::a fails and ran lines 2-3, t::b passes and ran lines 2 and 4: line 3 is the most
    # suspicious. The stand-in model's order starts with the replacements of `+`; at
    # model_turns=4 every fifth candidate comes from the model-free order instead.
    results = [TestResult("t::a", "failed", 0.0, "boom"), TestResult("t::b", "passed", 0.0, "")]
    coverage = {"m.py": {2: frozenset({"t::a", "t::b"}), 3: frozenset({"t::a"}), 4: {"t::b"}}}
    run = SuiteRun(results, coverage, [], 1.0, False, False)
    state = State(files={}, edits=(), failing=("t::a",), messages={})
    originals = {"m.py": CODE}
    scorer = _SureOfTheReturn()
    every = RepairConfig(policy=SearchPolicy(max_options=None))  # one candidate set for both
    alone = _ranked(state, run, originals, every, scorer, 0)
    config = RepairConfig(policy=SearchPolicy(max_options=None, model_turns=4))
    interleaved = _ranked(state, run, originals, config, scorer, 0)
    baseline = _ranked(state, run, originals, every, None, 0)
    edit = lambda c: (c.edit.start, c.edit.new)  # noqa: E731
    assert [c.edit.new for c in alone[:2]] == ["-", "*"] and alone[0].line == 3
    # four from the model's order, then the model-free order's first not taken yet, and so on
    expected: list = []
    orders = [[edit(c) for c in alone], [edit(c) for c in baseline]]
    for turn in range(len(alone)):
        order = orders[turn % 5 == 4]
        expected.append(next(e for e in order if e not in expected))
    assert [edit(c) for c in interleaved] == expected != orders[0]
    # ... and so does the number of options per token tried first: the others are deferred,
    # ranked after every candidate that is not
    capped = RepairConfig(policy=SearchPolicy(max_options=1))
    first = _ranked(state, run, originals, capped, scorer, 0)
    assert {edit(c) for c in first} == {edit(c) for c in alone}
    up_front = [c for c in first if not c.deferred]
    assert first[: len(up_front)] == up_front and all(c.deferred for c in first[len(up_front) :])
    replaced = [c for c in up_front if c.kind == EditKind.REPLACE_TOKEN]
    assert len({c.edit.start for c in replaced}) == len(replaced) and first[0].edit.new == "-"


def _tiny_scorer():
    import torch

    from repair.models import ModelConfig, build_model
    from repair.score import ModelScorer
    from repair.vocabulary import Vocabulary

    torch.manual_seed(0)
    vocabulary = Vocabulary.build([t.text for t in _views()["m.py"].tokens], min_count=1)
    config = ModelConfig(vocab_size=len(vocabulary), hidden=16, depth=2, heads=2, edge_dim=8)
    return ModelScorer(build_model(config), vocabulary)


def test_the_baseline_ranks_the_same_candidates_as_a_model():
    views = _views()
    policy = SearchPolicy()
    regions, signals = suspicious_regions(
        views, {"m.py": {2: 1.0, 3: 0.5}}, import_signal=0.5, policy=policy
    )

    def ranked(scorer):
        return rank_candidates(
            views, regions, signals, scorer=scorer, iteration=0, seed=0, policy=policy
        )

    by_model, by_prior = ranked(_tiny_scorer()), ranked(None)
    key = lambda c: (c.path, c.edit.start, c.edit.end, c.edit.new, c.kind)  # noqa: E731
    assert len(by_model) > 100  # identifiers: every name in scope and every builtin
    assert sorted(map(key, by_model)) == sorted(map(key, by_prior))
    assert [key(c) for c in by_model] != [key(c) for c in by_prior]
    # each tries the first max_options of every token's options up front, by its own order
    for order in (by_model, by_prior):
        up_front = [c for c in order if c.kind == EditKind.REPLACE_TOKEN and not c.deferred]
        per_token = [c.edit.start for c in up_front]
        assert max(per_token.count(start) for start in per_token) == policy.max_options
    # Both drive the search's probability rules: every candidate has a model probability.
    assert all(c.model_probability > 0 for c in by_prior)


def test_the_combined_localization_weighs_candidates_and_the_model_reads_its_own_signal():
    # Line 2 ran in both tests, line 3 in the failing one only: Tarantula gives line 2 half of
    # line 3's score, Ochiai (repair localize's combined default) 1/sqrt(2) of it, plus the twin
    # weight 0.1: line 2 decides where t::a and its twin t::b part (line 3 or 4).
    results = [TestResult("t::a", "failed", 0.0, "boom"), TestResult("t::b", "passed", 0.0, "")]
    coverage = {"m.py": {2: frozenset({"t::a", "t::b"}), 3: frozenset({"t::a"}), 4: {"t::b"}}}
    run = SuiteRun(results, coverage, [], 1.0, False, False)
    state = State(files={}, edits=(), failing=("t::a",), messages={})
    seen = []

    class Recording(_SureOfTheReturn):
        def score(self, files, regions, signals, iteration, policy):
            seen.append({path: dict(signal) for path, signal in signals.items()})
            return super().score(files, regions, signals, iteration, policy)

    def ranked(localization):
        config = RepairConfig(policy=SearchPolicy(localization=localization))
        return _ranked(state, run, {"m.py": CODE}, config, Recording(), 0)

    spectrum, combined = ranked("spectrum"), ranked("combined")
    at_line = lambda order, line: {round(c.suspiciousness, 6) for c in order if c.line == line}  # noqa: E731
    assert at_line(spectrum, 2) == {0.5} and at_line(combined, 2) == {round(2**-0.5 + 0.1, 6)}
    assert seen[0] == seen[1] and seen[0]["m.py"][2] == pytest.approx(0.5)
    with pytest.raises(BadInput):
        ranked("fauxpy")
