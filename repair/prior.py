"""The model-free scorer: the baseline's view of a program state, with the model's interface.

`PriorScorer.score` returns what `repair.score.ModelScorer.score` returns, so the baseline search
ranks the same candidates under the same rules (`repair.rank`: score, option cap, operation
priors; `repair.search`: round patience by model probability, natural alternatives) and only the
probabilities differ. Every token is equally likely wrong; a replacement's probability is how
often its text occurs in the token's file (or in every file ranked: `SearchPolicy.prior_scope`),
plus `prior_pseudocount`, over the same sum for every same-class option of the token: the options
the model scores (`repair.source.candidates`, builtins included). No torch here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from repair.policy import SearchPolicy
from repair.source import Token, candidates, is_repair_target

if TYPE_CHECKING:  # repair.rank uses this scorer when it is given none
    from repair.rank import FileView, Region, RegionScores

# P(wrong) of every token. Any constant ranks alike (only ratios of scores matter: the rounds'
# patience compares probabilities, the ranking multiplies them by the line's suspiciousness).
UNIFORM_WRONG = 0.5


class PriorScorer:
    """Per token a uniform P(wrong); per replacement a smoothed frequency of its text."""

    def score(
        self,
        files: Mapping[str, FileView],
        regions: Sequence[Region],
        signals: Mapping[str, Mapping[int, float]],
        iteration: int,
        policy: SearchPolicy,
    ) -> list[RegionScores]:
        """As `ModelScorer.score`: per region {token index: P(wrong)} for its tokens and
        {token index: [(replacement, P), ...] best first} for its repair targets (ties in
        `repair.source.candidates`' order). `signals` and `iteration` are not used."""
        counts = _text_counts(files, regions, policy.prior_scope)
        results: list[RegionScores] = []
        for region in regions:
            view = files[region.path]
            count = counts[region.path]
            inside = [t for t in view.tokens if region.start <= t.start and t.end <= region.end]
            ranked_by_key: dict[tuple, list[tuple[str, float]]] = {}
            options: dict[int, list[tuple[str, float]]] = {}
            for token in inside:
                if not is_repair_target(token):
                    continue
                key = (token.token_class, token.scope, token.text)
                if key not in ranked_by_key:
                    ranked_by_key[key] = _ranked_options(
                        token, view.tokens, count, policy.prior_pseudocount
                    )
                if ranked_by_key[key]:
                    options[token.index] = ranked_by_key[key]
            results.append(({t.index: UNIFORM_WRONG for t in inside}, options))
        return results


def _text_counts(
    files: Mapping[str, FileView], regions: Sequence[Region], scope: str
) -> dict[str, Counter]:
    """Per file of a region: how often each token text occurs in it ("file"), or in every file
    ranked ("project": the files the tests ran that hold a suspicious line)."""
    by_file = {
        path: Counter(token.text for token in files[path].tokens)
        for path in sorted({region.path for region in regions})
    }
    if scope == "file":
        return by_file
    project = Counter(token.text for view in files.values() for token in view.tokens)
    return {path: project for path in by_file}


def _ranked_options(
    token: Token, token_list: Sequence[Token], count: Counter, pseudocount: float
) -> list[tuple[str, float]]:
    texts = candidates(token, token_list)
    weights = [count.get(text, 0) + pseudocount for text in texts]
    total = sum(weights)
    if total <= 0:  # no pseudocount and no option occurs: uniform
        return [(text, 1.0 / len(texts)) for text in texts]
    ranked = [(text, weight / total) for text, weight in zip(texts, weights)]
    return sorted(ranked, key=lambda item: -item[1])  # stable: ties keep source order
