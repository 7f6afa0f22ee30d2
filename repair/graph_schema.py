"""What a code graph holds that the models must agree on: edge types and the ranges of the
clipped integer features. `repair.graph` builds graphs with these; `repair.models` sizes its
embeddings with them. Standard library only, so model files need not import the graph builder."""

from __future__ import annotations

EDGE_TYPES = (
    "parent_to_child",
    "child_to_parent",
    "next_token",
    "previous_token",
    "next_sibling",
    "previous_sibling",
    "same_identifier",  # consecutive uses of one name within a function: a cheap data-flow edge
)
NUM_EDGE_TYPES = len(EDGE_TYPES)
# Depth and sibling index are clipped to 0..MAX_DEPTH / 0..MAX_SIBLING by the graph builder; the
# models' embeddings have one row per value (DEPTH_VALUES, SIBLING_VALUES).
MAX_DEPTH = 63
MAX_SIBLING = 63
DEPTH_VALUES = MAX_DEPTH + 1
SIBLING_VALUES = MAX_SIBLING + 1
# Refinement rounds 0..MAX_ITERATION - 1 have their own embedding; later rounds share the last.
MAX_ITERATION = 16
# Sub-token vocabularies (`repair.vocabulary.SUBTOKEN_MARKER`): each identifier or string leaf
# carries the ids of its first MAX_SUBTOKENS words, 0 (padding) after them; a graph's copy head
# also covers up to MAX_CONTEXT_NAMES module-level names of the file that the region does not use.
MAX_SUBTOKENS = 6
MAX_CONTEXT_NAMES = 256
