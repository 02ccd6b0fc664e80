"""split_words offsets and char_to_word_spans alignment."""

from __future__ import annotations

import pytest

from spanlab.data.words import char_to_word_spans, split_words


def assert_round_trip(text: str) -> list[str]:
    words, offsets = split_words(text)
    assert len(words) == len(offsets)
    assert [text[s:e] for s, e in offsets] == words
    # Only whitespace lies between words: nothing is lost.
    assert "".join(words) == "".join(text.split())
    return words


def test_basic_words_and_punctuation():
    words = assert_round_trip("Hello, world! (Paris) costs $3.50...")
    assert words == "Hello , world ! ( Paris ) costs $ 3 . 50 . . .".split()


def test_hyphen_and_underscore_words_stay_whole():
    words = assert_round_trip("state-of-the-art snake_case x- -y a--b")
    assert words[:2] == ["state-of-the-art", "snake_case"]
    # A dangling or doubled joiner is punctuation of its own.
    assert words[2:] == ["x", "-", "-", "y", "a", "-", "-", "b"]


def test_offsets_with_irregular_whitespace():
    text = "  two\tspaces\n\nnewline  "
    words, offsets = split_words(text)
    assert words == ["two", "spaces", "newline"]
    assert offsets == [(2, 5), (6, 12), (14, 21)]


@pytest.mark.parametrize(
    "text",
    [
        "I ❤️ NER 👍🏽 !",  # emoji with variation selector / skin-tone modifier
        "北京大学 在 北京。",  # CJK
        "café cafe\u0301 naïve",  # precomposed and combining accents
        "Zoë’s \u200bzero-width",
    ],
)
def test_unicode_round_trips(text):
    assert_round_trip(text)


def test_cjk_run_is_one_word_and_combining_mark_splits():
    assert split_words("北京大学。")[0] == ["北京大学", "。"]
    # U+0301 is not \w: the decomposed form splits (documented; normalise to NFC first).
    assert split_words("cafe\u0301")[0] == ["cafe", "\u0301"]
    assert split_words("café")[0] == ["café"]


def test_empty_and_blank_text():
    assert split_words("") == ([], [])
    assert split_words(" \n\t ") == ([], [])


def test_char_to_word_spans():
    text = "New York-based Acme Corp. hired Ann."
    words, offsets = split_words(text)
    assert words == ["New", "York-based", "Acme", "Corp", ".", "hired", "Ann", "."]
    assert char_to_word_spans(offsets, 0, 3) == (0, 0)
    assert char_to_word_spans(offsets, 15, 25) == (2, 4)  # "Acme Corp."
    assert char_to_word_spans(offsets, 32, 35) == (6, 6)
    # "York" ends inside the word "York-based"; "cme" starts inside "Acme".
    assert char_to_word_spans(offsets, 4, 8) is None
    assert char_to_word_spans(offsets, 16, 19) is None
    # Leading whitespace is not a word boundary either.
    assert char_to_word_spans(offsets, 14, 19) is None
    assert char_to_word_spans(offsets, 5, 5) is None
    assert char_to_word_spans([], 0, 1) is None
