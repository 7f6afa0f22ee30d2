import multiprocessing
import os
import threading
import time

from calc import add


def test_thread_left_running():
    threading.Thread(target=time.sleep, args=(600,)).start()  # not a daemon


def test_process_left_running():
    multiprocessing.get_context("fork").Process(target=time.sleep, args=(600,)).start()


def test_fork_left_sleeping():
    if os.fork() == 0:
        time.sleep(600)
        os._exit(0)


def test_times_out_with_a_child():
    if os.fork() == 0:
        time.sleep(600)
        os._exit(0)
    while True:
        pass


def test_add():
    assert add(2, 3) == 5
