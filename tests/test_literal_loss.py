"""Patches that lose a string (`repair.literal_loss`): the dev split's unflagged wrong patches,
and the string edits a correct fix makes, which must stay unflagged."""

from __future__ import annotations

import pytest

from repair.edits import EditKind
from repair.literal_loss import lost_string
from repair.patch_choice import removed_behaviour
from repair.states import AppliedEdit, State

SPLITTER = b"if (unified in ('IF', 'FOR', 'WHILE', 'CASE') and depth > 0):\n    pass\n"
PAGER = b'parts = shlex.split(os.environ.get("PAGER", ""))\n'


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (SPLITTER, SPLITTER.replace(b"'IF'", b'""'), "empties the string 'IF'"),
        (SPLITTER, SPLITTER.replace(b"'IF'", b"'CASE'"), "by a copy of 'CASE'"),
        (
            PAGER,
            b'parts = shlex.split(os.environ.get("", "PAGER"))\n',
            'empties the string "PAGER"',
        ),
        (b"x = f(r'ab')\n", b"x = f(r'')\n", "empties the string r'ab'"),
        (b"x = ('a', 'b') + ('a',)\n", b"x = ('a', 'c') + ('a',)\n", ""),  # no copy inside one
        (b"x = 'a' + 'b'\n", b"x = 'a' + 'a'\n", ""),  # not a collection
        (b"x = f('abc')\n", b"x = f('abd')\n", ""),  # a character replaced
        (b"x = ''\n", b"x = 'a'\n", ""),  # a string filled, not emptied
        (b's = " "\n', b's = ""\n', ""),  # a separator emptied: a usual fix
        (b"x = f('abc')\n", b"x = f(g('abc'))\n", ""),  # token count changes, the string stays
    ],
)
def test_lost_string(before: bytes, after: bytes, expected: str):
    found = lost_string(before, after)
    assert (expected in found) if expected else found == ""


def test_a_lost_string_is_removed_behaviour():
    edit = AppliedEdit("m.py", 1, EditKind.REPLACE_TOKEN, 0, 0, "'IF'", '""', 0.5)
    state = State(files={"m.py": SPLITTER.replace(b"'IF'", b'""')}, edits=(edit,), failing=(),
                  messages={})  # fmt: skip
    assert removed_behaviour(state, {"m.py": SPLITTER}) == "empties the string 'IF'"
