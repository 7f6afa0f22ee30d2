"""The log's conclusions that seeds can decide, each as a comparison of per-seed values.

A side is (job, evaluation, metric): the job of `training.seeds` (or `<exp>@bundled`, the bundled
single run of models/curves), the evaluation ("as_trained"; for Exp 3 and 3c "no_feedback_at_0",
the log's one-shot, or "feedback_at_0") and the metric ("one_shot", "iterative_safe",
"iterative_raw", or "change_safe" / "change_raw": iterative minus one-shot). The other side may be
None: zero. `expect` gives the log's direction per level: ">" (A above B), "<", "≈" (no
difference), or "≤" / "≥" (not above / not below: the other direction or within noise). `training.seed_stats.compare` calls each gap; the cell says whether the log's
direction holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from training.seed_stats import compare, per_seed

Side = tuple[str, str, str]
NO_FB = "no_feedback_at_0"
LEVELS = ("0.2", "0.5", "0.75")


@dataclass(frozen=True)
class Claim:
    key: str
    a: Side
    b: Side | None  # None: compared with zero
    expect: dict[str, str]  # level -> ">", "<" or "≈"


def _all(direction: str, levels: tuple[str, ...] = LEVELS) -> dict[str, str]:
    return {level: direction for level in levels}


CLAIMS = (
    Claim("S1", ("exp1", "as_trained", "change_raw"), None, {"0.2": "<", "0.5": ">"}),
    Claim("S2", ("exp2", "as_trained", "one_shot"), ("exp1", "as_trained", "one_shot"), _all("<")),
    Claim(
        "S3", ("exp2", "as_trained", "change_raw"), ("exp1", "as_trained", "change_raw"), _all("<")
    ),
    Claim("S4", ("exp3", NO_FB, "one_shot"), ("exp3b", "as_trained", "one_shot"), _all("<")),
    Claim("S5", ("exp3c", NO_FB, "one_shot"), ("exp3", NO_FB, "one_shot"), _all(">")),
    Claim("S6", ("exp3c", NO_FB, "one_shot"), ("exp3b", "as_trained", "one_shot"), _all("≈")),
    Claim("S7", ("exp3", NO_FB, "change_raw"), None, {"0.75": ">"}),
    Claim("S8", ("exp3c", NO_FB, "change_raw"), None, {"0.2": "<", "0.5": "<", "0.75": ">"}),
    Claim("S9", ("exp1", "as_trained", "one_shot"), ("exp3b", "as_trained", "one_shot"), _all(">")),
    Claim("S10", ("exp3c", NO_FB, "change_raw"), ("exp3b", "as_trained", "change_raw"), _all("<")),
    Claim("S11", ("exp3", NO_FB, "one_shot"), ("exp1", "as_trained", "one_shot"), _all("<")),
    Claim("S12", ("exp1", "as_trained", "one_shot"), ("exp3c", NO_FB, "one_shot"), _all(">")),
    Claim(
        "S13", ("exp3d@bundled", "as_trained", "one_shot"), ("exp3c", NO_FB, "one_shot"), _all(">")
    ),
    Claim(
        "S14",
        ("exp3d@bundled", "as_trained", "change_raw"),
        ("exp3c", NO_FB, "change_raw"),
        _all("<"),
    ),
    Claim(
        "S15",
        ("exp3d@bundled", "as_trained", "one_shot"),
        ("exp1", "as_trained", "one_shot"),
        _all(">"),
    ),
    Claim(
        "S16", ("exp2", "as_trained", "change_raw"), ("exp1", "as_trained", "change_raw"), _all("≤")
    ),
)


def values(runs: list[dict], side: Side, level: str) -> list[float]:
    job, variant, metric = side
    return per_seed(runs, job, variant, level, metric)


def judge(runs: list[dict], claim: Claim) -> tuple[str, list[str]] | None:
    """('holds' / 'does not hold' / 'partly', per-level phrases), None without runs for A or B."""
    phrases, outcomes = [], []
    for level, expected in claim.expect.items():
        a = values(runs, claim.a, level)
        b = values(runs, claim.b, level) if claim.b else [0.0] * len(a)
        if not a or not b:
            return None
        if claim.b is None and len(a) < 2:  # one value against zero: no spread to judge by
            phrases.append(f"{float(level):.0%}: {a[0] * 100:+.1f} (one run: no verdict)")
            continue
        gap, se, verdict = compare(a, b)
        held = (
            verdict
            in {
                ">": ("A > B",),
                "<": ("A < B",),
                "≈": ("within noise",),
                "≤": ("A < B", "within noise"),
                "≥": ("A > B", "within noise"),
            }[expected]
        )
        outcomes.append(held)
        spread = f" ± {se * 100:.1f}" if se is not None else ""
        shown = {"A > B": "above", "A < B": "below", "within noise": "within noise"}.get(
            verdict, verdict
        )
        phrases.append(
            f"{float(level):.0%}: {gap * 100:+.1f}{spread} ({shown}; n = {len(a)}"
            + (f"/{len(b)}" if claim.b else "")
            + ")"
        )
    if not outcomes:
        return "no verdict", phrases
    overall = "holds" if all(outcomes) else "does not hold" if not any(outcomes) else "partly"
    return overall, phrases


def cell(runs: list[dict], claim: Claim) -> str:
    judged = judge(runs, claim)
    if judged is None:
        return "pending the device run"
    overall, phrases = judged
    return f"**{overall}** with seeds: " + "; ".join(phrases)
