from __future__ import annotations

import io

import pytest
import torch
from tiny_graphs import (
    DEVICES,
    VOCAB,
    assert_all_grads_finite,
    first_graph,
    second_graph,
    tiny_config,
    total_loss,
    two_graph_batch,
)
from torch_geometric.data import Batch

from repair.models import (
    GuidedIterativeGraphUNet,
    IterativeGraphUNet,
    ModelConfig,
    build_model,
)
from repair.models.iterative_unet import TWO_HOP_EDGE_TYPE, add_two_hop_edges


def model_for(**overrides) -> IterativeGraphUNet:
    torch.manual_seed(0)
    return IterativeGraphUNet(tiny_config(**overrides)).eval()


def test_output_shapes():
    output = model_for()(two_graph_batch())
    assert output.token_logits.shape == (12, VOCAB)
    assert output.wrong_logits.shape == (12,)
    assert output.copy_logits.shape == (7, 3)  # 7 occurrences; the larger graph has 3 names
    assert output.copy_candidates.shape == (7, 3)
    assert output.copy_candidates.dtype == torch.long
    assert output.copy_gate.shape == (7,)


@pytest.mark.parametrize("conv", ["gat", "gcn"])
@pytest.mark.parametrize("features", ["exp1", "exp3"])
def test_every_parameter_gets_a_finite_gradient(conv, features):
    model = model_for(conv=conv, features=features).train()
    total_loss(model(two_graph_batch())).backward()
    assert_all_grads_finite(model)


def test_copy_head_offers_only_names_of_the_same_graph():
    output = model_for()(two_graph_batch())
    # first graph: 4 occurrences over names 0..2; second: 3 occurrences over its names 3..4
    expected = torch.tensor([[0, 1, 2]] * 4 + [[3, 4, -1]] * 3)
    assert torch.equal(output.copy_candidates, expected)
    assert torch.equal(torch.isfinite(output.copy_logits), expected >= 0)


def test_each_graph_is_computed_as_if_alone():
    model = model_for()
    together = model(two_graph_batch())
    for graph, nodes, occurrences in [
        (first_graph(), slice(0, 7), slice(0, 4)),
        (second_graph(), slice(7, 12), slice(4, 7)),
    ]:
        alone = model(Batch.from_data_list([graph]))
        torch.testing.assert_close(together.token_logits[nodes], alone.token_logits)
        torch.testing.assert_close(together.wrong_logits[nodes], alone.wrong_logits)
        names = alone.copy_logits.size(1)
        torch.testing.assert_close(together.copy_logits[occurrences, :names], alone.copy_logits)
        torch.testing.assert_close(together.copy_gate[occurrences], alone.copy_gate)


def test_a_single_unbatched_graph_works():
    output = model_for()(first_graph())
    assert output.token_logits.shape == (7, VOCAB)
    assert output.copy_logits.shape == (4, 3)


def changed(model, edit) -> bool:
    data = two_graph_batch()
    before = model(data).token_logits
    edit(data)
    return not torch.allclose(before, model(data).token_logits)


def test_feature_sets_read_their_own_columns():
    exp1, exp3 = model_for(features="exp1"), model_for(features="exp3")

    def new_signal(data):
        data.signal = 1 - data.signal

    def new_parent_type(data):
        data.x[:, 2] = (data.x[:, 2] + 1) % 5

    def new_sibling_index(data):
        data.x[:, 4] = (data.x[:, 4] + 1) % 64

    assert changed(exp1, new_signal) and not changed(exp3, new_signal)
    assert changed(exp1, new_parent_type) and not changed(exp3, new_parent_type)
    assert changed(exp3, new_sibling_index) and not changed(exp1, new_sibling_index)


def test_previous_token_is_not_interchangeable_with_token():
    def swap(data):
        data.x[:, [0, 1]] = data.x[:, [1, 0]]

    assert changed(model_for(), swap)


