"""SpanCollator: prompt + words → token ids, word / label positions and span targets."""

from __future__ import annotations

import logging

import pytest
import torch

from spanlab.data.collate import SpanCollator
from spanlab.data.schema import Example, Span
from spanlab.encoder.load import ENT_TOKEN, SEP_TOKEN

LONG_WORD = "Kowalczykowski"  # 5 word pieces in the MiniLM vocabulary

EXAMPLES = [
    Example(
        words=[LONG_WORD, "lives", "in", "New", "York", "City", "."],
        spans=[Span(0, 0, "person"), Span(3, 5, "city"), Span(0, 5, "clause")],  # "clause" is wider than max_width
    ),
    Example(words=["Rome", "!"], spans=[Span(0, 0, "city")]),
]
PROMPTS = [["city", "person", "clause"], ["city"]]


def first_piece_id(tokenizer, word: str) -> int:
    return tokenizer.convert_tokens_to_ids(tokenizer.tokenize(word)[0])


@pytest.fixture
def batch(tiny_tokenizer):
    return SpanCollator(tiny_tokenizer, max_width=3, max_len=50).encode(EXAMPLES, PROMPTS, with_targets=True)


def test_the_long_word_is_several_pieces(tiny_tokenizer):
    assert len(tiny_tokenizer.tokenize(LONG_WORD)) > 2


def test_shapes_and_counts(batch):
    assert batch["word_count"].tolist() == [7, 2]
    assert batch["label_count"].tolist() == [3, 1]
    assert batch["word_pos"].shape == (2, 7)
    assert batch["label_pos"].shape == (2, 3)
    assert batch["span_targets"].shape == (2, 7, 3, 3)  # (B, L, W, C)
    assert batch["input_ids"].shape == batch["attention_mask"].shape


def test_label_pos_points_at_ent_tokens(batch, tiny_tokenizer):
    ent = tiny_tokenizer.convert_tokens_to_ids(ENT_TOKEN)
    sep = tiny_tokenizer.convert_tokens_to_ids(SEP_TOKEN)
    ids = batch["input_ids"]
    for b, prompt in enumerate(PROMPTS):
        pos = batch["label_pos"][b, : len(prompt)]
        assert (ids[b, pos] == ent).all()
        # Each <<ENT>> is followed by its label's first piece, and the last label by <<SEP>>.
        for p, label in zip(pos.tolist(), prompt):
            assert ids[b, p + 1] == first_piece_id(tiny_tokenizer, label)
        assert (ids[b] == sep).sum() == 1
    assert ids[0, 0] == tiny_tokenizer.cls_token_id


def test_label_end_stops_at_the_next_marker(batch, tiny_tokenizer):
    markers = {tiny_tokenizer.convert_tokens_to_ids(ENT_TOKEN), tiny_tokenizer.convert_tokens_to_ids(SEP_TOKEN)}
    ids = batch["input_ids"]
    for b, prompt in enumerate(PROMPTS):
        for start, end, label in zip(batch["label_pos"][b].tolist(), batch["label_end"][b].tolist(), prompt):
            assert ids[b, end].item() in markers
            pieces = tiny_tokenizer.convert_ids_to_tokens(ids[b, start + 1 : end].tolist())
            assert pieces == tiny_tokenizer.tokenize(label)


def test_word_pos_points_at_first_pieces(batch, tiny_tokenizer):
    ids = batch["input_ids"]
    for b, ex in enumerate(EXAMPLES):
        pos = batch["word_pos"][b, : len(ex.words)].tolist()
        for p, word in zip(pos, ex.words):
            assert ids[b, p] == first_piece_id(tiny_tokenizer, word), word
        assert pos == sorted(pos)
    # The word after the long word starts len(pieces) tokens later.
    pos = batch["word_pos"][0]
    assert pos[1] - pos[0] == len(tiny_tokenizer.tokenize(LONG_WORD))
    # Padding rows stay 0.
    assert batch["word_pos"][1, 2:].tolist() == [0] * 5


def test_span_targets_are_exactly_the_gold_spans_within_max_width(batch):
    targets = batch["span_targets"]
    expected = torch.zeros_like(targets)
    expected[0, 0, 0, 1] = 1  # Kowalczykowski → person (label 1 of the first prompt)
    expected[0, 3, 2, 0] = 1  # New York City (width index 2) → city
    expected[1, 0, 0, 0] = 1  # Rome → city
    # "clause" spans 6 words > max_width 3: no target anywhere, although it is prompted.
    assert torch.equal(targets, expected)


def test_call_uses_sampler_or_gold_labels(tiny_tokenizer):
    plain = SpanCollator(tiny_tokenizer, 3, 50)(EXAMPLES)
    assert "span_targets" not in plain
    assert plain["label_count"].tolist() == [3, 1]  # the positive labels of each example
    fixed = Example(words=["Rome"], labels=["a", "b"])
    assert SpanCollator(tiny_tokenizer, 3, 50)([fixed])["label_count"].tolist() == [2]

    sampled = SpanCollator(tiny_tokenizer, 3, 50, label_sampler=lambda exs, rng: [["person"] for _ in exs])(EXAMPLES)
    assert sampled["label_count"].tolist() == [1, 1]
    assert sampled["span_targets"].sum() == 1  # only Kowalczykowski/person is prompted


def test_text_longer_than_max_len_is_cut_with_a_warning(tiny_tokenizer, caplog):
    collator = SpanCollator(tiny_tokenizer, max_width=3, max_len=4)
    ex = Example(words=[f"w{i}" for i in range(10)], spans=[Span(2, 3, "x"), Span(3, 5, "x")], source="f.jsonl:7")
    with caplog.at_level(logging.WARNING, logger="spanlab.data.collate"):
        out = collator.encode([ex], [["x"]], with_targets=True)
    assert out["word_count"].tolist() == [4]
    assert out["span_targets"].sum() == 1  # the span reaching past word 4 is gone
    assert collator.words_cut == 6
    assert any("f.jsonl:7" in r.getMessage() and "cut to 4" in r.getMessage() for r in caplog.records)


def test_text_longer_than_the_token_limit_is_cut_with_a_warning(tiny_tokenizer, caplog):
    collator = SpanCollator(tiny_tokenizer, max_width=3, max_len=10_000)
    ex = Example(words=["word"] * 600)
    with caplog.at_level(logging.WARNING, logger="spanlab.data.collate"):
        out = collator.encode([ex], [["x"]])
    n = out["word_count"].item()
    assert 400 < n < 600 and out["input_ids"].shape[1] == 512
    assert any("cut to" in r.getMessage() for r in caplog.records)


def test_no_warning_when_nothing_is_cut(batch, tiny_tokenizer, caplog):
    with caplog.at_level(logging.WARNING, logger="spanlab.data.collate"):
        SpanCollator(tiny_tokenizer, 3, 50).encode(EXAMPLES, PROMPTS)
    assert not caplog.records


def test_a_word_without_pieces_does_not_hide_the_words_after_it(tiny_tokenizer):
    # U+200B (zero-width space) is a word for split_words (\S) but the BERT normaliser deletes it,
    # so the tokenizer gives it no piece; the words after it must still be there.
    words = ["Ann", "\u200b", "met", "Bob"]
    out = SpanCollator(tiny_tokenizer, 3, 50).encode([Example(words=words, spans=[Span(3, 3, "person")])], [["person"]],
                                                     with_targets=True)
    assert out["word_count"].tolist() == [4]
    assert out["input_ids"][0, out["word_pos"][0, 3]] == first_piece_id(tiny_tokenizer, "Bob")
    assert out["span_targets"].sum() == 1
