import pytest
from stats import describe, largest, total


def test_total():
    assert total([1, 2, 3]) == 6


def test_largest():
    assert largest([3, 1, 7]) == 7


def test_largest_single():
    assert largest([5]) == 5


def test_describe_empty():
    assert describe([]) == "empty"


@pytest.fixture
def broken():
    raise RuntimeError("fixture setup fails")


def test_setup_error(broken):
    pass


@pytest.mark.skip(reason="not today")
def test_skipped():
    raise AssertionError("never runs")
