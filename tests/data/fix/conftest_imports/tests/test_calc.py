def test_add(adder):
    assert adder(2, 3) == 5
