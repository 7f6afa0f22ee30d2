def volume(w, h, d):
    return w * h * d


def is_cube(w, h, d):
    return w == h and h == d
