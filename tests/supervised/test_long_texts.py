"""Fixed-label (GlobalPointer) models on texts longer than max_len: windows, or one pass with HDPE."""

from __future__ import annotations

import dataclasses
import re

import pytest
import torch

from spanlab.config import LongPositionsConfig, ModelConfig, WindowConfig
from spanlab.data.schema import Example, Span
from spanlab.inference.windows import Window, owned_parts
from spanlab.supervised.model import FixedLabelModel

LABELS = ["city", "person"]  # as the make_model fixture (conftest.py)


def paris_is_a_city(model):
    """A forward pass whose only positive cells are (city, t, t) for every token `paris`."""
    paris = model.tokenizer.convert_tokens_to_ids("paris")

    def forward(input_ids, attention_mask, token_mask, **_):
        B, T = input_ids.shape
        logits = torch.full((B, len(model.labels), T, T), -1.0)
        b, t = (input_ids == paris).nonzero(as_tuple=True)
        logits[b, 0, t, t] = 2.0
        return {"logits": logits}

    return forward


def test_long_text_runs_in_windows_and_every_mention_comes_back_once(make_model):
    model = make_model("egp")  # max_len 32 sub-tokens
    model.forward = paris_is_a_city(model)
    text = " ".join("Paris" if i % 13 == 5 else f"w{i % 7}" for i in range(600))  # ~1,200 sub-tokens
    gold = [(m.start(), m.end(), "city") for m in re.finditer("Paris", text)]
    found = model.predict_examples([Example(words=[], text=text), Example(words=[], text="Paris !")])
    assert [s[:3] for s in found[0]] == gold  # each once, at its own characters, far past the first window
    assert [s[:3] for s in found[1]] == [(0, 5, "city")]  # a text that fits goes in whole
    cut = model.predict_examples([Example(words=[], text=text)], windows=False)[0]
    assert 0 < len(cut) < 5 and cut == found[0][: len(cut)]  # windows off: only the first max_len tokens


def test_character_level_examples_window_over_characters(make_model):
    model = make_model("egp")
    model.forward = paris_is_a_city(model)
    text = "巴黎" * 10 + " Paris " + "巴黎" * 30  # no spaces: split_words would make one huge word
    ex = Example(words=list(text), text=text, word_offsets=[(i, i + 1) for i in range(len(text))])
    assert [s[:3] for s in model.predict_examples([ex])[0]] == [(21, 26, "city")]


def test_hdpe_reads_a_2048_token_text_in_one_pass_and_keeps_short_texts_unchanged(tiny_encoder_dir, tmp_path):
    torch.manual_seed(0)
    cfg = ModelConfig(head="egp", encoder=str(tiny_encoder_dir), head_size=8, dropout=0.0, max_len=32)
    FixedLabelModel.from_encoder(cfg, LABELS).save_pretrained(tmp_path / "m")
    plain = FixedLabelModel.from_pretrained(tmp_path / "m")
    long = FixedLabelModel.from_pretrained(
        tmp_path / "m", max_len=2100, long_positions=LongPositionsConfig("hdpe", max_positions=2100),
        windows=WindowConfig(enabled=False),
    )
    short = ["Alice met Bob in Paris .", "Tokyo is big ."]
    enc = plain.collator().tokenize(short)
    enc.pop("offset_mapping")
    assert torch.equal(long(**enc)["logits"], plain(**enc)["logits"])  # the first 512 positions are the table
    text = " ".join(["Alice met Bob in Paris ."] * 340)  # 2,040 sub-tokens + [CLS] [SEP]
    enc = long.collator().tokenize([text])
    assert enc["input_ids"].shape[1] == 2042
    offsets = enc.pop("offset_mapping")
    logits = long(**enc)["logits"]
    assert logits.shape == (1, len(LABELS), 2042, 2042) and torch.isfinite(logits[logits > -1e30]).all()
    assert int(offsets[0, -2, 1]) == len(text)  # nothing cut
    with pytest.raises(Exception, match="unknown model field"):
        FixedLabelModel.from_pretrained(tmp_path / "m", max_length=5)


def test_max_span_tokens_leaves_longer_cells_undecoded(make_model):
    model = make_model("egp")
    logits = torch.full((1, 2, 6, 6), -1.0)
    logits[0, 0, 1, 3] = logits[0, 0, 1, 2] = logits[0, 1, 2, 2] = 1.0  # spans of 3, 2 and 1 tokens
    mask = torch.ones(1, 6, dtype=torch.bool)
    assert [s[:3] for s in model.decode(logits, mask)[0]] == [(1, 2, 0), (1, 3, 0), (2, 2, 1)]
    model.spec.max_span_tokens = 2
    assert [s[:3] for s in model.decode(logits, mask)[0]] == [(1, 2, 0), (2, 2, 1)]


def test_ten_thousand_words_through_a_real_egp_keep_each_windows_own_spans(make_model, record_pieces):
    """A 10,000-word text through the real (random) EGP: the windowed result is exactly the union of
    each window's own spans (those starting in its part), shifted to the text's characters, each at
    the highest score any window gave it."""
    model = make_model("egp").eval()  # max_len 32 sub-tokens: hundreds of windows
    text = " ".join(f"w{i % 7}" if i % 11 else "Paris" for i in range(10_000))
    pieces_seen = record_pieces(model)
    spans = model.predict_examples([Example(words=[], text=text)])[0]
    assert len(pieces_seen) > 300
    plan = []
    for piece, _ in pieces_seen:  # each piece is a slice of the text: find where it starts
        start = text.index(piece.text, plan[-1].start + 1 if plan else 0)
        plan.append(Window(start, start + len(piece.text)))
    best: dict = {}
    for (_, found), w in zip(pieces_seen, plan):
        for a, b, label, p in found:
            key = (a + w.start, b + w.start, label)
            best[key] = max(p, best.get(key, p))
    expected = sorted(
        (*key, best[key])
        for (_, found), w, (own_a, own_b) in zip(pieces_seen, plan, owned_parts(plan))
        for key in {(a + w.start, b + w.start, label) for a, b, label, _ in found}
        if own_a <= key[0] < own_b
    )
    assert spans == expected and len(spans) > 1000
    assert max(b for _, b, _, _ in spans) > 0.99 * len(text)  # read to the end
    assert all(text[a:b].strip() == text[a:b] for a, b, _, _ in spans)  # whole tokens, no stray blanks


def test_gold_past_max_len_is_out_of_reach_only_with_windows_off(make_model):
    from spanlab.supervised.evaluate import evaluate

    model = make_model("egp")  # max_len 32 sub-tokens
    model.forward = paris_is_a_city(model)
    words = ["w1"] * 40 + ["Paris"] + ["w2"] * 5
    text = " ".join(words)
    offsets = [(3 * i, 3 * i + len(w)) for i, w in enumerate(words)]
    ex = Example(words=words, text=text, word_offsets=offsets, spans=[Span(40, 40, "city")])
    windowed = evaluate(model, [ex])
    assert windowed["unreachable_gold"] == {} and windowed["tp"] == 1
    model.spec = dataclasses.replace(model.spec, windows=WindowConfig(enabled=False))
    cut = evaluate(model, [ex])
    assert cut["unreachable_gold"] == {"beyond max_len (text cut)": 1} and cut["fn"] == 1
