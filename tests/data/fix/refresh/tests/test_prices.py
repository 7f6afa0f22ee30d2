import pytest

import shop.prices as prices_module
from shop import WORDS
from shop.prices import Money, cost, price, total

ZERO = Money(0)  # computed from the code under repair while the module is imported


class Box:
    pass


class TestBox:
    kind = Box  # a class of this module, held by a collected test class

    def test_kind(self):
        assert isinstance(self.kind(), Box)


def test_price():
    assert price("apple") == 3


def test_total():
    assert total(["apple", "pear"]) == 7


def test_cost():
    assert cost(["apple"]) == Money(3)
    assert cost([]) == ZERO


@pytest.mark.parametrize("word", WORDS)
def test_known(word):
    assert price(word) > 0


def test_module_attribute():
    assert prices_module.price("pear") == 4
