from leak import keep_open


def test_leaks_a_file():
    assert keep_open(__file__)


def test_passes():
    assert True
