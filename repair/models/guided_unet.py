"""GuidedIterativeGraphUNet: the log's Exp 3 model. The same graph U-Net as IterativeGraphUNet, but
test results are not a node feature: each failing test becomes one embedding, and after every graph
convolution (down and up) the nodes cross-attend to the failing tests of their own graph."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.utils import to_dense_batch

from repair.graph_schema import MAX_ITERATION
from repair.models.config import ModelConfig
from repair.models.iterative_unet import (
    GraphUNetTrunk,
    ModelOutput,
    NodeEncoder,
    OutputHeads,
    graph_batch,
    sub_token_inputs,
    tie_embeddings,
    tied_token_weight,
)


@dataclass
class TestFeedback:
    """One batch's test results; tests are numbered across the batch, grouped graph by graph."""

    __test__ = False  # not a pytest test class

    test_failed: Tensor  # (T,) float, 1 = the test failed
    test_batch: Tensor  # (T,) graph of each test
    test_id: Tensor  # (T,) index of the test within its program, clipped to 0..127
    test_cover_index: (
        Tensor  # (2, C) rows [test, node], both global: that test ran that node's line
    )

    def to(self, device: torch.device | str) -> TestFeedback:
        return TestFeedback(*(getattr(self, name).to(device) for name in self.__dataclass_fields__))


class TestEncoder(nn.Module):
    """One embedding per failing test: its id, its outcome, and the mean of the nodes it covered.

    Only failing tests are encoded because only they are attended to; a passing test therefore
    cannot change the output. The coverage mean is an embedding_bag, which never materialises a
    (covered pairs, hidden) tensor: 1,000 tests covering 10,000 nodes stay cheap.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.max_tests = config.max_tests
        self.test_id = nn.Embedding(config.max_tests, config.hidden)
        self.outcome = nn.Embedding(2, config.hidden)  # 0 passed, 1 failed
        self.coverage = nn.Linear(config.hidden, config.hidden)
        self.norm = nn.LayerNorm(config.hidden)

    def reset_parameters(self) -> None:
        for module in self.children():
            module.reset_parameters()

    def forward(self, node_states: Tensor, feedback: TestFeedback) -> tuple[Tensor, Tensor]:
        failing = (feedback.test_failed > 0.5).nonzero().view(-1)
        failing = failing[torch.argsort(feedback.test_batch[failing], stable=True)]  # by graph
        if failing.numel() == 0:
            return node_states.new_zeros(0, node_states.size(1)), failing
        renumber = failing.new_full((feedback.test_failed.numel(),), -1)
        renumber[failing] = torch.arange(failing.numel(), device=failing.device)
        test, node = feedback.test_cover_index
        test = renumber[test]
        keep = test >= 0  # coverage of passing tests is never read
        test, node = test[keep], node[keep]
        order = torch.argsort(test, stable=True)
        counts = torch.bincount(test, minlength=failing.numel())
        offsets = torch.cumsum(counts, 0) - counts
        covered = F.embedding_bag(node[order], node_states, offsets, mode="mean")  # (F, hidden)
        test_id = feedback.test_id[failing].clamp(0, self.max_tests - 1)
        outcome = torch.ones_like(test_id)
        tests = self.test_id(test_id) + self.outcome(outcome) + self.coverage(covered)
        return self.norm(tests), feedback.test_batch[failing]  # (F, hidden), (F,)


class TestCrossAttention(nn.Module):
    """Nodes attend to their own graph's failing tests; residual, then LayerNorm.

    Nodes and tests are padded per graph (to_dense_batch) and scaled_dot_product_attention gets a
    key mask, so memory is (graphs, nodes per graph, tests per graph), never all nodes x all tests.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.heads = config.attention_heads
        self.dropout = config.dropout
        hidden = config.hidden
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden)

    def reset_parameters(self) -> None:
        for module in self.children():
            module.reset_parameters()

    def _split_heads(self, x: Tensor) -> Tensor:
        batch_size, length, hidden = x.shape
        return x.view(batch_size, length, self.heads, hidden // self.heads).transpose(1, 2)

    def forward(
        self, x: Tensor, batch: Tensor, tests: Tensor, test_graph: Tensor, num_graphs: int
    ) -> Tensor:
        nodes, node_mask = to_dense_batch(x, batch, batch_size=num_graphs)  # (B, Nmax, hidden)
        keys, key_mask = to_dense_batch(
            tests, test_graph, batch_size=num_graphs
        )  # (B, Fmax, hidden)
        has_tests = key_mask.any(dim=1)  # (B,)
        # a graph without failing tests would softmax over nothing (NaN): let it see its padding,
        # then throw the result away below
        key_mask = key_mask | ~has_tests.unsqueeze(1)
        q = self._split_heads(self.query(nodes))  # (B, nh, Nmax, hs)
        k = self._split_heads(self.key(keys))  # (B, nh, Fmax, hs)
        v = self._split_heads(self.value(keys))
        attended = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=key_mask[:, None, None, :],
            dropout_p=self.dropout if self.training else 0.0,
        )  # (B, nh, Nmax, hs)
        attended = attended.transpose(1, 2).reshape(nodes.shape)[node_mask]  # (N, hidden)
        updated = self.norm(x + F.dropout(self.out(attended), self.dropout, self.training))
        return torch.where(has_tests[batch].unsqueeze(1), updated, x)


