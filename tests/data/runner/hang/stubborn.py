import time


def wait_forever():
    while True:
        try:
            time.sleep(0.05)
        except BaseException:
            pass
