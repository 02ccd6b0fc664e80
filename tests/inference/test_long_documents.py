"""SpanModel on texts far beyond the encoder's 512 tokens: windowed, not cut."""

from __future__ import annotations

import logging

import pytest
import torch

from spanlab.config import ModelConfig, WindowConfig
from spanlab.data.schema import Example
from spanlab.data.words import split_words
from spanlab.inference.windows import Window, owned_parts
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


@pytest.fixture(scope="module")
def tiny_deberta_dir(tiny_encoder_dir, tmp_path_factory):
    """A random 2-layer DeBERTa-v2 with relative positions only (no absolute position table)."""
    from transformers import AutoTokenizer, DebertaV2Config, DebertaV2Model

    folder = tmp_path_factory.mktemp("tiny-deberta")
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_encoder_dir))
    config = DebertaV2Config(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, relative_attention=True, position_biased_input=False, position_buckets=32,
        pos_att_type=["p2c", "c2p"], type_vocab_size=0,
    )
    torch.manual_seed(0)
    DebertaV2Model(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


@pytest.mark.parametrize("encoder", ["bert", "deberta-v2-relative"])
def test_ten_thousand_words_every_span_is_its_owning_windows_own(encoder, tiny_encoder_dir, tiny_deberta_dir,
                                                                record_pieces):
    """A 10,000-word text through a real encoder: every merged span is one its owning window found,
    shifted to document words, at the highest score any window gave it; the end of the text is read."""
    folder = tiny_encoder_dir if encoder == "bert" else tiny_deberta_dir
    torch.manual_seed(0)
    model = SpanModel.from_encoder(ModelConfig(encoder=str(folder), hidden_size=32, max_width=4, max_len=200,
                                               windows=WindowConfig(overlap=16))).eval()
    assert (model.encoder.config.model_type == "deberta-v2") == (encoder != "bert")
    text = " ".join([SENTENCE] * 834)  # 12 words each: 10,008 words
    words, offsets = split_words(text)
    assert len(words) == 10_008
    first_word = {a: i for i, (a, _) in enumerate(offsets)}

    pieces_seen = record_pieces(model)
    doc = Example(words=words, text=text, word_offsets=offsets)
    spans = model.predict_words([doc], ["person", "city"], threshold=0.0)[0]
    assert len(pieces_seen) > 50 and all(len(p.words) <= 200 for p, _ in pieces_seen)
    starts = [first_word[p.word_offsets[0][0]] for p, _ in pieces_seen]
    plan = [Window(s, s + len(p.words)) for s, (p, _) in zip(starts, pieces_seen)]
    owned = owned_parts(plan)
    for start, end, label, score in spans:
        k = next(k for k, (a, b) in enumerate(owned) if a <= start < b)
        assert (start - plan[k].start, end - plan[k].start, label) in {s[:3] for s in pieces_seen[k][1]}
        assert score == max(p for (_, found), w in zip(pieces_seen, plan) for a, b, lab, p in found
                            if (a + w.start, b + w.start, lab) == (start, end, label))
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))  # flat: sorted, no overlap
    covered = {i for s, e, _, _ in spans for i in range(s, e + 1)}
    assert len(covered) > 0.95 * len(words) and max(covered) >= len(words) - 5
