def search(items, target):
    """Index of `target` in the sorted list `items`, or -1."""
    lo, hi = 0, len(items)
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(items) and items[lo] == target:
        return lo
    return -1


def insert(items, value):
    """`items` with `value` added, still sorted."""
    position = 0
    while position < len(items) and items[position] < value:
        position += 1
    return items[:position] + [value] + items[position:]


def merge(left, right):
    """The sorted lists `left` and `right` as one sorted list."""
    merged, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged + left[i:] + right[j:]