class GuidedIterativeGraphUNet(nn.Module):
    r"""Graph U-Net repair model of Exp 3, 3b, 3c and 3d (test feedback through cross-attention).

    Args:
        config (ModelConfig): as for IterativeGraphUNet; Exp 3 presets set ``features="exp3"``
            (``"exp1"`` gives the log's hybrid Option C: signal feature and cross-attention).
            ``use_test_guidance=False`` builds Exp 3b: no test encoder or attention parameters.
            ``attention_heads`` and ``max_tests`` size the cross-attention and test-id table.

    ``forward(data, feedback=None)``: without feedback (Exp 3c's iteration 0) or without guidance
    the trunk runs unchanged; a graph whose tests all pass gets no attention update.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.encoder = NodeEncoder(config)
        self.trunk = GraphUNetTrunk(config)
        self.heads = OutputHeads(config)
        tie_embeddings(self, config)
        self.test_encoder = None
        self.cross_attention = None
        if config.use_test_guidance:
            self.test_encoder = TestEncoder(config)
            self.cross_attention = nn.ModuleList(
                TestCrossAttention(config) for _ in range(self.trunk.num_layers)
            )

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.trunk.reset_parameters()
        self.heads.reset_parameters()
        tie_embeddings(self, self.config)
        if self.test_encoder is not None:
            self.test_encoder.reset_parameters()
            for block in self.cross_attention:
                block.reset_parameters()

    def forward(self, data, feedback: TestFeedback | None = None) -> ModelOutput:
        batch, num_graphs = graph_batch(data)
        node_iteration = data.iteration.clamp(0, MAX_ITERATION - 1)[batch]
        signal = data.signal if self.config.features == "exp1" else None
        words, names = sub_token_inputs(self.encoder, data, self.config)
        h = self.encoder(data.x, node_iteration, signal, words)

        layer_hook = None
        if self.test_encoder is not None and feedback is not None:
            tests, test_graph = self.test_encoder(h, feedback)
            if tests.size(0) > 0:

                def layer_hook(layer: int, x: Tensor, layer_batch: Tensor) -> Tensor:
                    attend = self.cross_attention[layer]
                    return attend(x, layer_batch, tests, test_graph, num_graphs)

        h = self.trunk(h, data.edge_index, data.edge_attr.view(-1), batch, layer_hook)
        return self.heads(h, data, batch, num_graphs, names, tied_token_weight(self))

    def __repr__(self) -> str:
        c = self.config
        return (
            f"{self.__class__.__name__}(vocab_size={c.vocab_size}, hidden={c.hidden}, "
            f"depth={c.depth}, conv={c.conv!r}, heads={c.heads}, pool_ratio={c.pool_ratio}, "
            f"features={c.features!r}, use_test_guidance={c.use_test_guidance}, "
            f"attention_heads={c.attention_heads}, max_tests={c.max_tests}, copy={c.copy})"
        )
