from __future__ import annotations

import pytest
import torch
from tiny_graphs import (
    DEVICES,
    VOCAB,
    assert_all_grads_finite,
    tiny_config,
    total_loss,
    two_graph_batch,
)

from repair.models import GuidedIterativeGraphUNet, IterativeGraphUNet, ModelConfig, TestFeedback

FIRST, SECOND = slice(0, 7), slice(7, 12)  # node ranges of the two graphs in two_graph_batch


def model_for(**overrides) -> GuidedIterativeGraphUNet:
    torch.manual_seed(0)
    return GuidedIterativeGraphUNet(tiny_config(features="exp3", **overrides)).eval()


def feedback(tests: list[tuple[int, int, bool, list[int]]]) -> TestFeedback:
    """tests: (graph, test id, failed, covered global node indices), in batch order."""
    cover = [(index, node) for index, (*_, nodes) in enumerate(tests) for node in nodes]
    return TestFeedback(
        test_failed=torch.tensor([float(failed) for _, _, failed, _ in tests]),
        test_batch=torch.tensor([graph for graph, *_ in tests]),
        test_id=torch.tensor([test_id for _, test_id, *_ in tests]),
        test_cover_index=torch.tensor(cover, dtype=torch.long).t().reshape(2, -1),
    )


BASE_TESTS = [
    (0, 0, True, [1, 2, 3]),  # graph 0: one failing, one passing test
    (0, 1, False, [0, 1, 4, 5]),
    (1, 0, False, [7, 8]),  # graph 1: a passing and a failing test
    (1, 1, True, [9, 10, 11]),
]


def outputs(model, tests):
    return model(two_graph_batch(), None if tests is None else feedback(tests))


def assert_same(a, b, nodes=slice(None)):
    torch.testing.assert_close(a.token_logits[nodes], b.token_logits[nodes])
    torch.testing.assert_close(a.wrong_logits[nodes], b.wrong_logits[nodes])


def assert_differs(a, b, nodes=slice(None)):
    assert not torch.allclose(a.token_logits[nodes], b.token_logits[nodes])


def test_output_shapes_with_feedback():
    output = outputs(model_for(), BASE_TESTS)
    assert output.token_logits.shape == (12, VOCAB)
    assert output.wrong_logits.shape == (12,)
    assert output.copy_logits.shape == (7, 3) and output.copy_gate.shape == (7,)


def test_failing_tests_change_the_output():
    model = model_for()
    assert_differs(outputs(model, BASE_TESTS), outputs(model, None))


def test_passing_tests_never_change_the_output():
    model = model_for()
    base = outputs(model, BASE_TESTS)
    other_passing = [*BASE_TESTS]
    other_passing[1] = (0, 5, False, [6])  # new id and coverage for the passing test
    other_passing[2] = (1, 7, False, [7, 8, 9, 10, 11])
    assert_same(base, outputs(model, other_passing))
    padded = [*BASE_TESTS[:2], (0, 2, False, [0, 6]), *BASE_TESTS[2:], (1, 2, False, [])]
    assert_same(base, outputs(model, padded))


def test_a_failing_tests_coverage_changes_only_its_own_graph():
    model = model_for()
    base = outputs(model, BASE_TESTS)
    recovered = [*BASE_TESTS]
    recovered[0] = (0, 0, True, [4, 5, 6])
    moved = outputs(model, recovered)
    assert_differs(base, moved, FIRST)
    assert_same(base, moved, SECOND)


def test_a_graph_without_failing_tests_gets_no_update():
    model = model_for()
    all_pass_in_first = [(0, 0, False, [1, 2]), *BASE_TESTS[2:]]
    output = outputs(model, all_pass_in_first)
    assert all(torch.isfinite(t).all() for t in (output.token_logits, output.wrong_logits))
    assert_same(output, outputs(model, None), FIRST)
    assert_differs(output, outputs(model, None), SECOND)


def test_no_failing_tests_at_all_equals_no_feedback():
    model = model_for()
    all_pass = [(graph, test_id, False, nodes) for graph, test_id, _, nodes in BASE_TESTS]
    assert_same(outputs(model, all_pass), outputs(model, None))
    assert_same(outputs(model, []), outputs(model, None))


def test_tests_listed_out_of_graph_order_give_the_same_output():
    model = model_for()
    assert_same(outputs(model, BASE_TESTS), outputs(model, BASE_TESTS[::-1]))


def test_every_parameter_gets_a_finite_gradient_with_failing_tests():
    model = model_for().train()
    total_loss(outputs(model, BASE_TESTS)).backward()
    assert_all_grads_finite(model)


def test_gradients_stay_finite_when_a_graph_has_no_failing_tests():
    model = model_for().train()
    total_loss(outputs(model, [(0, 0, False, [1]), (1, 0, True, [8, 9])])).backward()
    for name, parameter in model.named_parameters():
        if parameter.grad is not None:
            assert torch.isfinite(parameter.grad).all(), name


def test_without_guidance_there_are_no_attention_parameters():
    model = model_for(use_test_guidance=False)
    names = [name for name, _ in model.named_parameters()]
    assert not [name for name in names if "cross_attention" in name or "test_encoder" in name]
    assert_same(outputs(model, BASE_TESTS), outputs(model, None))  # feedback is ignored
    torch.manual_seed(0)
    trunk_only = IterativeGraphUNet(tiny_config(features="exp3"))
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in trunk_only.parameters()
    )


@pytest.mark.parametrize("conv", ["gat", "gcn"])
@pytest.mark.parametrize("features", ["exp1", "exp3"])
def test_variants_run_with_feedback(conv, features):
    torch.manual_seed(0)
    model = GuidedIterativeGraphUNet(tiny_config(conv=conv, features=features)).train()
    total_loss(outputs(model, BASE_TESTS)).backward()
    assert_all_grads_finite(model)


def test_test_ids_past_the_table_share_its_last_row():
    model = model_for()  # max_tests=8
    high = [(g, 7 if failed else i, failed, nodes) for g, i, failed, nodes in BASE_TESTS]
    higher = [(g, 120 if failed else i, failed, nodes) for g, i, failed, nodes in BASE_TESTS]
    assert_same(outputs(model, high), outputs(model, higher))


@pytest.mark.parametrize("device", DEVICES)
def test_moves_to_a_device(device):
    model = model_for().to(device)
    output = model(two_graph_batch().to(device), feedback(BASE_TESTS).to(device))
    assert output.token_logits.device.type == device


def test_repr_shows_the_guidance_settings():
    assert repr(model_for()) == (
        "GuidedIterativeGraphUNet(vocab_size=11, hidden=16, depth=2, conv='gat', heads=2, "
        "pool_ratio=0.5, features='exp3', use_test_guidance=True, attention_heads=2, "
        "max_tests=8, copy=True)"
    )


def test_default_sizes():
    def size(**overrides):
        model = GuidedIterativeGraphUNet(ModelConfig(features="exp3", **overrides))
        return sum(parameter.numel() for parameter in model.parameters())

    assert size() == 6_712_074  # seven cross-attention blocks (2 * depth + 1 layers)
    assert size(use_test_guidance=False) == 4_773_898  # Exp 3b
