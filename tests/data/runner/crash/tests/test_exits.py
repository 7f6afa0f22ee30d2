from exits import double, leave


def test_before():
    assert double(2) == 4


def test_crash():
    leave(3)


def test_after():
    assert double(3) == 6