def test_edge_types_reach_gat_but_not_gcn():
    def new_edge_types(data):
        data.edge_attr = (data.edge_attr + 3) % 7

    assert changed(model_for(conv="gat"), new_edge_types)
    assert not changed(model_for(conv="gcn"), new_edge_types)


def test_rounds_past_the_last_iteration_embedding_share_it():
    model = model_for()
    data = two_graph_batch()
    data.iteration = torch.tensor([15, 15])
    last = model(data).token_logits
    data.iteration = torch.tensor([40, 99])
    torch.testing.assert_close(model(data).token_logits, last)


def test_without_copy_the_copy_fields_are_none():
    output = model_for(copy=False)(two_graph_batch())
    assert output.copy_logits is None and output.copy_candidates is None
    assert output.copy_gate is None
    assert output.token_logits.shape == (12, VOCAB)


def test_two_hop_edges_match_the_squared_adjacency():
    torch.manual_seed(0)
    num_nodes = 30
    edge_index = torch.randint(0, num_nodes, (2, 80))
    edge_type = torch.randint(0, 7, (80,))
    augmented, types = add_two_hop_edges(edge_index, edge_type, num_nodes)
    assert torch.equal(augmented[:, :80], edge_index) and torch.equal(types[:80], edge_type)
    adjacency = torch.zeros(num_nodes, num_nodes)
    adjacency[edge_index[0], edge_index[1]] = 1
    expected = ((adjacency @ adjacency) > 0) & (adjacency == 0)
    expected.fill_diagonal_(False)
    added = torch.zeros_like(expected)
    added[augmented[0, 80:], augmented[1, 80:]] = True
    assert torch.equal(added, expected)
    assert (types[80:] == TWO_HOP_EDGE_TYPE).all() and types.size(0) - 80 == expected.sum()


@pytest.mark.parametrize("device", DEVICES)
def test_moves_to_a_device(device):
    model = model_for().to(device)
    output = model(two_graph_batch().to(device))
    assert output.token_logits.device.type == device
    assert output.copy_candidates.device.type == device


def test_checkpoint_round_trip_with_weights_only_loading():
    model = model_for(conv="gcn", features="exp3")
    buffer = io.BytesIO()
    torch.save({"config": model.config.to_dict(), "model": model.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)
    restored = build_model(ModelConfig.from_dict(checkpoint["config"]))
    restored.load_state_dict(checkpoint["model"])
    restored.eval()
    assert restored.config == model.config
    data = two_graph_batch()
    torch.testing.assert_close(restored(data).token_logits, model(data).token_logits)


def test_config_rejects_unknown_fields_and_values():
    with pytest.raises(ValueError, match="unknown ModelConfig fields: colour"):
        ModelConfig.from_dict({"colour": "blue"})
    with pytest.raises(ValueError, match="features"):
        ModelConfig(features="exp2")
    with pytest.raises(ValueError, match="conv"):
        ModelConfig(conv="sage")


def test_registry_builds_by_architecture_name():
    assert type(build_model(tiny_config(architecture="iterative"))) is IterativeGraphUNet
    assert type(build_model(tiny_config(architecture="guided"))) is GuidedIterativeGraphUNet
    with pytest.raises(ValueError, match="unknown architecture 'transformer'"):
        build_model(tiny_config(architecture="transformer"))


def test_reset_parameters_and_repr():
    model = model_for()
    before = model.heads.token.weight.clone()
    model.reset_parameters()
    assert not torch.equal(before, model.heads.token.weight)
    assert repr(model) == (
        "IterativeGraphUNet(vocab_size=11, hidden=16, depth=2, conv='gat', heads=2, "
        "pool_ratio=0.5, features='exp1', copy=True)"
    )


def test_default_size():
    # vocab 5000 dominates: input table 1.28M and token head 1.285M of the parameters
    model = IterativeGraphUNet(ModelConfig())
    assert sum(parameter.numel() for parameter in model.parameters()) == 4_823_562
