import os
import time

from calc import add


def test_forks_a_sleeper():
    # The child outlives the test by far; it must not hold up the run or its verification.
    if os.fork() == 0:
        time.sleep(30)
        os._exit(0)
    assert True


def test_add():
    assert add(2, 3) == 5
