"""label_contrast against a hand computation, its masks, and the config key that turns it on."""

from __future__ import annotations

import math

import pytest
import torch

from spanlab.heads.label_contrast import label_contrast

# Two spans × three labels; the third label is padding for the second span.
LOGITS = [[2.0, 0.0, -1.0], [0.5, 1.5, 9.0]]
TARGETS = [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
MASK = [[True, True, True], [True, True, False]]


def by_hand() -> list[float]:
    first = -math.log(math.exp(2.0) / (math.exp(2.0) + 1 + math.exp(-1.0)))
    second = -math.log((math.exp(0.5) + math.exp(1.5)) / (math.exp(0.5) + math.exp(1.5)))  # both gold: 0
    return [first, second]


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_matches_hand_computation(reduction):
    loss = label_contrast(torch.tensor(LOGITS), torch.tensor(TARGETS), torch.tensor(MASK), reduction)
    terms = by_hand()
    expected = sum(terms) if reduction == "sum" else sum(terms) / len(terms)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_gold_label_is_pushed_above_the_others_and_spans_without_gold_add_nothing():
    logits = torch.zeros(3, 4, requires_grad=True)
    targets = torch.zeros(3, 4)
    targets[0, 2] = 1.0
    mask = torch.ones(3, 4, dtype=torch.bool)
    mask[0, 3] = False  # a padding label: no gradient, however large its logit
    label_contrast(logits, targets, mask).backward()
    grad = logits.grad
    assert grad[0, 2] < 0 and (grad[0, :2] > 0).all() and grad[0, 3] == 0
    assert (grad[1:] == 0).all()


def test_no_gold_span_is_zero_with_a_graph():
    logits = torch.randn(2, 3, requires_grad=True)
    loss = label_contrast(logits, torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.bool))
    assert loss.item() == 0.0
    loss.backward()
    assert (logits.grad == 0).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_masking_stays_finite(dtype):
    logits = torch.tensor([[3.0, -2.0, 60000.0 if dtype == torch.float16 else 1e30]], dtype=dtype)
    mask = torch.tensor([[True, True, False]])
    loss = label_contrast(logits, torch.tensor([[1.0, 0.0, 0.0]], dtype=dtype), mask)
    assert torch.isfinite(loss)
    assert loss.float().item() == pytest.approx(math.log(1 + math.exp(-5.0)), abs=2e-2)


def test_unknown_reduction():
    with pytest.raises(ValueError, match="reduction"):
        label_contrast(torch.zeros(1, 2), torch.ones(1, 2), torch.ones(1, 2, dtype=torch.bool), "none")


def test_config_key_reaches_the_trainer_and_a_negative_weight_is_refused(tiny_encoder_dir, tiny_corpus, tmp_path):
    from spanlab.config import load_config
    from spanlab.errors import ConfigError
    from spanlab.training.recipe import train

    base = [f"model.encoder={tiny_encoder_dir}", "model.hidden_size=32", "model.max_width=4", "model.max_len=32",
            f"data.train=[{tiny_corpus.train}]", "data.negatives.source=batch", f"train.output_dir={tmp_path / 'run'}",
            "train.steps=2", "train.batch_size=4", "train.threads=1", "eval.bootstrap=0"]
    assert load_config(None, base + ["train.loss.label_contrast=0.5"]).train.loss.label_contrast == 0.5
    with pytest.raises(ConfigError, match="label_contrast"):
        train(load_config(None, base + ["train.loss.label_contrast=-1"]))


def test_trainer_loss_is_focal_bce_plus_the_weighted_term():
    from types import SimpleNamespace

    from spanlab.config import LossConfig
    from spanlab.heads.losses import focal_bce
    from spanlab.training.trainer import SpanTrainer

    logits, targets, mask = torch.tensor(LOGITS), torch.tensor(TARGETS), torch.tensor(MASK)

    def model(**inputs):
        return {"logits": logits, "mask": mask}

    def loss_with(weight: float) -> float:
        fake = SimpleNamespace(loss_cfg=LossConfig(label_contrast=weight))
        return SpanTrainer.compute_loss(fake, model, {"span_targets": targets}).item()

    focal = focal_bce(logits, targets, mask).item()
    assert loss_with(0.0) == pytest.approx(focal)
    assert loss_with(0.5) == pytest.approx(focal + 0.5 * sum(by_hand()), rel=1e-6)
