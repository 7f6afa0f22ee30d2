from sorted_list import insert, merge, search


def test_search_found():
    assert search([1, 3, 5, 7, 9], 7) == 3


def test_search_first():
    assert search([2, 4, 6], 2) == 0


def test_search_missing():
    assert search([1, 3, 5], 4) == -1


def test_search_empty():
    assert search([], 1) == -1


def test_search_after_all():
    assert search([1, 2], 5) == -1


def test_insert_middle():
    assert insert([1, 3, 5], 4) == [1, 3, 4, 5]


def test_insert_end():
    assert insert([1, 2], 3) == [1, 2, 3]


def test_insert_empty():
    assert insert([], 1) == [1]


def test_merge():
    assert merge([1, 4, 6], [2, 3, 7]) == [1, 2, 3, 4, 6, 7]


def test_merge_empty():
    assert merge([], [1, 2]) == [1, 2]
