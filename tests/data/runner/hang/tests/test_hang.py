from stubborn import wait_forever


def test_before():
    assert True


def test_hangs():
    wait_forever()


def test_after():
    assert True
