"""IterativeGraphUNet: the log's Exp 1/2/4 model. A graph U-Net over the code graph whose nodes see
their token, previous token, parent type, depth, refinement round and test signal, and which says
per node whether the token is wrong, what it should be, and (for identifiers) which of the graph's
own names to copy. The building blocks here are reused by the guided model (guided_unet.py)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GATConv, GCNConv, TopKPooling
from torch_geometric.utils import scatter, to_dense_batch

from repair.graph_schema import DEPTH_VALUES, MAX_ITERATION, NUM_EDGE_TYPES, SIBLING_VALUES
from repair.models.config import ModelConfig

TWO_HOP_EDGE_TYPE = NUM_EDGE_TYPES  # extra type for the edges added before each pooling

# layer_hook(layer, x, batch) -> x runs after each of the trunk's 2 * depth + 1 convolutions
LayerHook = Callable[[int, Tensor, Tensor], Tensor]


class ModelOutput(NamedTuple):
    token_logits: Tensor  # (N, vocab_size) replacement token per node
    wrong_logits: Tensor  # (N,) logit that the node's token is wrong
    # copy fields are None when config.copy is False; M identifier uses, Kmax most names per graph
    copy_logits: Tensor | None  # (M, Kmax) each use over the names of its own graph, -inf pad
    copy_candidates: Tensor | None  # (M, Kmax) global ident_group id of each column, -1 pad
    copy_gate: Tensor | None  # (M,) logit of copying a name rather than taking the vocabulary token


def graph_batch(data) -> tuple[Tensor, int]:
    """The node -> graph vector and the number of graphs, for a Batch or a single graph."""
    num_graphs = data.iteration.numel()  # one refinement round per graph
    batch = data.batch
    if batch is None:
        batch = torch.zeros(data.num_nodes, dtype=torch.long, device=data.x.device)
    return batch, num_graphs


class NodeEncoder(nn.Module):
    """Sums one embedding per configured node feature, then LayerNorm (as BERT sums its inputs).

    Token and previous token share one table; the previous token goes through its own linear map,
    otherwise the sum could not tell "a after b" from "b after a". The test signal is a scalar in
    [0, 1] (binary in Exp 1, Tarantula in Exp 4): a Linear on it keeps its order and resolution,
    where buckets would quantise Tarantula scores and learn each bucket separately.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.features = config.features
        hidden = config.hidden
        self.token = nn.Embedding(config.vocab_size, hidden)
        self.previous_token = nn.Linear(hidden, hidden, bias=False)
        self.depth = nn.Embedding(DEPTH_VALUES, hidden)
        self.iteration = nn.Embedding(MAX_ITERATION, hidden)
        if self.features == "exp1":
            self.parent_type = nn.Embedding(config.num_parent_types, hidden)
            self.signal = nn.Linear(1, hidden)
        else:
            self.sibling = nn.Embedding(SIBLING_VALUES, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.dropout = nn.Dropout(config.dropout)
        if config.subtokens:
            self.words = nn.Linear(hidden, hidden, bias=False)  # a leaf's words, beside its token
            self.name = nn.Linear(hidden, hidden)  # a copy-head name from its token and words

    def reset_parameters(self) -> None:
        for module in self.children():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def word_mean(self, words: Tensor) -> Tensor:
        """(R, S) word ids, 0 = none → (R, hidden) mean word embedding (zero without words)."""
        present = (words > 0).unsqueeze(-1)
        total = (self.token(words) * present).sum(dim=1)
        return total / present.sum(dim=1).clamp(min=1)

    def name_states(self, name_tokens: Tensor) -> Tensor:
        """(K, 1 + S) name token id then word ids → (K, hidden) what a name says by itself."""
        return self.name(self.token(name_tokens[:, 0]) + self.word_mean(name_tokens[:, 1:]))

    def forward(
        self,
        x: Tensor,
        node_iteration: Tensor,
        signal: Tensor | None,
        words: Tensor | None = None,
    ) -> Tensor:
        token, previous, parent_type, depth, sibling = x.unbind(dim=-1)  # each (N,)
        h = self.token(token) + self.previous_token(self.token(previous))
        h = h + self.depth(depth) + self.iteration(node_iteration)
        if self.features == "exp1":
            h = h + self.parent_type(parent_type) + self.signal(signal.view(-1, 1).to(h.dtype))
        else:
            h = h + self.sibling(sibling)
        if words is not None:  # (N, S) sub-token ids of identifier / string leaves
            h = h + self.words(self.word_mean(words))
        return self.dropout(self.norm(h))  # (N, hidden)


@torch.no_grad()
def add_two_hop_edges(
    edge_index: Tensor, edge_type: Tensor, num_nodes: int
) -> tuple[Tensor, Tensor]:
    """Keep every typed edge and add the 2-hop pairs not already joined, as type TWO_HOP_EDGE_TYPE.

    GraphUNet squares the adjacency before each pooling so that the kept half of the nodes stays
    connected (on a syntax tree, dropping a parent would otherwise cut its children off). A
    squared adjacency has no edge types, so the original edges keep theirs and the new ones get
    a type of their own that the convolutions can learn to weigh.
    """
    # walk u -> v -> w over an edge list sorted by source (no sparse tensors: plain gathers run
    # the same on every device); the number of walks is the number of entries of A @ A
    source, target = edge_index
    order = torch.argsort(source, stable=True)
    sorted_target = target[order]
    out_degree = torch.bincount(source, minlength=num_nodes)
    start = torch.cumsum(out_degree, 0) - out_degree  # first edge of each source in sorted order
    walks = out_degree[target]  # (E,) continuations of each edge u -> v
    first = torch.repeat_interleave(source, walks)
    offset = torch.arange(first.numel(), device=first.device)
    offset = offset - torch.repeat_interleave(torch.cumsum(walks, 0) - walks, walks)
    last = sorted_target[torch.repeat_interleave(start[target], walks) + offset]
    # one sort finds the distinct walk ends and which of them are already edges
    existing = source * num_nodes + target
    pairs, inverse = torch.unique(
        torch.cat([existing, first * num_nodes + last]), return_inverse=True
    )
    is_new = torch.ones_like(pairs, dtype=torch.bool)
    is_new[inverse[: existing.numel()]] = False
    pairs = pairs[is_new & (pairs // num_nodes != pairs % num_nodes)]
    two_hop = torch.stack([pairs // num_nodes, pairs % num_nodes])
    new_types = edge_type.new_full((two_hop.size(1),), TWO_HOP_EDGE_TYPE)
    return torch.cat([edge_index, two_hop], dim=1), torch.cat([edge_type, new_types])


class GraphUNetTrunk(nn.Module):
    """PyG's GraphUNet (conv, then depth x [2-hop augment, TopKPooling, conv], then unpool with
    summed skips and conv back up), with edge types as GAT edge features that follow the pooling."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.depth = config.depth
        self.conv = config.conv
        self.dropout = config.dropout
        hidden = config.hidden
        self.edge_embedding = None
        if config.conv == "gat":
            self.edge_embedding = nn.Embedding(NUM_EDGE_TYPES + 1, config.edge_dim)

        def make_conv() -> nn.Module:
            if config.conv == "gat":
                return GATConv(
                    hidden, hidden, heads=config.heads, concat=False, edge_dim=config.edge_dim
                )
            return GCNConv(hidden, hidden, improved=True)

        self.down_convs = nn.ModuleList(make_conv() for _ in range(config.depth + 1))
        self.pools = nn.ModuleList(
            TopKPooling(hidden, config.pool_ratio) for _ in range(config.depth)
        )
        self.up_convs = nn.ModuleList(make_conv() for _ in range(config.depth))

    @property
    def num_layers(self) -> int:
        return 2 * self.depth + 1

    def reset_parameters(self) -> None:
        if self.edge_embedding is not None:
            self.edge_embedding.reset_parameters()
        for module in [*self.down_convs, *self.pools, *self.up_convs]:
            module.reset_parameters()

    def _convolve(
        self, conv: nn.Module, x: Tensor, edge_index: Tensor, edge_type: Tensor
    ) -> Tensor:
        if self.edge_embedding is None:
            return conv(x, edge_index)  # GCN: structure only
        return conv(x, edge_index, self.edge_embedding(edge_type))

    def _activate(self, x: Tensor) -> Tensor:
        return F.dropout(F.relu(x), p=self.dropout, training=self.training)

    def forward(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_type: Tensor,
        batch: Tensor,
        layer_hook: LayerHook | None = None,
    ) -> Tensor:
        hook = layer_hook or (lambda layer, x, batch: x)
        x = self._activate(self._convolve(self.down_convs[0], x, edge_index, edge_type))
        x = hook(0, x, batch)
        xs, edge_indices, edge_types, batches, perms = [x], [edge_index], [edge_type], [batch], []
        for level in range(1, self.depth + 1):
            edge_index, edge_type = add_two_hop_edges(edge_index, edge_type, x.size(0))
            # TopKPooling filters edge_attr together with the edges, so edge types stay aligned
            x, edge_index, edge_type, batch, perm, _ = self.pools[level - 1](
                x, edge_index, edge_type, batch
            )
            x = self._activate(self._convolve(self.down_convs[level], x, edge_index, edge_type))
            x = hook(level, x, batch)
            if level < self.depth:
                xs.append(x)
                edge_indices.append(edge_index)
                edge_types.append(edge_type)
                batches.append(batch)
            perms.append(perm)

        for step in range(self.depth):
            level = self.depth - 1 - step
            up = torch.zeros_like(xs[level])
            up[perms[level]] = x  # unpool: pooled nodes back to their places, the rest zero
            x = xs[level] + up  # summed skip (GraphUNet's sum_res=True) keeps the width at hidden
            x = self._convolve(self.up_convs[step], x, edge_indices[level], edge_types[level])
            if step < self.depth - 1:  # no activation after the last conv, as in GraphUNet
                x = self._activate(x)
            x = hook(self.depth + 1 + step, x, batches[level])
        return x  # (N, hidden)


class OutputHeads(nn.Module):
    """Token head, is-wrong head, and the copy pointer over each graph's own identifier names."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        hidden = config.hidden
        if config.tie_embeddings:  # the weights are the input embedding's, passed to forward
            self.token_bias = nn.Parameter(torch.zeros(config.vocab_size))
        else:
            self.token = nn.Linear(hidden, config.vocab_size)
        self.wrong = nn.Linear(hidden, 1)
        self.copy = config.copy
        if config.copy:
            self.copy_query = nn.Linear(hidden, hidden)
            self.copy_key = nn.Linear(hidden, hidden)
            self.copy_gate = nn.Linear(hidden, 1)

    def reset_parameters(self) -> None:
        for module in self.children():
            module.reset_parameters()
        if hasattr(self, "token_bias"):
            nn.init.zeros_(self.token_bias)

    def forward(
        self,
        h: Tensor,
        data,
        batch: Tensor,
        num_graphs: int,
        names: Tensor | None = None,
        token_weight: Tensor | None = None,
    ) -> ModelOutput:
        if token_weight is not None:  # tied: (vocab_size, hidden), the input embedding
            token_logits = F.linear(h, token_weight, self.token_bias)
        else:
            token_logits = self.token(h)
        wrong_logits = self.wrong(h).squeeze(-1)
        if not self.copy:
            return ModelOutput(token_logits, wrong_logits, None, None, None)
        pointer = self._pointer(h, data, batch, num_graphs, names)
        return ModelOutput(token_logits, wrong_logits, *pointer)

    def _pointer(
        self, h: Tensor, data, batch: Tensor, num_graphs: int, names: Tensor | None
    ) -> tuple[Tensor, ...]:
        ident_index, ident_group = data.ident_index, data.ident_group  # (M,), (M,)
        num_idents = torch.as_tensor(data.num_idents, device=h.device).view(-1)  # (B,)
        num_names = int(num_idents.sum())
        # names are numbered graph by graph (CodeGraph.__inc__), so this vector is sorted
        name_graph = torch.repeat_interleave(torch.arange(num_graphs, device=h.device), num_idents)
        occurrences = h[ident_index]  # (M, hidden)
        # a name's key is the mean state of its occurrences (zero for a name the graph does not
        # use), plus with sub-tokens what the name says by itself (`names`, (K, hidden))
        keys = scatter(occurrences, ident_group, 0, dim_size=num_names, reduce="mean")
        if names is not None:
            keys = keys + names
        keys, key_mask = to_dense_batch(self.copy_key(keys), name_graph, batch_size=num_graphs)
        names = torch.arange(num_names, device=h.device)
        candidates, _ = to_dense_batch(names, name_graph, fill_value=-1, batch_size=num_graphs)
        # batching keeps each graph's ident_index in one block, so query_graph is sorted too
        query_graph = batch[ident_index]
        queries, query_mask = to_dense_batch(
            self.copy_query(occurrences), query_graph, batch_size=num_graphs
        )  # (B, Mmax, hidden)
        scores = queries @ keys.transpose(1, 2) / math.sqrt(h.size(-1))  # keys (B, Kmax, hidden)
        scores = scores.masked_fill(~key_mask.unsqueeze(1), float("-inf"))
        # per-graph dense products: a query only ever scores the names of its own graph
        return scores[query_mask], candidates[query_graph], self.copy_gate(occurrences).squeeze(-1)


def tie_embeddings(model: nn.Module, config: ModelConfig) -> None:
    """With `config.tie_embeddings` the token head reads the input embedding (one weight, stored
    once), drawn at a linear layer's scale: N(0, 1) rows would start the logits far from uniform."""
    if config.tie_embeddings:
        nn.init.normal_(model.encoder.token.weight, std=config.hidden**-0.5)


def tied_token_weight(model: nn.Module) -> Tensor | None:
    return model.encoder.token.weight if model.config.tie_embeddings else None


def sub_token_inputs(encoder: NodeEncoder, data, config: ModelConfig):
    """Per node word ids, and per copy-head name its state, for sub-token models (else None)."""
    if not config.subtokens:
        return None, None
    names = encoder.name_states(data.name_tokens) if config.copy else None
    return data.subtokens, names


class IterativeGraphUNet(nn.Module):
    r"""Graph U-Net repair model of Exp 1, 2 and 4 (test signal as a node feature).

    Args:
        config (ModelConfig): hidden width, U-Net depth, convolution ("gat" with edge-type features
            or "gcn"), node feature set ("exp1" or "exp3"), pooling ratio, dropout and whether to
            add the copy head. See the dataclass for defaults.

    ``forward(data)`` takes a batched ``CodeGraph`` and returns a :class:`ModelOutput`.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.encoder = NodeEncoder(config)
        self.trunk = GraphUNetTrunk(config)
        self.heads = OutputHeads(config)
        tie_embeddings(self, config)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.trunk.reset_parameters()
        self.heads.reset_parameters()
        tie_embeddings(self, self.config)

    def forward(self, data) -> ModelOutput:
        batch, num_graphs = graph_batch(data)
        node_iteration = data.iteration.clamp(0, MAX_ITERATION - 1)[batch]
        signal = data.signal if self.config.features == "exp1" else None
        words, names = sub_token_inputs(self.encoder, data, self.config)
        h = self.encoder(data.x, node_iteration, signal, words)
        h = self.trunk(h, data.edge_index, data.edge_attr.view(-1), batch)
        return self.heads(h, data, batch, num_graphs, names, tied_token_weight(self))

    def __repr__(self) -> str:
        c = self.config
        return (
            f"{self.__class__.__name__}(vocab_size={c.vocab_size}, hidden={c.hidden}, "
            f"depth={c.depth}, conv={c.conv!r}, heads={c.heads}, pool_ratio={c.pool_ratio}, "
            f"features={c.features!r}, copy={c.copy}"
            + (f", subtokens=True, tie_embeddings={c.tie_embeddings})" if c.subtokens else ")")
        )
