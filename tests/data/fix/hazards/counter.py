"""A bug among lines where many candidate edits loop forever or kill the interpreter."""

import os


def abort(code):
    os._exit(code)


def count_up(n):
    if n < 0:
        abort(3)
    i = 0
    while i < n:
        i += 1
    return i - 1


def double(n):
    return 2 * n
