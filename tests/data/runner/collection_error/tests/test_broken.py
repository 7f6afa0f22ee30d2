from shapes import perimeter  # no such function: this file fails to import


def test_perimeter():
    assert perimeter(2, 3) == 10
