import os


def leave(code):
    os._exit(code)


def double(x):
    return 2 * x
