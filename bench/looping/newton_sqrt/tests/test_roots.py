import math

from roots import cube, hypotenuse, square_root


def test_root_of_four():
    assert math.isclose(square_root(4), 2)


def test_root_of_two():
    assert math.isclose(square_root(2), math.sqrt(2))


def test_root_of_one():
    assert square_root(1) == 1


def test_root_of_large():
    assert math.isclose(square_root(1e6), 1e3)


def test_cube():
    assert cube(3) == 27


def test_hypotenuse():
    assert hypotenuse(3, 4) == 5
