"""Batched decoding for training and evaluation: each repair target's best same-class option.

`repair.predict.propose` builds every option's probability one token at a time in Python, which
suits `repair fix` (one program, every option ranked). Training decodes thousands of program states
a second and only needs, per token, P(wrong) and the best option. Here the options are listed once
per state in the graph-building workers (`option_table`), and the model's outputs are gathered for
all of them at once on the model's device; the result equals
`propose(..., include_builtins=False, smoothing=0)`: training decodes without smoothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from repair.graph import CodeGraph, GraphNodes
from repair.source import Edit, Token, TokenClass, candidates, is_repair_target
from repair.vocabulary import Vocabulary

EPSILON = 1e-9


@dataclass
class OptionTable:
    """The same-class options of one program state's repair targets, flattened.

    Targets are the repair-target tokens with at least one option, in node order; the options of
    target `t` are the contiguous run `opt_target == t`, in `candidates` order.
    """

    target_node: np.ndarray  # (T,) node index in the graph
    target_token: np.ndarray  # (T,) token index
    target_row: np.ndarray  # (T,) row in the graph's ident_index for identifiers, else -1
    opt_target: np.ndarray  # (O,) which target each option belongs to
    opt_vocab: np.ndarray  # (O,) vocabulary id, -1 when out of vocabulary
    opt_column: np.ndarray  # (O,) copy-head column (the name's ident group), -1 if none
    opt_text: list[str]  # (O,)


def option_table(
    token_list: Sequence[Token], nodes: GraphNodes, graph: CodeGraph, vocabulary: Vocabulary
) -> OptionTable:
    row_of = {int(node): row for row, node in enumerate(graph.ident_index.tolist())}
    group_of = {name: group for group, name in enumerate(nodes.ident_names)}
    cache: dict[tuple, list[str]] = {}
    target_node, target_token, target_row = [], [], []
    opt_target, opt_vocab, opt_column, opt_text = [], [], [], []
    for local, token_index in enumerate(nodes.node_token):
        if token_index < 0:
            continue
        token = token_list[token_index]
        if not is_repair_target(token):
            continue
        key = (token.token_class, token.scope, token.text)
        if key not in cache:
            cache[key] = candidates(token, token_list, include_builtins=False)
        options = cache[key]
        if not options:
            continue
        identifier = token.token_class == TokenClass.IDENTIFIER
        target = len(target_node)
        target_node.append(local)
        target_token.append(token_index)
        target_row.append(row_of.get(local, -1) if identifier else -1)
        opt_target.extend([target] * len(options))
        opt_vocab.extend(vocabulary.stoi.get(text, -1) for text in options)
        opt_column.extend(group_of.get(text, -1) if identifier else -1 for text in options)
        opt_text.extend(options)
    as_array = lambda values: np.asarray(values, dtype=np.int64)  # noqa: E731
    return OptionTable(
        as_array(target_node),
        as_array(target_token),
        as_array(target_row),
        as_array(opt_target),
        as_array(opt_vocab),
        as_array(opt_column),
        opt_text,
    )


@dataclass
class Decoded:
    """One program state's decoding: per target token, P(wrong) and its best option."""

    token_index: np.ndarray  # (T,)
    wrong: np.ndarray  # (T,) P(wrong)
    best_text: list[str]  # (T,)
    best_p: np.ndarray  # (T,) the best option's probability among the token's options


