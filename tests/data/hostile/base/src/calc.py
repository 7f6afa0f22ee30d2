def add(a, b):
    return a - b


def double(a):
    return 2 * a
