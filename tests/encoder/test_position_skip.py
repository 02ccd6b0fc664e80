"""Positional skip-wise training: long position ids on short inputs, only while training."""

from __future__ import annotations

import pytest
import torch
from transformers import RoFormerConfig, RoFormerModel

from spanlab.config import LongPositionsConfig, ModelConfig
from spanlab.data.collate import SpanCollator
from spanlab.data.schema import Example
from spanlab.data.words import split_words
from spanlab.encoder.position_skip import skipped_positions
from spanlab.errors import ModelLoadError
from spanlab.model import SpanModel
from spanlab.supervised.model import FixedLabelModel


def test_two_runs_of_consecutive_ids_within_the_limit():
    mask = torch.zeros(64, 20, dtype=torch.long)
    for b in range(64):
        mask[b, : 1 + b % 20] = 1  # lengths 1..20, the rest padding
    ids = skipped_positions(mask, 100, torch.Generator().manual_seed(0))
    assert ids.shape == (64, 20) and ids.min() == 0 and ids.max() < 100
    assert (ids[:, 0] == 0).all()  # [CLS] keeps position 0
    steps = ids.diff(dim=1)  # (64, 19): 1 everywhere except at most one jump per row
    assert ((steps == 1).sum(1) >= 18).all() and (steps >= 1).all()
    for b in range(64):  # the cut falls inside the real tokens (or right after them)
        jumps = (steps[b] > 1).nonzero().flatten()
        assert len(jumps) <= 1 and all(int(j) + 1 <= mask[b].sum() for j in jumps)
    assert (steps > 1).any(1).float().mean() > 0.5  # most rows get a skip
    many = skipped_positions(torch.ones(2000, 10, dtype=torch.long), 100, torch.Generator().manual_seed(1))
    assert many.max() == 99  # the whole range is reached


def test_inputs_longer_than_the_table_are_refused():
    with pytest.raises(ValueError, match="30 tokens do not fit in 20 positions"):
        skipped_positions(torch.ones(1, 30, dtype=torch.long), 20)


def _batch(model, texts):
    examples = [Example(words=words, text=t, word_offsets=offsets) for t in texts for words, offsets in [split_words(t)]]
    if isinstance(model, SpanModel):
        return SpanCollator(model.tokenizer, model.spec.max_width, model.spec.max_len).encode(
            examples, [["person"]] * len(examples))
    batch = model.collator()(examples)
    return {k: batch[k] for k in ("input_ids", "attention_mask", "token_mask")}


@pytest.mark.parametrize("head", ["gliner", "egp"])
def test_models_skip_only_while_training(tiny_encoder_dir, head):
    spec = ModelConfig(encoder=str(tiny_encoder_dir), head=head, hidden_size=32, max_width=4,
                       long_positions=LongPositionsConfig("hdpe", max_positions=4096, train_skip=True))
    model = SpanModel.from_encoder(spec) if head == "gliner" else FixedLabelModel.from_encoder(spec, ["person"])
    seen = []
    model.encoder.register_forward_pre_hook(lambda m, a, kw: seen.append(kw.get("position_ids")), with_kwargs=True)
    batch = _batch(model, ["Alice met Bob in Paris .", "Tokyo is big ."] * 16)
    torch.manual_seed(0)
    model.train()(**batch)
    trained = torch.cat([p for p in seen])
    assert trained.max() > 512 and (trained[:, 0] == 0).all()  # past the 512-row table, [CLS] at 0
    seen.clear()
    model.eval()(**batch)
    assert seen == [None]  # evaluation and prediction: the encoder's own 0, 1, 2, …


def test_train_skip_needs_an_absolute_table():
    rotary = RoFormerModel(RoFormerConfig(vocab_size=50, hidden_size=16, embedding_size=16, num_hidden_layers=1,
                                          num_attention_heads=2, intermediate_size=32))
    spec = ModelConfig(head="egp", long_positions=LongPositionsConfig(train_skip=True))
    with pytest.raises(ModelLoadError, match="long_positions.train_skip: RoFormerModel has no learned absolute"):
        FixedLabelModel(spec, ["person"], rotary, tokenizer=None)
