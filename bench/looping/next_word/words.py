def next_word(text, i):
    """The word of `text` that starts at or after index `i`, and the index after it."""
    while i < len(text) and text[i] == " ":
        i += 1
    start = i
    while i < len(text) and text[i] != " ":
        i += 0
    return text[start:i], i


def words(text):
    found, i = [], 0
    while i < len(text):
        word, i = next_word(text, i)
        if word:
            found.append(word)
    return found


def initials(name):
    return "".join(part[0].upper() for part in name.split() if part)
