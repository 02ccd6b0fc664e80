"""Banded attention: the mask's shape and band, global [CLS]/[SEP], and the models that use it."""

from __future__ import annotations

import pytest
import torch

from spanlab.config import LongPositionsConfig, ModelConfig
from spanlab.data.schema import Example
from spanlab.data.words import split_words
from spanlab.encoder.local_attention import banded_mask
from spanlab.errors import SpanlabError
from spanlab.model import SpanModel
from spanlab.supervised.model import FixedLabelModel


def test_band_only():
    padding = torch.tensor([[1] * 10, [1] * 7 + [0] * 3])
    mask = banded_mask(padding, band=2)
    assert mask.shape == (2, 1, 10, 10) and mask.dtype == torch.bool
    m = mask[0, 0]
    assert m[5, 3] and m[5, 7] and not m[5, 2] and not m[5, 8]  # |i − j| <= 2
    assert not m[5, 0] and not m[0, 5] and not m[5, 9]  # no global [CLS] / [SEP]
    short = mask[1, 0]
    assert short[6, 4] and not short[6, 7] and not short[:7, 7:].any()  # real tokens never see padding
    assert short.any(1).all() and short[9, 9]  # a padding row sees itself only: no row attends to nothing


def _model(tiny_encoder_dir, band):
    torch.manual_seed(0)
    spec = ModelConfig(encoder=str(tiny_encoder_dir), head="egp", max_len=400,
                       long_positions=LongPositionsConfig(attention_band=band))
    return FixedLabelModel.from_encoder(spec, ["person"]).eval()


def _inputs(model, text):
    words, offsets = split_words(text)
    batch = model.collator()([Example(words=words, text=text, word_offsets=offsets)])
    return {k: batch[k] for k in ("input_ids", "attention_mask", "token_mask")}


def test_fixed_label_model_reads_with_a_band(tiny_encoder_dir):
    text = " ".join(["Alice met Bob in Paris ."] * 30)  # about 190 tokens
    model = _model(tiny_encoder_dir, band=16)
    seen = []
    model.encoder.register_forward_pre_hook(lambda m, a, kw: seen.append(kw["attention_mask"]), with_kwargs=True)
    assert model.predict([text])  # runs end to end
    assert seen[0].dim() == 4 and seen[0][0, 0, 100, 110] and not seen[0][0, 0, 100, 150]  # far tokens do not meet
    wide = _model(tiny_encoder_dir, band=1000)  # wider than the input: the plain padding mask
    plain = _model(tiny_encoder_dir, band=0)
    inputs = _inputs(plain, text)
    with torch.no_grad():
        assert torch.equal(wide(**inputs)["logits"], plain(**inputs)["logits"])
        assert not torch.equal(model(**inputs)["logits"], plain(**inputs)["logits"])


def test_bad_bands_are_refused(tiny_encoder_dir):
    with pytest.raises(SpanlabError, match="attention_band: found -1"):
        _model(tiny_encoder_dir, band=-1)
    spec = ModelConfig(encoder=str(tiny_encoder_dir), long_positions=LongPositionsConfig(attention_band=8))
    with pytest.raises(SpanlabError, match="every word must see the label prompt"):
        SpanModel.from_encoder(spec)
