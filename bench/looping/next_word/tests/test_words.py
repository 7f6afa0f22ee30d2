from words import initials, next_word, words


def test_next_word():
    assert next_word("hello world", 0) == ("hello", 5)


def test_next_word_after_spaces():
    assert next_word("a   bc", 1) == ("bc", 6)


def test_words():
    assert words("one two  three") == ["one", "two", "three"]


def test_words_empty():
    assert words("") == []


def test_words_spaces():
    assert words("   ") == []


def test_initials():
    assert initials("ada lovelace") == "AL"


def test_initials_one():
    assert initials("grace") == "G"
