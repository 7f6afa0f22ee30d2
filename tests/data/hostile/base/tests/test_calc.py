from calc import add, double


def test_add():
    assert add(2, 3) == 5


def test_add_zero():
    assert add(4, 0) == 4


def test_double():
    assert double(4) == 8
