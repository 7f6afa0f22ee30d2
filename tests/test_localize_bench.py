"""The localization benchmark's yardstick: which statements a human patch names, ranks with ties."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from localize_bench import average_ranks, bug_rank, buggy_statement_lines, patch_lines  # noqa: E402

SOURCE = b"""\
x = 1
KEYS = {
    'a': 1,
    'b': 2,
}


def f():
    y = 2
    return y
"""


def test_a_changed_line_names_its_statement():
    patch = "@@ -9,2 +9,2 @@\n-    y = 2\n+    y = 3\n     return y\n"
    assert patch_lines(patch, SOURCE) == {9}


def test_an_insertion_names_the_statement_it_falls_in_or_its_neighbours():
    inside = "@@ -3,2 +3,3 @@\n     'a': 1,\n+    'c': 3,\n     'b': 2,\n"
    assert patch_lines(inside, SOURCE) == {3}
    assert buggy_statement_lines("m.py", {3}, SOURCE) == {("m.py", n) for n in range(2, 6)}
    between = "@@ -8,2 +8,3 @@\n def f():\n+    check()\n     y = 2\n"
    assert patch_lines(between, SOURCE) == {8, 9}


def test_ties_count_by_their_average_rank():
    ranks = average_ranks([(("m", 1), 0.9), (("m", 2), 0.5), (("m", 3), 0.5), (("m", 4), 0.5)])
    assert ranks == {("m", 1): 1.0, ("m", 2): 3.0, ("m", 3): 3.0, ("m", 4): 3.0}
    assert bug_rank(ranks, {("m", 3)}, statements=10) == 3.0
    # not listed: tied with the six statements left unlisted, positions 5 to 10
    assert bug_rank(ranks, {("m", 9)}, statements=10) == 7.5
