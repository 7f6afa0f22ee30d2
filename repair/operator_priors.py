"""Frozen priors of the edit operators, estimated on the TRAIN split of the real-fix corpus
(`training/data/realfixes.jsonl.gz`) by `bench/operator_reach.py --write-priors`; written by
that script, not by hand (PROVENANCE says how)."""

PROVENANCE: dict[str, object] = {
    "command": "python bench/operator_reach.py --split train --sample 3000 --seed 0 --depth 1 --jobs 2 --write-priors",
    "fixes": 3000,
    "policy_key": "6fe2dab4562219cd",
    "seed": 0,
    "split": "train",
}
# kind -> prior of one candidate of that kind, in the units of `SearchPolicy.operation_prior`:
# its hits per candidate on the train sample over those of `repair.edits`' kinds pooled
KIND_PRIORS: dict[str, float] = {
    "append_method": 0.1455,
    "catch_exception": 16.663,
    "delete_argument": 5.6224,
    "delete_statement": 23.3901,
    "drop_operand": 32.328,
    "elif_to_if": 10.5192,
    "equals_to_is": 16.4527,
    "forward_argument": 0.664,
    "get_to_subscript": 0.7536,
    "if_to_elif": 4.4418,
    "if_to_while": 1.401,
    "insert_argument": 0.4185,
    "insert_call": 0.5645,
    "insert_comma": 10.7944,
    "insert_conjunct": 5.505,
    "insert_negation": 0.0562,
    "insert_none_check": 4.6202,
    "insert_return": 1.3498,
    "insert_statement": 0.1335,
    "is_to_equals": 4.4042,
    "match_sibling": 2.6239,
    "parenthesize": 7.1452,
    "qualify_name": 4.8241,
    "remove_call": 0.2751,
    "remove_method": 10.6463,
    "remove_negation": 0.6636,
    "remove_none_check": 13.1867,
    "remove_parentheses": 7.383,
    "replace_exception": 3.6063,
    "string_edit": 0.2954,
    "string_prefix": 11.8299,
    "subscript_to_get": 4.7138,
    "swap_statements": 1.783,
    "unqualify_name": 13.5957,
    "unwrap_call": 6.309,
    "while_to_if": 0.8496,
    "wrap_call": 0.5268,
}
# "op unit" (op: insert / delete / replace / case) -> share of the string edits that hit; "op"
# alone: the weight of a unit not in the table
STRING_UNITS: dict[str, float] = {
    "insert  ": 0.2754,
    "delete _": 0.087,
    "insert .": 0.0725,
    "insert s": 0.058,
    "delete  ": 0.0435,
    "delete \\n": 0.0435,
    "insert +": 0.029,
    "insert /": 0.029,
    "insert =": 0.029,
    "delete s": 0.029,
    "replace s": 0.029,
    "delete b": 0.029,
    "insert": 0.0145,
    "delete": 0.0145,
    "replace": 0.0145,
    "case": 0.00725,
}
