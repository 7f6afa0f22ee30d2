from shapes import area, is_square, perimeter


def test_area():
    assert area(3, 4) == 12


def test_perimeter():
    assert perimeter(3, 4) == 14


def test_is_square():
    assert is_square(2, 2)
    assert not is_square(2, 3)
