from shop.prices import *  # noqa: F403


def test_star():
    assert price("pear") == 4  # noqa: F405
