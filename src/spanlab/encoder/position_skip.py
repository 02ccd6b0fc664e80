"""Positional skip-wise training: short training inputs that carry the position ids of long ones.

A model trained on sentences only ever sees the first few hundred rows of its position table,
so a table stretched by HDPE (spanlab/encoder/hdpe.py) gives it vectors at run time that it has
never been trained on. Following PoSE (Zhu et al., 2023), each training example is cut in two at
a random token: the head keeps positions 0, 1, …, c − 1 (so [CLS] stays at 0), the tail is moved
by a random skip s, to c + s, c + s + 1, …. Relative distances inside each part are unchanged;
across the cut they grow by s, and over training every position up to `max_positions` (every
HDPE block and every block boundary) turns up, at the cost of a sentence-length input.
"""

from __future__ import annotations

import torch
from torch import nn


def skipped_positions(
    attention_mask: torch.Tensor, max_positions: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """(B, T) position ids: 0..c−1 then c+s.. per row, with c uniform in [1, length] and s uniform
    in [0, max_positions − T] (padding included, so every id stays below `max_positions`)."""
    B, T = attention_mask.shape
    room = max_positions - T
    if room < 0:
        raise ValueError(f"inputs of {T} tokens do not fit in {max_positions} positions")
    device = attention_mask.device
    lengths = attention_mask.sum(1).clamp(min=1).cpu()  # (B,)
    cut = (torch.rand(B, generator=generator) * lengths).long() + 1  # (B,) in [1, length]
    skip = torch.randint(0, room + 1, (B,), generator=generator)  # (B,)
    steps = torch.arange(T)[None]  # (1, T)
    return (steps + (steps >= cut[:, None]) * skip[:, None]).to(device)  # (B, T)


def training_positions(model: nn.Module, attention_mask: torch.Tensor) -> torch.Tensor | None:
    """Skipped position ids while `model` trains with `spec.long_positions.train_skip`, else None
    (the encoder's own 0, 1, 2, …). The limit is the encoder's position count, HDPE's if stretched."""
    if not (model.training and model.spec.long_positions.train_skip):
        return None
    return skipped_positions(attention_mask, model.encoder.config.max_position_embeddings)
