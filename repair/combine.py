"""One suspiciousness score per statement from all the evidence, and ranks that keep ties.

    score = (spectrum + crash_weight * crash + model_weight * model + twin_weight * twin)
            / (1 + the weights present)

- `spectrum`: the policy's formula on the statement's spectrum, in [0, 1] (DStar, unbounded,
  is divided by its largest value in the run);
- `crash`: the share of failing tests whose traceback passed through the statement, the k-th
  frame from the crash site counting `frame_decay ** k` (`repair.evidence.crash_scores`);
- `model`: a per-statement P(wrong) from the model, a hook: weight 0 until the model is
  trustworthy on real code;
- `twin`: the headers where each failing test and its nearest passing test part
  (`repair.twin_evidence.twin_scores`).
Statements run at import with no score then take a share of their readers' or their body's
(`repair.evidence.import_time_scores`). Last, among the statements with a score, those that share
the failing tests' words (names, failure messages; `repair.evidence.text_scores`) move up:
(score + text_weight * text) / (1 + text_weight). Every score is in [0, 1].

The weights are chosen by a small grid on development data only: the 16 fixtures and the dev
split of the real bugs (`bench/localize_bench.py fit`); the grid and its table are in
`bench/results/localize_fit.txt`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from repair.evidence import (
    ImportLinks,
    UnitKey,
    crash_scores,
    import_links,
    import_time_scores,
    statement_spectra,
    text_scores,
)
from repair.formulas import formula_named
from repair.source import parse
from repair.statements import StatementMap, statement_map
from repair.testrun import SuiteRun
from repair.twin_evidence import controllers, twin_scores


@dataclass(frozen=True)
class LocalizePolicy:
    """How evidence is weighed. The defaults were chosen by `bench/localize_bench.py fit` on
    development data only, the 16 fixtures and the 31 real bugs of the dev split (never the test
    split): Ochiai with traceback and text evidence at half the spectrum's weight put the bug
    first for 11 of 47 (each formula alone: 4-5), in the top 3 for 22 (alone: 18-20);
    `bench/results/localize_fit.txt`. The twin evidence at 0.1 (the same fit, its weight in the
    grid): 12 first, 27 in the top 3, mean rank 115.4 -> 112.2."""

    formula: str = "ochiai"  # the spectrum formula (repair.formulas.FORMULAS)
    crash_weight: float = 0.5  # traceback evidence against the spectrum's 1
    frame_decay: float = 0.25  # weight of the k-th frame from the crash site: decay ** k
    constant_share: float = 0.99  # a constant scores this share of its best reader
    header_share: float = 0.0  # a def header / decorator: this share of its body's best
    model_weight: float = 0.0  # P(wrong) from the model: a hook, off until #8
    # where a failing test and its twin, its nearest passing test, part (`repair.twin_evidence`):
    # a small weight, so it reorders close statements rather than overturning the spectrum
    twin_weight: float = 0.1
    # words shared with the failing tests' names and messages, among statements with evidence
    text_weight: float = 0.5

    def key(self) -> str:
        """The settings as one string, recorded with a benchmark's results."""
        return (
            f"{self.formula}+crash{self.crash_weight:g}/decay{self.frame_decay:g}"
            f"+const{self.constant_share:g}+header{self.header_share:g}"
            f"+text{self.text_weight:g}+model{self.model_weight:g}"
            + (f"+twin{self.twin_weight:g}" if self.twin_weight else "")
        )


DEFAULT_POLICY = LocalizePolicy()


@dataclass(frozen=True)
class ParsedSources:
    """The run's source files, each parsed once, with what the evidence needs of them."""

    maps: dict[str, StatementMap]  # path -> its statements
    links: dict[str, ImportLinks]  # path -> its import-time links
    owners: dict[str, dict[int, int]]  # path -> the header whose block holds each statement


def parsed_sources(sources: Mapping[str, bytes]) -> ParsedSources:
    maps, links, owners = {}, {}, {}
    for path, source in sources.items():
        tree = parse(source)
        maps[path] = statement_map(source, tree)
        links[path] = import_links(source, tree, maps[path])
        owners[path] = controllers(tree)
    return ParsedSources(maps, links, owners)


