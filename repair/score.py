"""The model's view of a program state: per token, how likely it is wrong and what it should be.

Builds one graph per suspicious region (with the test signal and the refinement round as node
features), runs the checkpoint's model on them as one batch, and reads the proposals back
(`repair.predict`). Kept apart from `repair.rank` so the model-free baseline never loads torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch_geometric.data import Batch

from repair.graph import GraphNodes, build_graph
from repair.models.guided_unet import GuidedIterativeGraphUNet
from repair.policy import SearchPolicy
from repair.predict import propose
from repair.rank import FileView, Region, RegionScores
from repair.source import Token
from repair.vocabulary import Vocabulary


@dataclass
class RegionGraphs:
    """One graph per region of a state, batched, with what reading the model's output back
    needs; built once and shared by every model of one vocabulary."""

    batch: Batch
    nodes: list[GraphNodes]
    token_lists: list[Sequence[Token]]
    option_caches: list[dict[tuple, list[str]]]  # per graph: each token's same-class options

    @classmethod
    def build(
        cls,
        files: Mapping[str, FileView],
        regions: Sequence[Region],
        signals: Mapping[str, Mapping[int, float]],
        iteration: int,
        vocabulary: Vocabulary,
    ) -> RegionGraphs:
        graphs, nodes, token_lists = [], [], []
        for region in regions:
            view = files[region.path]
            graph, graph_nodes = build_graph(
                view.source,
                view.tokens,
                vocabulary,
                tree=view.tree,
                line_signal=signals.get(region.path, {}),
                region=(region.start, region.end),
                iteration=iteration,
            )
            graphs.append(graph)
            nodes.append(graph_nodes)
            token_lists.append(view.tokens)
        batch = Batch.from_data_list(graphs)
        return cls(batch, nodes, token_lists, [{} for _ in regions])


class ModelScorer:
    """The model's view of a program state: P(wrong) per token, P(option) per replacement."""

    def __init__(
        self, model: torch.nn.Module, vocabulary: Vocabulary, device: str = "cpu", threads: int = 1
    ):
        self.model = model.eval()
        self.vocabulary = vocabulary
        self.device = torch.device(device)
        # One intra-op thread by default: the graphs have a few hundred nodes, and beside the
        # validation workers (or on any busy machine) PyTorch's thread pool costs more than it
        # gains: ranking the toolz bug of `bench/rank_speed.py` took 0.61 s with one thread and
        # 1.84 s with two on a 2-core machine, a fixture 0.07 s vs 1.07 s.
        self.threads = threads

    def score(
        self,
        files: Mapping[str, FileView],
        regions: Sequence[Region],
        signals: Mapping[str, Mapping[int, float]],
        iteration: int,
        policy: SearchPolicy,
    ) -> list[RegionScores]:
        """Per region: {token index: P(wrong)} for every token in the graph, and
        {token index: [(replacement, P), ...] best first} for every repair target (P smoothed
        by `policy.option_smoothing`)."""
        if not regions:
            return []
        return self.score_graphs(
            RegionGraphs.build(files, regions, signals, iteration, self.vocabulary), policy
        )

    @torch.no_grad()
    def score_graphs(self, graphs: RegionGraphs, policy: SearchPolicy) -> list[RegionScores]:
        """`score` on graphs already built with this model's vocabulary."""
        if torch.get_num_threads() != self.threads:  # per thread in OpenMP: set where it runs
            torch.set_num_threads(self.threads)
        batch = graphs.batch.to(self.device)
        if isinstance(self.model, GuidedIterativeGraphUNet):
            output = self.model(batch, None)  # no per-test feedback at repair time
        else:
            output = self.model(batch)
        proposals = propose(
            output,
            batch.ptr.cpu(),
            graphs.nodes,
            graphs.token_lists,
            self.vocabulary,
            ident_index=batch.ident_index.cpu(),
            smoothing=policy.option_smoothing,
            option_caches=graphs.option_caches,
        )
        wrong = torch.sigmoid(output.wrong_logits.float()).cpu().tolist()
        ptr = batch.ptr.cpu().tolist()
        results = []
        for graph_id, graph_nodes in enumerate(graphs.nodes):
            wrong_of = {
                token: wrong[ptr[graph_id] + local]
                for local, token in enumerate(graph_nodes.node_token)
                if token >= 0
            }
            options = {p.token.index: list(p.options) for p in proposals[graph_id]}
            results.append((wrong_of, options))
        return results


class EnsembleScorer:
    """Several models' views of a state averaged: P(wrong) per token, P(option) per replacement.

    Models trained differently err differently; on the development splits the average of the
    Exp 4 and Exp 3d runs ranked seeded fixes earlier than either alone (models/MODEL_CARD.md).
    """

    def __init__(self, members: Sequence[ModelScorer]):
        self.members = list(members)
        # per member, the first member with the same vocabulary: whose graphs it can share
        self._graphs_of = [
            next(j for j, other in enumerate(members) if other.vocabulary.itos == m.vocabulary.itos)
            for m in members
        ]

    @property
    def threads(self) -> int:
        return self.members[0].threads

    @threads.setter
    def threads(self, value: int) -> None:
        for member in self.members:
            member.threads = value

    def score(
        self,
        files: Mapping[str, FileView],
        regions: Sequence[Region],
        signals: Mapping[str, Mapping[int, float]],
        iteration: int,
        policy: SearchPolicy,
    ) -> list[RegionScores]:
        """As `ModelScorer.score`, each probability the mean of the members' (0 where a member
        has none)."""
        if not regions:
            return []
        built: dict[int, RegionGraphs] = {}  # one per vocabulary: the bundled pair shares one
        views = []
        for member, owner in zip(self.members, self._graphs_of):
            if owner not in built:
                built[owner] = RegionGraphs.build(
                    files, regions, signals, iteration, member.vocabulary
                )
            views.append(member.score_graphs(built[owner], policy))
        share = 1.0 / len(self.members)
        results = []
        for per_region in zip(*views):
            wrong: dict[int, float] = {}
            options: dict[int, dict[str, float]] = {}
            for wrong_of, options_of in per_region:
                for token, p in wrong_of.items():
                    wrong[token] = wrong.get(token, 0.0) + share * p
                for token, ranked in options_of.items():
                    into = options.setdefault(token, {})
                    for text, p in ranked:
                        into[text] = into.get(text, 0.0) + share * p
            best_first = {
                token: sorted(by_text.items(), key=lambda item: -item[1])
                for token, by_text in options.items()
            }
            results.append((wrong, best_first))
        return results
