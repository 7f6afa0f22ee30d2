"""Statement units: one per simple statement or compound header, named by its first line."""

from __future__ import annotations

from repair.statements import statement_map

SOURCE = b"""\
import os
LIMIT = {
    "a": 1,
}


@decorate(
    option=True,
)
def f(x, y=LIMIT,
      z=3) -> int:
    if (x and
            y):
        return [
            a
            for a in y
            if a
        ]
    elif x > 3 or \\
            y:
        pass
    else:
        try:
            g(x,
              y)
        except (ValueError,
                KeyError):
            raise
    for i in range(
            3):
        if i: return 1
    def inner(q=1):
        return q


class C(Base,
        Other):
    attr = 1

    def m(self):
        return self.attr
"""


def units():
    return {(s.first, s.last): (s.kind, s.import_time) for s in statement_map(SOURCE)}


def test_each_statement_is_one_unit_from_its_first_line():
    assert units() == {
        (1, 1): ("import_statement", True),
        (2, 4): ("expression_statement", True),  # a dict literal over three lines
        (7, 9): ("decorator", True),
        (10, 11): ("function_definition", True),  # the header, default arguments included
        (12, 13): ("if_statement", False),  # the condition, not the body
        (14, 18): ("return_statement", False),  # a comprehension's clauses
        (19, 20): ("elif_clause", False),
        (21, 21): ("pass_statement", False),
        (24, 25): ("expression_statement", False),
        (26, 27): ("except_clause", False),
        (28, 28): ("raise_statement", False),
        (29, 30): ("for_statement", False),
        (31, 31): ("if_statement", False),  # `if i: return 1`: one line, one unit
        (32, 32): ("function_definition", False),  # a nested def runs with its function
        (33, 33): ("return_statement", False),
        (36, 37): ("class_definition", True),
        (38, 38): ("expression_statement", True),  # class bodies run at import
        (40, 40): ("function_definition", True),
        (41, 41): ("return_statement", False),
    }


def test_every_line_of_a_unit_maps_to_it():
    statements = statement_map(SOURCE)
    assert [statements.at(line).first for line in (2, 3, 4)] == [2, 2, 2]
    assert [statements.at(line).first for line in (15, 16, 17)] == [14, 14, 14]
    assert statements.at(20).first == 19
    assert statements.at(22) is None  # `else:` runs nothing of its own
    assert statements.at(5) is None  # blank
    assert statements.starting_at(14).last == 18
    assert statements.starting_at(15) is None
    assert len(statements) == 19
