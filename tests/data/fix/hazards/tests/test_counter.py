from counter import count_up, double


def test_count_up():
    assert count_up(3) == 4


def test_count_up_zero():
    assert count_up(0) == 1


def test_double():
    assert double(4) == 8
