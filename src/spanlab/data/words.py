"""Split raw text into words with character offsets, and map character spans to word spans.

The pattern is GLiNER's: a run of word characters, possibly joined by `-` or `_`
("state-of-the-art", "snake_case" are one word), or any other single non-space
character (punctuation, symbols, each emoji code point). Python's `\\w` covers letters of
every script, so a run of CJK characters is one word; combining marks are not `\\w`, so a
decomposed "e" + U+0301 splits into two words (normalise to NFC first if that matters).
Offsets always satisfy `text[start:end] == word`.
"""

from __future__ import annotations

import re

WORD_PATTERN = re.compile(r"\w+(?:[-_]\w+)*|\S")


def split_words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Words of `text` and their (char_start, char_end_exclusive) offsets."""
    words: list[str] = []
    offsets: list[tuple[int, int]] = []
    for match in WORD_PATTERN.finditer(text):
        words.append(match.group())
        offsets.append(match.span())
    return words, offsets


def char_to_word_spans(
    offsets: list[tuple[int, int]], char_start: int, char_end: int
) -> tuple[int, int] | None:
    """The word span (start_word, end_word_inclusive) covering exactly [char_start, char_end).

    None when either boundary falls inside a word (or in whitespace), because rounding
    it to the nearest word would silently change the gold mention.
    """
    start = next((i for i, (s, _) in enumerate(offsets) if s == char_start), None)
    end = next((i for i, (_, e) in enumerate(offsets) if e == char_end), None)
    if start is None or end is None or end < start:
        return None
    return start, end
