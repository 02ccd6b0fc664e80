"""SpanTrainer's optimizer: the encoder at its own learning rate, everything else at another,
and weight decay where the Trainer's rule puts it (as the gliner library does): not on biases or norms."""

from __future__ import annotations

import pytest
from transformers import TrainingArguments

from spanlab.config import LossConfig, ModelConfig
from spanlab.model import SpanModel
from spanlab.supervised.model import FixedLabelModel
from spanlab.training.trainer import SpanTrainer


@pytest.mark.parametrize("kind", ["gliner", "egp"])
def test_encoder_and_heads_get_their_own_learning_rates_and_decay_groups(kind, tiny_encoder_dir, tmp_path):
    if kind == "gliner":
        model = SpanModel.from_encoder(ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32))
    else:
        model = FixedLabelModel.from_encoder(ModelConfig(head="egp", encoder=str(tiny_encoder_dir), head_size=8),
                                             ["city", "person"])
    args = TrainingArguments(output_dir=str(tmp_path), learning_rate=1e-3, weight_decay=0.01, report_to=[],
                             use_cpu=True)
    trainer = SpanTrainer(model=model, args=args, loss=LossConfig(), lr_encoder=2e-5)
    optimizer = trainer.create_optimizer()

    group_of = {id(p): g for g in optimizer.param_groups for p in g["params"]}
    names = dict(model.named_parameters())
    decays = set(trainer.get_decay_parameter_names(model))
    assert not [n for n in decays if n.endswith(".bias") or "LayerNorm" in n]
    assert set(group_of) == {id(p) for p in names.values()}  # every parameter trains, once
    for name, p in names.items():
        group = group_of[id(p)]
        assert group["lr"] == (2e-5 if name.startswith("encoder.") else 1e-3), name
        assert group["weight_decay"] == (0.01 if name in decays else 0.0), name
    assert {g["lr"] for g in optimizer.param_groups} == {2e-5, 1e-3}
    assert trainer.create_optimizer() is optimizer  # built once
