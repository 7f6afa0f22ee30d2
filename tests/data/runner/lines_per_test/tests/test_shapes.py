import pytest

from shapes import area, describe, in_a_thread


@pytest.fixture
def big():
    yield describe(20)  # setup runs the "large" branch
    describe(1)  # teardown runs the "small" one


def test_area():
    assert area(2, 3) == 6


def test_thread():
    assert in_a_thread(2) == 8


def test_fixture(big):
    assert big == "large"


def test_fails():
    assert area(2, 2) == 5
