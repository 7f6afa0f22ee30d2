"""Prices of a few fruits; the validator's tests edit this file."""

WORDS = ("apple", "pear")
TABLE = {"apple": 3, "pear": 4, "plum": 0}


class Money:
    def __init__(self, cents):
        self.cents = cents

    def __eq__(self, other):
        return isinstance(other, Money) and self.cents == other.cents


def price(item):
    return TABLE.get(item, 0)


def total(items):
    return sum(price(item) for item in items)


def cost(items):
    return Money(total(items))
