"""Patches that stop reading a parameter (`repair.input_loss`): the dev split's unflagged wrong
patch, and the edits a correct fix makes, which must stay unflagged."""

from __future__ import annotations

import pytest

from repair.edits import EditKind
from repair.input_loss import lost_input
from repair.patch_choice import removed_behaviour
from repair.states import AppliedEdit, State

REMOVE = b"""def remove(self, element):
    if element in self._map:
        return self.evolver().remove(element).persistent()
    raise KeyError("Element '%s' not present in PSet" % element)
"""


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (REMOVE.replace(b"% element", b"% KeyError"), "replaces the parameter element by KeyError"),
        (REMOVE.replace(b"% element", b"% str"), "replaces the parameter element by str"),
        (REMOVE.replace(b"% element", b"% repr(element)"), ""),  # the human fix: still read
        (REMOVE.replace(b"% element", b"% self"), ""),  # another variable, not a builtin
        (REMOVE.replace(b"self._map", b"Element._map"), ""),  # `self` is no input
        (REMOVE.replace(b"(element).p", b"(None).p"), ""),  # a constant: a keyword, no name
    ],
)
def test_lost_input(after: bytes, expected: str):
    assert lost_input(REMOVE, after) == expected


def test_a_parameter_called_where_a_builtin_was_meant_is_no_loss():
    source = b"def f(nums):\n    return nums(-i for i in nums)\n"
    assert lost_input(source, source.replace(b"nums(-", b"max(-")) == ""


def test_outside_a_function_nothing_is_an_input():
    assert lost_input(b"x = f(y)\n", b"x = f(Y)\n") == ""


def test_a_lost_input_is_removed_behaviour():
    after = REMOVE.replace(b"% element", b"% KeyError")
    edit = AppliedEdit("m.py", 4, EditKind.REPLACE_TOKEN, 0, 0, "element", "KeyError", 0.5)
    state = State(files={"m.py": after}, edits=(edit,), failing=(), messages={})
    assert removed_behaviour(state, {"m.py": REMOVE}) == (
        "replaces the parameter element by KeyError"
    )
