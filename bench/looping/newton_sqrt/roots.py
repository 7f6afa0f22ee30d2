def square_root(n):
    """The square root of `n` (n > 0) by Newton's method."""
    guess = n
    while abs(guess * guess - n) > 1e-9 * n:
        guess = (guess + n * guess) / 2
    return guess


def cube(x):
    return x * x * x


def hypotenuse(a, b):
    return (a * a + b * b) ** 0.5
