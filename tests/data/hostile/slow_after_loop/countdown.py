def count_down(n):
    while n != 0:
        n -= 2
    return n
