from spin import countdown


def test_even():
    assert countdown(4) == "done"


def test_odd_loops_forever():
    assert countdown(3) == "done"


def test_after():
    assert countdown(0) == "done"
