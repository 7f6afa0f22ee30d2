import time

from calc import mean, total


def test_total():
    time.sleep(0.2)
    assert total([1, 2], 1) == 123  # no edit of total makes this pass: the search goes on


def test_total_empty():
    time.sleep(0.2)
    assert total([], 0) == 0


def test_mean():
    time.sleep(0.2)
    assert mean([1, 3]) == 2
