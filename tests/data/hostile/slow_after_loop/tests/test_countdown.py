import time

from countdown import count_down


def test_odd_loops():
    assert count_down(3) == 0


def test_slow_but_passes():
    time.sleep(1.5)  # more than the shortened limit after a loop, less than --test-timeout
    assert count_down(4) == 0


def test_odd_loops_again():
    assert count_down(5) == 0
