"""focal_bce against a hand computation."""

from __future__ import annotations

import math

import pytest
import torch

from spanlab.heads.losses import focal_bce

LOGITS = [2.0, -1.0, 0.5, -3.0]
TARGETS = [1.0, 0.0, 0.0, 1.0]
MASK = [True, True, True, False]


def by_hand(alpha: float, gamma: float, reduction: str) -> float:
    total, count = 0.0, 0
    for x, y, m in zip(LOGITS, TARGETS, MASK):
        if not m:
            continue
        p = 1 / (1 + math.exp(-x))
        p_t = p if y == 1 else 1 - p
        term = -math.log(p_t) * (1 - p_t) ** gamma
        if alpha >= 0:
            term *= alpha if y == 1 else 1 - alpha
        total += term
        count += 1
    return total if reduction == "sum" else total / count


@pytest.mark.parametrize("alpha", [0.75, 0.25, -1.0])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_matches_hand_computation(alpha, gamma, reduction):
    loss = focal_bce(
        torch.tensor(LOGITS), torch.tensor(TARGETS), torch.tensor(MASK), alpha=alpha, gamma=gamma, reduction=reduction
    )
    assert loss.item() == pytest.approx(by_hand(alpha, gamma, reduction), rel=1e-6)


def test_masked_pairs_do_not_count_even_when_huge():
    logits = torch.tensor([[0.0, 1e4]])
    targets = torch.tensor([[1.0, 0.0]])
    mask = torch.tensor([[True, False]])
    loss = focal_bce(logits, targets, mask, alpha=-1, reduction="mean")
    assert loss.item() == pytest.approx(math.log(2), rel=1e-6)


def test_mean_of_an_empty_mask_is_zero_and_gradients_flow():
    logits = torch.zeros(2, 3, requires_grad=True)
    mask = torch.zeros(2, 3, dtype=torch.bool)
    assert focal_bce(logits, torch.zeros(2, 3), mask, reduction="mean").item() == 0.0
    mask[0, 0] = True
    focal_bce(logits, torch.ones(2, 3), mask).backward()
    assert logits.grad[0, 0] < 0 and (logits.grad.flatten()[1:] == 0).all()


def test_unknown_reduction():
    with pytest.raises(ValueError, match="reduction"):
        focal_bce(torch.zeros(1), torch.zeros(1), torch.ones(1, dtype=torch.bool), reduction="none")