def suspiciousness(
    run: SuiteRun,
    sources: Mapping[str, bytes],
    policy: LocalizePolicy = DEFAULT_POLICY,
    *,
    model: Mapping[UnitKey, float] | None = None,
    prepared: ParsedSources | None = None,
) -> dict[UnitKey, float]:
    """Every statement with evidence, keyed by (path, its first line): the combined score.

    `sources`: the text of the files the run measured (paths relative to the root); a file
    missing there is scored line by line. `model`: P(wrong) per statement, for the hook.
    `prepared`: `parsed_sources(sources)`, when the caller has it already.
    """
    formula = formula_named(policy.formula)
    prepared = prepared if prepared is not None else parsed_sources(sources)
    maps = prepared.maps
    spectra = statement_spectra(run, maps)
    failed, passed = frozenset(run.failed), frozenset(run.passed)
    total_failed, total_passed = len(failed), len(passed)
    spectrum = {
        key: formula(len(ids & failed), len(ids & passed), total_failed, total_passed)
        for key, ids in spectra.items()
    }
    top = max(spectrum.values(), default=0.0)
    if top > 1.0:
        spectrum = {key: value / top for key, value in spectrum.items()}
    crash = crash_scores(run, maps, policy.frame_decay) if total_failed else {}
    model = model if policy.model_weight > 0 and model else {}
    twin = (
        twin_scores(spectra, failed, passed, prepared.owners)
        if policy.twin_weight > 0 and total_failed
        else {}
    )
    # Divided by the weights of the evidence present: without tracebacks (or a model, or a
    # twin) the score is the formula's, as before.
    scale = (
        1.0
        + policy.crash_weight * bool(crash)
        + policy.model_weight * bool(model)
        + policy.twin_weight * bool(twin)
    )
    scores = {
        key: (
            spectrum.get(key, 0.0)
            + policy.crash_weight * crash.get(key, 0.0)
            + policy.model_weight * model.get(key, 0.0)
            + policy.twin_weight * twin.get(key, 0.0)
        )
        / scale
        for key in spectrum.keys() | crash.keys() | model.keys() | twin.keys()
    }
    scores.update(
        import_time_scores(
            scores,
            prepared.links,
            constant_share=policy.constant_share,
            header_share=policy.header_share,
        )
    )
    if policy.text_weight > 0 and total_failed:
        # words shared with the failing tests: among the statements with evidence only
        text = text_scores(run, prepared.links, [k for k, v in scores.items() if v > 0])
        if text:
            scores = {
                key: (value + policy.text_weight * text.get(key, 0.0)) / (1 + policy.text_weight)
                for key, value in scores.items()
            }
    return scores


def spread_to_lines(
    scores: Mapping[UnitKey, float], maps: Mapping[str, StatementMap]
) -> dict[tuple[str, int], float]:
    """Each statement's score on every line it spans: the shape of `line_scores`, so a token
    on a statement's second line gets the statement's score."""
    lines: dict[tuple[str, int], float] = {}
    for (path, first), score in scores.items():
        statements = maps.get(path)
        unit = statements.starting_at(first) if statements is not None else None
        last = unit.last if unit is not None else first
        for line in range(first, last + 1):
            if statements is None or (owner := statements.at(line)) is None or owner is unit:
                lines[(path, line)] = max(lines.get((path, line), 0.0), score)
    return lines


def tied_ranks(scores: Mapping[UnitKey, float]) -> list[tuple[UnitKey, float, int, float]]:
    """Statements with a positive score, best first: (key, score, rank, average rank).

    Tied statements share their rank (the first position of the tie: 1, 2, 2, 4) and their
    average rank (2.5 for both). Within a tie the listing follows path and line for a stable
    output; nothing in the ranks depends on it.
    """
    order = sorted(((k, s) for k, s in scores.items() if s > 0), key=lambda i: (-i[1], i[0]))
    ranked = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and order[end + 1][1] == order[start][1]:
            end += 1
        average = (start + 1 + end + 1) / 2
        ranked += [(key, score, start + 1, average) for key, score in order[start : end + 1]]
        start = end + 1
    return ranked
