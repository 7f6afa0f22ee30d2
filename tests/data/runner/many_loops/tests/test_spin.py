from spin import countdown


def test_even():
    assert countdown(4) == "done"


def test_loops_1():
    assert countdown(3) == "done"


def test_loops_2():
    assert countdown(5) == "done"


def test_loops_3():
    assert countdown(7) == "done"
