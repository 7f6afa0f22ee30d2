def total(prices, discount):
    subtotal = 0
    for price in prices:
        subtotal += price
    return subtotal - discount * 2


def mean(values):
    return sum(values) / len(values)
