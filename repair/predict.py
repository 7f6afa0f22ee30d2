"""Model outputs → per-token proposals: how likely each token is wrong, and what it should be.

Replacements are restricted to the token's syntactic class (so an edit never breaks parsing);
an identifier's probability mixes the vocabulary head with the copy head over the names of its
own graph, which covers names the vocabulary has never seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from repair.graph import GraphNodes
from repair.source import Token, TokenClass, candidates, is_repair_target
from repair.vocabulary import Vocabulary

EPSILON = 1e-9


@dataclass(frozen=True)
class TokenProposal:
    token: Token
    wrong: float  # P(this token is wrong), from the "is wrong" head
    options: tuple[tuple[str, float], ...]  # same-class replacements, P renormalised, best first

    @property
    def best(self) -> tuple[str, float]:
        return self.options[0]


def propose(
    output,
    ptr: torch.Tensor,
    graph_nodes: Sequence[GraphNodes],
    token_lists: Sequence[Sequence[Token]],
    vocabulary: Vocabulary,
    *,
    ident_index: torch.Tensor,
    min_wrong: float = 0.0,
    include_builtins: bool = True,
    smoothing: float,
    option_caches: Sequence[dict[tuple, list[str]]] | None = None,
) -> list[list[TokenProposal]]:
    """One list of proposals per graph of the batch, one per repair-target token whose P(wrong)
    is at least `min_wrong` (0: every token; scoring every option of every token costs time).
    `smoothing`: of P(option) towards uniform (`SearchPolicy.option_smoothing` says why).
    `option_caches`: one dict per graph that keeps each token's same-class options, for several
    models' outputs on the same graphs (None: computed afresh)."""
    token_logp = torch.log_softmax(output.token_logits.float(), dim=-1).cpu()
    wrong = torch.sigmoid(output.wrong_logits.float()).cpu()
    copy_rows: dict[int, int] = {int(node): row for row, node in enumerate(ident_index.tolist())}
    copy_p = gate = candidates_global = None
    if output.copy_logits is not None and output.copy_logits.numel():
        copy_p = torch.softmax(output.copy_logits.float(), dim=-1).nan_to_num(0.0).cpu()
        gate = torch.sigmoid(output.copy_gate.float()).cpu()
        candidates_global = output.copy_candidates.cpu()

    token_logp = token_logp.numpy()
    results: list[list[TokenProposal]] = []
    group_offset = 0
    for graph_id, (nodes, token_list) in enumerate(zip(graph_nodes, token_lists)):
        start = int(ptr[graph_id])
        proposals = []
        option_cache = {} if option_caches is None else option_caches[graph_id]
        for local, token_index in enumerate(nodes.node_token):
            if token_index < 0:
                continue
            token = token_list[token_index]
            if not is_repair_target(token):
                continue
            node = start + local
            if float(wrong[node]) < min_wrong:
                continue
            # Same class, same scope, same text → same options: compute them once per program.
            key = (token.token_class, token.scope, token.text)
            if key not in option_cache:
                option_cache[key] = candidates(token, token_list, include_builtins)
            options = option_cache[key]
            if not options:
                continue
            ids = np.array([vocabulary.stoi.get(text, -1) for text in options])
            probabilities = np.where(ids >= 0, np.exp(token_logp[node, ids.clip(min=0)]), 0.0)
            vocab_p = dict(zip(options, probabilities.tolist()))
            scores = dict(vocab_p)
            row = copy_rows.get(node)
            if (
                token.token_class == TokenClass.IDENTIFIER
                and row is not None
                and copy_p is not None
            ):
                g = float(gate[row])
                by_name: dict[str, float] = {}
                for column, group in enumerate(candidates_global[row].tolist()):
                    if group >= 0:
                        name = nodes.ident_names[group - group_offset]
                        by_name[name] = by_name.get(name, 0.0) + float(copy_p[row, column])
                scores = {
                    text: (1 - g) * vocab_p[text] + g * by_name.get(text, 0.0) for text in options
                }
            total = sum(scores.values())
            if total <= EPSILON:  # nothing known about any option: keep the deterministic order
                ranked = [(text, 1.0 / len(options)) for text in options]
            else:
                uniform = smoothing / len(options)
                ranked = sorted(
                    (
                        (text, (1 - smoothing) * score / total + uniform)
                        for text, score in scores.items()
                    ),
                    key=lambda item: -item[1],
                )
            proposals.append(TokenProposal(token, float(wrong[node]), tuple(ranked)))
        results.append(proposals)
        group_offset += len(nodes.ident_names)
    return results