@torch.no_grad()
def decode(output, batch, tables: Sequence[OptionTable]) -> list[Decoded]:
    """Best option per target token for every graph of `batch`, gathered on the model's device."""
    device = output.token_logits.device
    ptr = batch.ptr.cpu().numpy()
    rows_per_graph = torch.bincount(
        batch.batch[batch.ident_index].cpu(), minlength=len(tables)
    ).numpy()
    row_offset = np.concatenate([[0], np.cumsum(rows_per_graph)[:-1]])
    target_offset = np.concatenate([[0], np.cumsum([len(t.target_node) for t in tables])[:-1]])
    node = np.concatenate([t.target_node + ptr[g] for g, t in enumerate(tables)] or [[]])
    row = np.concatenate(
        [
            np.where(t.target_row >= 0, t.target_row + row_offset[g], -1)
            for g, t in enumerate(tables)
        ]
        or [[]]
    )
    opt_target = np.concatenate(
        [t.opt_target + target_offset[g] for g, t in enumerate(tables)] or [[]]
    )
    opt_vocab = np.concatenate([t.opt_vocab for t in tables] or [[]])
    opt_column = np.concatenate([t.opt_column for t in tables] or [[]])
    if len(opt_target) == 0:
        return [Decoded(t.target_token, np.zeros(0), [], np.zeros(0)) for t in tables]

    to = lambda array: torch.as_tensor(array, dtype=torch.long, device=device)  # noqa: E731
    node_t, row_t, opt_target_t = to(node), to(row), to(opt_target)
    opt_vocab_t, opt_column_t = to(opt_vocab), to(opt_column)
    opt_node = node_t[opt_target_t]
    # float32 probabilities as the model gives them, mixed in float64 (as `propose` does)
    logp = torch.log_softmax(output.token_logits.float(), dim=-1)
    vocab_p = logp[opt_node, opt_vocab_t.clamp(min=0)].exp().double()
    vocab_p = torch.where(opt_vocab_t >= 0, vocab_p, torch.zeros_like(vocab_p))
    score = vocab_p
    if output.copy_logits is not None and output.copy_logits.numel():
        copy_p = torch.softmax(output.copy_logits.float(), dim=-1).nan_to_num(0.0)
        gate = torch.sigmoid(output.copy_gate.float())
        opt_row = row_t[opt_target_t]
        has_row = opt_row >= 0
        safe_row = opt_row.clamp(min=0)
        picked = copy_p[safe_row, opt_column_t.clamp(min=0)].double()
        picked = torch.where(has_row & (opt_column_t >= 0), picked, torch.zeros_like(picked))
        g = gate[safe_row].double()
        score = torch.where(has_row, (1 - g) * vocab_p + g * picked, vocab_p)
    wrong = torch.sigmoid(output.wrong_logits.float())[node_t]
    score = score.cpu().numpy()
    wrong = wrong.cpu().numpy().astype(np.float64)

    counts = np.bincount(opt_target, minlength=len(node))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    total = np.add.reduceat(score, starts)
    # best option: highest score, the earliest option on ties (a stable sort, as `propose` does)
    order = np.lexsort((-score, opt_target))
    best = order[starts]
    unknown = total <= EPSILON  # nothing known about any option: the first, at 1/len
    best = np.where(unknown, starts, best)
    best_p = np.where(unknown, 1.0 / counts, score[best] / np.where(unknown, 1.0, total))
    results = []
    texts = [text for t in tables for text in t.opt_text]
    for g, table in enumerate(tables):
        span = slice(target_offset[g], target_offset[g] + len(table.target_node))
        results.append(
            Decoded(
                token_index=table.target_token,
                wrong=wrong[span],
                best_text=[texts[i] for i in best[span]],
                best_p=best_p[span],
            )
        )
    return results


def decide(decoded: Decoded) -> np.ndarray:
    """Positions (into `decoded`) of the tokens the model changes in one pass.

    A fixed threshold on P(wrong) barely ever fires early in training or at low corruption, so
    the model changes as many tokens as it expects to be wrong (the sum of its P(wrong), a
    calibrated count), taking those where P(wrong) · P(best replacement) is highest, plus any
    token it is more sure is wrong than right.
    """
    wrong = decoded.wrong.tolist()
    expected = round(sum(wrong))
    confidence = (decoded.wrong * decoded.best_p).tolist()
    tokens = decoded.token_index.tolist()
    ranked = sorted(range(len(wrong)), key=lambda i: (-confidence[i], tokens[i]))
    return np.asarray(
        sorted(i for rank, i in enumerate(ranked) if rank < expected or wrong[i] > 0.5),
        dtype=np.int64,
    )


def decided_edits(decoded: Decoded, token_list: Sequence[Token]) -> list[Edit]:
    """The model's own next state: its chosen tokens replaced by their best options."""
    edits = []
    for i in decide(decoded).tolist():
        token = token_list[int(decoded.token_index[i])]
        edits.append(Edit(token.start, token.end, token.text, decoded.best_text[i]))
    return edits
