"""Banded self-attention: each token attends only to the tokens at most `band` positions away.

A model trained this way, on inputs longer than the band, sees the same attention pattern in a
document of any length: one pass over a 10,000-token document (HDPE positions, trained with
`train_skip`) then looks, to every token, like the inputs it was trained on. [CLS] and [SEP] get
no global role: a global token would gather a whole document, far more than in training, and
pass it on to every token. Passed to a Hugging Face encoder as a 4-D boolean mask
(batch, 1, query, key), which its attention takes as given.
"""

from __future__ import annotations

import torch
from torch import nn


def banded_mask(attention_mask: torch.Tensor, band: int) -> torch.Tensor:
    """(B, T) padding mask → (B, 1, T, T) bool: True where a query token may attend to a key token."""
    T = attention_mask.shape[1]
    idx = torch.arange(T, device=attention_mask.device)
    near = (idx[:, None] - idx[None, :]).abs() <= band  # (T, T)
    allowed = near[None] & attention_mask.bool()[:, None, :]  # (B, T, T)
    # A padding query whose band holds only padding would attend to nothing (NaN): let it see itself.
    return (allowed | torch.eye(T, dtype=torch.bool, device=idx.device)[None])[:, None]  # (B, 1, T, T)


def encoder_mask(model: nn.Module, attention_mask: torch.Tensor) -> torch.Tensor:
    """The mask `model`'s encoder gets: banded when `spec.long_positions.attention_band` is set and
    the input is longer than the band, else the (B, T) padding mask itself."""
    band = model.spec.long_positions.attention_band
    if band <= 0 or attention_mask.shape[1] <= band + 1:
        return attention_mask
    return banded_mask(attention_mask, band)
