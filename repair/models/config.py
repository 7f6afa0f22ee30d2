"""The model configuration: one dataclass every model and submodule takes, saved in checkpoints."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

FEATURE_SETS = ("exp1", "exp3")
CONVOLUTIONS = ("gat", "gcn")


@dataclass
class ModelConfig:
    architecture: str = "iterative"  # registry name in repair.models: "iterative" or "guided"
    vocab_size: int = 5000  # token vocabulary, shared by the input embedding and the token head
    num_parent_types: int = 256  # tree-sitter node types seen as a parent (exp1 feature)
    hidden: int = 256  # width of every node state, as in the log's GraphUNet (256 hidden)
    depth: int = 3  # pooling levels of the graph U-Net (the log's depth 3)
    conv: str = "gat"  # "gat": GATConv with edge-type features; "gcn": GCNConv, edge types unused
    heads: int = (
        4  # GAT attention heads, averaged (concat=False) so every level stays `hidden` wide
    )
    edge_dim: int = 16  # edge-type embedding size fed to GATConv; each conv projects it per head
    pool_ratio: float = 0.5  # TopKPooling keeps ceil(ratio * n) nodes per graph at each level
    dropout: float = 0.1  # on the summed input embeddings and after every hidden convolution
    features: str = "exp1"  # "exp1": token, prev token, parent type, depth, iteration, signal
    # "exp3": token, prev token, depth, sibling index, iteration (test feedback via attention)
    use_test_guidance: bool = True  # guided model only: False is Exp 3b (no attention parameters)
    attention_heads: int = 4  # guided model: heads of the node -> failing-test cross-attention
    max_tests: int = (
        100  # guided model: test-id embedding rows (the log's cap); larger ids share the last
    )
    copy: bool = True  # pointer head over the graph's own identifier names (in-scope names)
    # sub-token vocabularies (repair.vocabulary.SUBTOKEN_MARKER): identifier and string leaves add
    # their words' mean embedding, and the copy head's names get a key from their token and words,
    # so a file's name the region never uses can be pointed at. False: the older models.
    subtokens: bool = False
    tie_embeddings: bool = False  # the token head reuses the input embedding (half the weights)

    def __post_init__(self) -> None:
        if self.features not in FEATURE_SETS:
            raise ValueError(f"features must be one of {FEATURE_SETS}, got {self.features!r}")
        if self.conv not in CONVOLUTIONS:
            raise ValueError(f"conv must be one of {CONVOLUTIONS}, got {self.conv!r}")
        if self.depth < 1:
            raise ValueError(f"depth must be at least 1, got {self.depth}")
        if self.hidden % self.attention_heads:
            raise ValueError(
                f"hidden ({self.hidden}) must be divisible by attention_heads ({self.attention_heads})"
            )

    def to_dict(self) -> dict[str, Any]:
        # plain ints / floats / strs / bools only, so torch.load(weights_only=True) can read it back
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        # missing keys take today's defaults; unknown keys mean a checkpoint from another version
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown ModelConfig fields: {', '.join(unknown)}")
        return cls(**values)
