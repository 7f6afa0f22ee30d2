"""The corpus's shape: which edits real fixes need, the map edit operators are built from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from training.mining.corpus import SPLITS

Fix = dict[str, Any]
COLUMNS = ("all", *SPLITS)


def edit_kind(fix: Fix) -> str:
    """one replacement / one insertion / one deletion, or the mix of a longer script."""
    ops = [edit["op"] for edit in fix["edits"]]
    if len(ops) == 1:
        return {"replace": "one replacement", "insert": "one insertion", "delete": "one deletion"}[
            ops[0]
        ]
    kinds = set(ops)
    if len(kinds) > 1:
        return "2+ tokens: mixed"
    return {
        "replace": "2+ tokens: replacements only",
        "insert": "2+ tokens: insertions only",
        "delete": "2+ tokens: deletions only",
    }[ops[0]]


def is_same_class_target_replacement(fix: Fix) -> bool:
    """One token replaced by one of its own class, at a repair target: the current search's move."""
    edits = fix["edits"]
    return (
        len(edits) == 1
        and edits[0]["op"] == "replace"
        and edits[0]["target"]
        and edits[0].get("new_class", edits[0]["class"]) == edits[0]["class"]
    )


def _size_band(fix: Fix) -> str:
    count = len(fix["edits"])
    return f"{count} tokens" if count <= 4 else "5-8 tokens"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    -  "


class _Table:
    def __init__(self, groups: dict[str, list[Fix]]) -> None:
        self.groups = groups
        self.lines: list[str] = []

    def header(self, title: str) -> None:
        self.lines.append("")
        self.lines.append(f"{title:<44}" + "".join(f"{column:>10}" for column in COLUMNS))

    def count(self, label: str, value: Callable[[list[Fix]], int]) -> None:
        cells = "".join(f"{value(self.groups[column]):>10}" for column in COLUMNS)
        self.lines.append(f"{label:<44}{cells}")

    def share(self, label: str, predicate: Callable[[Fix], bool]) -> None:
        cells = "".join(
            f"{_percent(sum(map(predicate, fixes)), len(fixes)):>10}"
            for fixes in (self.groups[column] for column in COLUMNS)
        )
        self.lines.append(f"{label:<44}{cells}")

    def token_shares(self, label: str, op: str) -> None:
        """Classes of the tokens an op touches, as shares of all such tokens in the column."""
        tallies = {
            column: Counter(
                edit["class"] for fix in fixes for edit in fix["edits"] if edit["op"] == op
            )
            for column, fixes in self.groups.items()
        }
        self.lines.append(f"{label:<44}" + "".join(f"{tallies[c].total():>10}" for c in COLUMNS))
        for cls, _ in tallies["all"].most_common():
            cells = "".join(
                f"{_percent(tallies[column][cls], tallies[column].total()):>10}"
                for column in COLUMNS
            )
            self.lines.append(f"  {cls:<42}{cells}")


def shape_table(fixes: list[Fix], name: str) -> str:
    groups = {
        "all": fixes,
        **{split: [f for f in fixes if f["split"] == split] for split in SPLITS},
    }
    table = _Table(groups)
    table.lines.append(f"Corpus shape of {name}: written by python -m training.mining stats")
    table.lines.append("Shares are of the column's fixes unless a row says otherwise.")
    table.header("size")
    table.count("fixes", len)
    table.count("repositories", lambda group: len({fix["repo"] for fix in group}))
    table.header("edit kind")
    kinds = Counter(edit_kind(fix) for fix in fixes)
    for kind in sorted(kinds, key=lambda k: (not k.startswith("one"), k)):
        table.share(kind, lambda fix, kind=kind: edit_kind(fix) == kind)
        if kind.startswith("one"):
            classes = Counter(fix["edits"][0]["class"] for fix in fixes if edit_kind(fix) == kind)
            for cls, _ in classes.most_common():
                table.share(
                    f"  {cls}",
                    lambda fix, kind=kind, cls=cls: (
                        edit_kind(fix) == kind and fix["edits"][0]["class"] == cls
                    ),
                )
    table.share("one same-class replacement of a target", is_same_class_target_replacement)
    table.header("tokens per fix")
    for band in ("1 tokens", "2 tokens", "3 tokens", "4 tokens", "5-8 tokens"):
        table.share(
            band.replace("1 tokens", "1 token"), lambda fix, band=band: _size_band(fix) == band
        )
    table.header("tokens by class (share of that op's tokens)")
    table.token_shares("inserted tokens", "insert")
    table.token_shares("deleted tokens", "delete")
    table.token_shares("replaced tokens (old token's class)", "replace")
    table.header("other")
    table.share("touching a string literal", _touches_string)
    table.share("fix_like message", lambda fix: fix["fix_like"])
    table.share("a test file changed too", lambda fix: fix["tests_changed"])
    table.share("inside a function (else a statement window)", lambda f: f["region"] == "function")
    _common_texts(table, fixes)
    _licenses(table, fixes)
    return "\n".join(table.lines) + "\n"


def _touches_string(fix: Fix) -> bool:
    return any(
        edit["class"] == "string" or edit.get("new_class") == "string" for edit in fix["edits"]
    )


def _common_texts(table: _Table, fixes: list[Fix]) -> None:
    table.lines.append("")
    table.lines.append("Most common single-token edits (all splits):")
    for kind, op in (("one insertion", "insert"), ("one deletion", "delete")):
        texts = Counter(
            fix["edits"][0]["new" if op == "insert" else "old"]
            for fix in fixes
            if edit_kind(fix) == kind
        )
        common = ", ".join(f"{text!r} {count}" for text, count in texts.most_common(15))
        table.lines.append(f"  {kind}: {common}")
    pairs = Counter(
        (fix["edits"][0]["old"], fix["edits"][0]["new"])
        for fix in fixes
        if edit_kind(fix) == "one replacement" and fix["edits"][0]["class"] != "identifier"
    )
    common = ", ".join(f"{old} -> {new} {count}" for (old, new), count in pairs.most_common(15))
    table.lines.append(f"  one non-identifier replacement: {common}")
    table.lines.append("Most common two- and three-token scripts, as op:class (all splits):")
    for size in (2, 3):
        scripts = Counter(
            " ".join(f"{edit['op']}:{edit['class']}" for edit in fix["edits"])
            for fix in fixes
            if len(fix["edits"]) == size
        )
        total = sum(scripts.values())
        for script, count in scripts.most_common(10):
            table.lines.append(f"  {_percent(count, total)} of {size}-token fixes  {script}")


def _licenses(table: _Table, fixes: list[Fix]) -> None:
    table.lines.append("")
    table.lines.append(f"{'license':<20}{'repositories':>14}{'fixes':>10}")
    repos: dict[str, set[str]] = {}
    counts: Counter[str] = Counter()
    for fix in fixes:
        repos.setdefault(fix["license"], set()).add(fix["repo"])
        counts[fix["license"]] += 1
    for license_id, count in counts.most_common():
        table.lines.append(f"{license_id:<20}{len(repos[license_id]):>14}{count:>10}")
