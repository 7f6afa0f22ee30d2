"""Tiny code graphs in the project's graph format, batched the way PyG batches CodeGraph.

Shared by test_iterative_unet.py and test_guided_unet.py (pytest puts this folder on sys.path)."""

from __future__ import annotations

import torch
from torch_geometric.data import Batch, Data

from repair.models.config import ModelConfig

VOCAB = 11
PARENT_TYPES = 5
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


class TinyCodeGraph(Data):
    """Same batching rule as repair.graph.CodeGraph: name ids are per graph, offset by num_idents."""

    def __inc__(self, key, value, *args, **kwargs):
        if key == "ident_group":
            return self.num_idents
        return super().__inc__(key, value, *args, **kwargs)


def tiny_graph(num_nodes: int, ident_nodes: list[int], ident_names: list[int], seed: int) -> Data:
    generator = torch.Generator().manual_seed(seed)

    def column(high: int) -> torch.Tensor:
        return torch.randint(0, high, (num_nodes,), generator=generator)

    x = torch.stack([column(VOCAB), column(VOCAB), column(PARENT_TYPES), column(64), column(64)], 1)
    # a chain (next / previous token) plus a parent -> children star from node 0
    chain = torch.arange(num_nodes - 1)
    children = torch.arange(1, num_nodes)
    source = torch.cat([chain, chain + 1, torch.zeros_like(children), children])
    target = torch.cat([chain + 1, chain, children, torch.zeros_like(children)])
    edge_type = torch.cat(
        [
            torch.full_like(chain, 2),
            torch.full_like(chain, 3),
            torch.zeros_like(children),
            torch.ones_like(children),
        ]
    )
    return TinyCodeGraph(
        x=x,
        signal=torch.rand(num_nodes, generator=generator),
        iteration=torch.tensor([1]),
        edge_index=torch.stack([source, target]),
        edge_attr=edge_type,
        ident_index=torch.tensor(ident_nodes),
        ident_group=torch.tensor(ident_names),
        num_idents=max(ident_names) + 1,
    )


def first_graph() -> Data:
    return tiny_graph(7, ident_nodes=[1, 2, 4, 5], ident_names=[0, 1, 0, 2], seed=0)


def second_graph() -> Data:
    return tiny_graph(5, ident_nodes=[1, 3, 4], ident_names=[0, 0, 1], seed=1)


def two_graph_batch() -> Batch:
    """Two graphs of 7 and 5 nodes: 12 nodes, 7 identifier occurrences, 3 + 2 names."""
    return Batch.from_data_list([first_graph(), second_graph()])


def tiny_config(**overrides) -> ModelConfig:
    values = dict(
        vocab_size=VOCAB,
        num_parent_types=PARENT_TYPES,
        hidden=16,
        depth=2,
        heads=2,
        edge_dim=4,
        attention_heads=2,
        max_tests=8,
    )
    values.update(overrides)
    return ModelConfig(**values)


def assert_all_grads_finite(model: torch.nn.Module) -> None:
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(parameter.grad).all(), f"{name} has a non-finite gradient"


def total_loss(output) -> torch.Tensor:
    loss = output.token_logits.sum() + output.wrong_logits.sum()
    if output.copy_logits is not None:
        finite = torch.isfinite(output.copy_logits)
        loss = loss + output.copy_logits[finite].sum() + output.copy_gate.sum()
    return loss
