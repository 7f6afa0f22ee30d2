def total(values):
    return sum(values)


def largest(values):
    best = values[0]
    for value in values[1:]:
        if value < best:
            best = value
    return best


def describe(values):
    if not values:
        return "empty"
    return f"{len(values)} values"
