"""Banded self-attention: each token attends to the tokens at most `band` positions away, plus
the first and the last real token ([CLS], [SEP]), which attend to and are attended by all.

A model trained this way (on inputs longer than the band) sees the same attention pattern on a
document of any length, so one pass over a 10,000-token document with HDPE positions is no
different, for each token, from the inputs it was trained on. Passed to a Hugging Face encoder
as a 4-D boolean mask (batch, 1, query, key), which its attention takes as given.
"""

from __future__ import annotations

import torch
from torch import nn


def banded_mask(attention_mask: torch.Tensor, band: int) -> torch.Tensor:
    """(B, T) padding mask → (B, 1, T, T) bool: True where a query token may attend to a key token."""
    B, T = attention_mask.shape
    device = attention_mask.device
    idx = torch.arange(T, device=device)
    near = (idx[:, None] - idx[None, :]).abs() <= band  # (T, T)
    last = attention_mask.sum(1).clamp(min=1) - 1  # (B,) index of [SEP]
    ends = (idx[None] == 0) | (idx[None] == last[:, None])  # (B, T) the two global tokens
    allowed = near[None] | ends[:, :, None] | ends[:, None, :]  # (B, T, T)
    return (allowed & attention_mask.bool()[:, None, :])[:, None]  # (B, 1, T, T)


def encoder_mask(model: nn.Module, attention_mask: torch.Tensor) -> torch.Tensor:
    """The mask `model`'s encoder gets: banded when `spec.long_positions.attention_band` is set and
    the input is longer than the band, else the (B, T) padding mask itself."""
    band = model.spec.long_positions.attention_band
    if band <= 0 or attention_mask.shape[1] <= band + 1:
        return attention_mask
    return banded_mask(attention_mask, band)
