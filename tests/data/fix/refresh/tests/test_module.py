import shop.prices


def test_plum():
    assert shop.prices.total(["plum"]) == 0
