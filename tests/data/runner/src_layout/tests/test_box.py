from geometry.box import is_cube, volume


def test_volume():
    assert volume(1, 2, 3) == 6


def test_is_cube():
    assert is_cube(2, 2, 2)
