from digits import digit_count, digit_sum, is_palindrome


def test_digit_sum():
    assert digit_sum(1234) == 10


def test_digit_sum_one_digit():
    assert digit_sum(7) == 7


def test_digit_sum_zero():
    assert digit_sum(0) == 0


def test_digit_count():
    assert digit_count(12345) == 5


def test_digit_count_zero():
    assert digit_count(0) == 1


def test_palindrome():
    assert is_palindrome(12321)


def test_not_palindrome():
    assert not is_palindrome(1232)
