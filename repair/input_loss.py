"""Patches that stop reading an input: a read of the function's parameter as a value replaced by
a builtin or a capitalised name (a class, an exception, a constant).

On the real-bug dev split (`bench/results/realbugs_dev_slow.txt`) one plausible-but-wrong patch
nobody warned about did this: `raise KeyError("... %s ..." % element)` became `% KeyError`, so
the message no longer says which element (the human fix: `% repr(element)`). The tests passed
because they check the exception's type. Fixes seldom do it: 3 of the 3,478 dev mined fixes
(`training/data/realfixes.jsonl.gz`), none of the 102 seeded dev bugs' exact fixes
(`bench/repair_bench.py --split dev`; one called a parameter where `max` was meant, hence only
values count). `repair.patch_choice` counts it as removing behaviour.
"""

from __future__ import annotations

import tree_sitter

from repair.file_facts import BUILTINS, is_name_field, parameter_names
from repair.literal_loss import paired_tokens
from repair.operator_context import enclosing_function, is_field
from repair.source import parse, tokens


def lost_input(before: bytes, after: bytes) -> str:
    """How the edit from `before` to `after` stops reading a parameter ("" if it does not)."""
    tree = parse(before)
    old = [token for token in tokens(before, tree) if token.node_type != "comment"]
    new = [token for token in tokens(after) if token.node_type != "comment"]
    for was, now in paired_tokens(old, new):
        if was.node_type != "identifier" or now.node_type != "identifier":
            continue
        if not (now.text in BUILTINS or now.text[:1].isupper()):
            continue
        node = tree.root_node.descendant_for_byte_range(was.start, was.end)
        function = enclosing_function(node)
        if function is None or not _names_a_variable(node):
            continue
        parameters = set(parameter_names(function, before)) - {"self", "cls"}
        if was.text in parameters and now.text not in parameters:
            return f"replaces the parameter {was.text} by {now.text}"
    return ""


def _names_a_variable(node: tree_sitter.Node) -> bool:
    """A value: not an attribute's name (`x.name`), a keyword (`f(name=x)`), a parameter nor a
    callee (`x(a)`: a parameter called where a builtin was meant is a usual fix, `nums(...)` ->
    `max(...)`)."""
    parent = node.parent
    if parent is None:
        return True
    if is_field(node, "call", "function") or is_name_field(node):
        return False
    return parent.type not in ("parameters", "default_parameter", "typed_parameter")
