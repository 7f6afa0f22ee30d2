"""Frozen priors of the edit operators, estimated on the TRAIN split of the real-fix corpus
(`training/data/realfixes.jsonl.gz`) by `bench/operator_reach.py --write-priors` (placeholder
values until it runs)."""

PROVENANCE: dict[str, object] = {}
# kind -> prior of one candidate of that kind, in the units of `SearchPolicy.operation_prior`
KIND_PRIORS: dict[str, float] = {}
# "op unit" (op: insert / delete / replace / case) -> weight of a string edit; "op" alone: default
STRING_UNITS: dict[str, float] = {}
