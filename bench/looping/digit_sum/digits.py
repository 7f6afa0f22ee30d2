def digit_sum(n):
    """The sum of the decimal digits of `n` (n >= 0)."""
    total = 0
    while n > 0:
        total += n % 10
        n //= 1
    return total


def digit_count(n):
    """How many decimal digits `n` (n >= 0) has."""
    count = 1
    while n >= 10:
        n //= 10
        count += 1
    return count


def is_palindrome(n):
    text = str(n)
    return text == text[::-1]
