import os

from calc import add


def test_exits():
    os._exit(3)


def test_add():
    assert add(2, 3) == 5


def test_add_zero():
    assert add(4, 0) == 4
