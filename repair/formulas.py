"""Spectrum-based suspiciousness formulas: how suspicious a statement is from the tests that ran it.

For a statement, `ef` / `ep` count the failing / passing tests that ran it, `F` / `P` all failing /
passing tests. A formula turns the four numbers into a score; higher is more suspicious. Skipped
tests count as neither.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from repair.errors import BadInput

DSTAR_EXPONENT = 2
# DStar divides by ep + (F - ef), which is 0 for a line run by every failing test and no passing
# one: the most suspicious line there can be. It gets ef**2 * 1000 + 1, finite (JSON, sorting) and
# above every score with a non-zero denominator (those are at most ef**2).
DSTAR_UNBOUNDED_FACTOR = 1000


def tarantula(failed_cover: int, passed_cover: int, total_failed: int, total_passed: int) -> float:
    """(ef/F) / (ef/F + ep/P); 0 when no failing test runs the line; no passing tests: ep/P = 0."""
    if failed_cover == 0:
        return 0.0
    fail_rate = failed_cover / total_failed
    pass_rate = passed_cover / total_passed if total_passed else 0.0
    return fail_rate / (fail_rate + pass_rate)


def ochiai(failed_cover: int, passed_cover: int, total_failed: int, total_passed: int) -> float:
    """ef / sqrt(F * (ef + ep)); 0 when no failing test runs the line."""
    if failed_cover == 0:
        return 0.0
    return failed_cover / math.sqrt(total_failed * (failed_cover + passed_cover))


def dstar(failed_cover: int, passed_cover: int, total_failed: int, total_passed: int) -> float:
    """ef**2 / (ep + F - ef); see DSTAR_UNBOUNDED_FACTOR for a zero denominator."""
    if failed_cover == 0:
        return 0.0
    numerator = failed_cover**DSTAR_EXPONENT
    denominator = passed_cover + (total_failed - failed_cover)
    if denominator == 0:
        return numerator * DSTAR_UNBOUNDED_FACTOR + 1.0
    return numerator / denominator


def covered_by_failing(
    failed_cover: int, passed_cover: int, total_failed: int, total_passed: int
) -> float:
    """1 if any failing test runs the line, else 0: Exp 1's binary test signal."""
    return 1.0 if failed_cover > 0 else 0.0


Formula = Callable[[int, int, int, int], float]
FORMULAS: dict[str, Formula] = {
    "tarantula": tarantula,
    "ochiai": ochiai,
    "dstar": dstar,
    "binary": covered_by_failing,
}


def formula_named(name: str) -> Formula:
    try:
        return FORMULAS[name]
    except KeyError:
        choices = ", ".join(FORMULAS)
        raise BadInput(f"unknown formula {name!r} (choose from {choices})") from None
