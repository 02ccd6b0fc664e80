"""Focal binary cross-entropy over (span, label) pairs (Lin et al., 2017), as GLiNER trains.

loss = α_t · (1 − p_t)^γ · BCE, with α_t = α for positive pairs and 1 − α for negative
ones; α < 0 turns the weighting off. Only valid pairs count (span inside the text, label
not padding).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def focal_bce(
    logits: torch.Tensor,  # (...,) any shape
    targets: torch.Tensor,  # same shape, 0/1
    mask: torch.Tensor,  # same shape, bool: pairs that count
    alpha: float = 0.75,
    gamma: float = 0.0,
    reduction: str = "sum",
) -> torch.Tensor:
    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    if gamma > 0:
        p = torch.sigmoid(logits)
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = loss * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = loss * (alpha * targets + (1 - alpha) * (1 - targets))
    loss = loss * mask
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / mask.sum().clamp(min=1)
    raise ValueError(f"unknown loss reduction {reduction!r}; expected 'sum' or 'mean'")
