"""Helpers only: no test functions here."""


def helper():
    return 1
