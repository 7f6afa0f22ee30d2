"""The sub-token model options: word inputs, copy-head keys for names without occurrences, tied
embeddings; older configurations keep every parameter name they had."""

from __future__ import annotations

import torch
from tiny_graphs import VOCAB, tiny_config, two_graph_batch

from repair.graph_schema import MAX_SUBTOKENS
from repair.models import build_model


def with_words(batch):
    generator = torch.Generator().manual_seed(3)
    batch.subtokens = torch.randint(0, VOCAB, (batch.num_nodes, MAX_SUBTOKENS), generator=generator)
    names = int(torch.as_tensor(batch.num_idents).sum())
    batch.name_tokens = torch.randint(0, VOCAB, (names, 1 + MAX_SUBTOKENS), generator=generator)
    return batch


def test_words_change_the_output_and_get_gradients():
    torch.manual_seed(0)
    model = build_model(tiny_config(subtokens=True)).eval()
    batch = with_words(two_graph_batch())
    output = model(batch)
    assert output.token_logits.shape == (12, VOCAB)
    quiet = with_words(two_graph_batch())
    quiet.subtokens = torch.zeros_like(quiet.subtokens)
    assert not torch.allclose(model(quiet).wrong_logits, output.wrong_logits)
    model.train()
    loss = model(batch).token_logits.sum() + model(batch).copy_logits.nan_to_num(0, 0, 0).sum()
    loss.backward()
    assert model.encoder.words.weight.grad.abs().sum() > 0
    assert model.encoder.name.weight.grad.abs().sum() > 0


def test_a_name_without_occurrences_gets_a_key_of_its_own():
    torch.manual_seed(0)
    model = build_model(tiny_config(subtokens=True)).eval()
    batch = with_words(two_graph_batch())
    batch.num_idents = torch.tensor([4, 2])  # one more name in the first graph, never used
    extra = torch.randint(0, VOCAB, (1, 1 + MAX_SUBTOKENS))
    batch.name_tokens = torch.cat([batch.name_tokens[:3], extra, batch.name_tokens[3:]])
    batch.ident_group = torch.where(
        batch.ident_group >= 3, batch.ident_group + 1, batch.ident_group
    )
    output = model(batch)
    first_graph_rows = batch.batch[batch.ident_index] == 0
    column = (output.copy_candidates[first_graph_rows] == 3).nonzero()[:, 1]
    scores = output.copy_logits[first_graph_rows].gather(1, column.view(-1, 1))
    assert torch.isfinite(scores).all()


def test_tied_embeddings_share_one_weight_stored_once():
    torch.manual_seed(0)
    model = build_model(tiny_config(subtokens=True, tie_embeddings=True)).eval()
    assert not hasattr(model.heads, "token") and "heads.token_bias" in model.state_dict()
    batch = with_words(two_graph_batch())
    logits = model(batch).token_logits
    assert logits.shape == (12, VOCAB)
    with torch.no_grad():
        model.encoder.token.weight[3] += 1.0  # moving one embedding row moves its logit
    assert not torch.allclose(model(batch).token_logits[:, 3], logits[:, 3])
    assert model.heads.token_bias.abs().sum() == 0
    untied = build_model(tiny_config(subtokens=True))
    assert sum(p.numel() for p in untied.parameters()) > sum(p.numel() for p in model.parameters())


def test_older_configurations_keep_their_parameter_names():
    names = set(build_model(tiny_config()).state_dict())
    assert not any("words" in name or "encoder.name" in name for name in names)
    assert names < set(build_model(tiny_config(subtokens=True)).state_dict())
