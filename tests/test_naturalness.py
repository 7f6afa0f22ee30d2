"""`repair.naturalness`: an edit's new n-grams seen in its function, and the ranking it steers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from repair.naturalness import NgramCache, natural_factors
from repair.policy import SearchPolicy
from repair.rank import FileView, rank_candidates, suspicious_regions
from repair.source import Edit, parse, tokens

SOURCE = b"""def kinds(tlist):
    for tmp_token in tlist:
        if tmp_token.value.upper() == 'TABLE':
            has_table = True
        if tmp_token.value == 'AS':
            has_as = True
    return has_table, has_as
"""
AT = SOURCE.index(b"value == 'AS'") + len(b"value")  # after the second `tmp_token.value`


def test_an_edit_that_repeats_a_neighbour_line_is_seen_and_a_new_one_is_not():
    cache = NgramCache(SOURCE)
    assert cache.seen_share(Edit(AT, AT, "", ".upper()")) == 1.0
    assert cache.seen_share(Edit(AT, AT, "", ".lower()")) == pytest.approx(0.5)


def test_a_deletion_is_scored_on_the_n_grams_it_joins():
    cache = NgramCache(SOURCE)
    start = SOURCE.index(b".upper()")
    # `tmp_token.value == 'TABLE'` after deleting `.upper()`: `value == '` is in the function
    assert cache.seen_share(Edit(start, start + 8, ".upper()", "")) == 1.0
    second = SOURCE.index(b"tmp_token.value == 'AS'")
    # `if value ==`: no such trigram in the function
    assert cache.seen_share(Edit(second, second + 10, "tmp_token.", "")) < 1.0


def test_the_cache_holds_only_its_scope():
    start = SOURCE.index(b"        if tmp_token.value == 'AS'")
    scoped = NgramCache(SOURCE, start=start)  # the second `if` on: no `.upper()` there
    assert scoped.seen_share(Edit(AT, AT, "", ".upper()")) < 1.0


def test_factors_keep_the_mean_and_none_leaves_every_edit_alone():
    assert natural_factors([0.0, 1.0, 0.5], None) == [1.0, 1.0, 1.0]
    factors = natural_factors([0.0, 1.0], 1.0)
    assert sum(factors) / 2 == pytest.approx(1.0) and factors[1] == pytest.approx(2 * factors[0])
    assert natural_factors([], 1.0) == []


def test_the_ranking_tries_the_natural_edit_earlier():
    views = {"m.py": FileView(SOURCE, tree := parse(SOURCE), tokens(SOURCE, tree))}
    lines = {line: 1.0 for line in range(1, 8)}

    def position(policy: SearchPolicy) -> int:
        # `.upper()` as an appended method, the file's only one: its copy from the `if` above
        # (`match_sibling`) and the common methods after the file's (`lower`, ...) off
        policy = replace(policy, max_sibling_distance=0, common_methods="")
        regions, signals = suspicious_regions(
            views, {"m.py": lines}, import_signal=0.5, policy=policy
        )
        ranked = rank_candidates(
            views, regions, signals, scorer=None, iteration=0, seed=0, policy=policy
        )
        return next(
            i for i, c in enumerate(ranked) if c.edit.start == AT and c.edit.new == ".upper()"
        )

    # the edit is deferred (beyond the region's real-fix cap): by score alone in the reserve it
    # comes earlier; taken by kind in turns, it is its kind's first either way
    by_score = SearchPolicy(reserve_by_kind=False)
    assert position(replace(by_score, natural_floor=1.0)) < position(by_score)
    assert position(SearchPolicy(natural_floor=1.0)) == position(SearchPolicy())


def test_the_file_scope_counts_the_other_functions_n_grams():
    """`natural_scope="file"`: a neighbour function's `.upper()` makes the edit natural."""
    source = (
        b"def tables(tlist):\n    return [t for t in tlist if t.value.upper() == 'TABLE']\n\n\n"
        b"def aliases(tlist):\n    return [t for t in tlist if t.value == 'AS']\n"
    )
    at = source.index(b"value == 'AS'") + len(b"value")
    views = {"m.py": FileView(source, tree := parse(source), tokens(source, tree))}

    def position(policy: SearchPolicy) -> int:
        regions, signals = suspicious_regions(
            views, {"m.py": {6: 1.0}}, import_signal=0.5, policy=policy
        )
        ranked = rank_candidates(
            views, regions, signals, scorer=None, iteration=0, seed=0, policy=policy
        )
        return next(
            i for i, c in enumerate(ranked) if c.edit.start == at and c.edit.new == ".upper()"
        )

    function = position(SearchPolicy(natural_floor=1.0))
    assert position(SearchPolicy(natural_floor=1.0, natural_scope="file")) < function
    with pytest.raises(ValueError, match="natural_scope"):
        SearchPolicy(natural_scope="module")
