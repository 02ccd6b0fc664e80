"""SpanModel on texts far beyond the encoder's 512 tokens: windowed, not cut."""

from __future__ import annotations

import logging

import pytest
import torch

from spanlab.config import ModelConfig, WindowConfig
from spanlab.data.words import split_words
from spanlab.model import SpanModel

SENTENCE = "Alice Smith flew from Paris to Tokyo with Bob on Monday ."


@pytest.fixture(scope="module")
def model(tiny_encoder_dir) -> SpanModel:
    torch.manual_seed(0)
    spec = ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32, max_width=4, max_len=200,
                       windows=WindowConfig(overlap=16))
    return SpanModel.from_encoder(spec).eval()


def test_long_document_returns_spans_beyond_word_512_with_right_offsets(model, caplog):
    text = " ".join([SENTENCE] * 120)  # 1,440 words
    words, offsets = split_words(text)
    with caplog.at_level(logging.WARNING):
        # threshold 0 on a random model: flat decoding tiles the text, so every word is in some span
        ents = model.predict([text], ["person", "city"], threshold=0.0)[0]
    assert not [r for r in caplog.records if "cut" in r.getMessage()]  # nothing truncated
    starts, ends = {a for a, _ in offsets}, {b for _, b in offsets}
    for e in ents:
        assert e["text"] == text[e["start"] : e["end"]] and e["start"] in starts and e["end"] in ends
    assert all(a["end"] <= b["start"] for a, b in zip(ents, ents[1:]))  # flat: sorted, no overlap
    # Each window's decoding tiles its words; merging keeps the best-scoring spans, which can leave a
    # word whose covering spans all lost to a neighbour, so the whole document is covered nearly, not fully.
    covered = {i for e in ents for i, (a, b) in enumerate(offsets) if e["start"] <= a and b <= e["end"]}
    assert len(covered) > 0.95 * len(words)
    assert len([i for i in covered if i >= 512]) > 0.95 * (len(words) - 512)  # far past the first window
    assert max(e["start"] for e in ents) > offsets[1400][0]


def test_windows_off_cuts_with_a_warning(model, caplog):
    text = " ".join([SENTENCE] * 40)  # 480 words > max_len 200
    with caplog.at_level(logging.WARNING):
        ents = model.predict([text], ["person"], threshold=0.0, windows=False)[0]
    assert any("cut to 200" in r.getMessage() for r in caplog.records)
    assert max(e["end"] for e in ents) <= split_words(text)[1][199][1]


def test_short_texts_are_unchanged_by_windowing(model):
    texts = [SENTENCE, "Tokyo is big ."]
    assert model.predict(texts, ["person", "city"], threshold=0.0) == model.predict(
        texts, ["person", "city"], threshold=0.0, windows=False
    )
