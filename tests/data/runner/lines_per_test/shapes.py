import threading

TABLE = {"unit": 1}


def area(width, height):
    return width * height


def perimeter(width, height):
    return 2 * (width + height)


def in_a_thread(width):
    result = []
    worker = threading.Thread(target=lambda: result.append(perimeter(width, width)))
    worker.start()
    worker.join()
    return result[0]


def describe(width):
    if width > 10:
        return "large"
    return "small"
