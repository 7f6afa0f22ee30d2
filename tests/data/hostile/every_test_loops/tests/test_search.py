from search import find


def test_second():
    assert find([1, 2, 3], 2) == 1


def test_third():
    assert find([1, 2, 3], 3) == 2


def test_missing():
    assert find([1, 2, 3], 7) == -1


def test_last_of_four():
    assert find([4, 5, 6, 7], 7) == 3


def test_strings():
    assert find(["a", "b"], "b") == 1


def test_repeated():
    assert find([1, 1, 2], 2) == 2
