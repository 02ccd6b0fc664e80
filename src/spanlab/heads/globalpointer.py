"""GlobalPointer heads: every (type, start token, end token) gets one logit.

Efficient GlobalPointer (Su et al., 2022, as bert4keras defines it)

    p = Dense(2·d)(h)                    (B, T, 2d)   one projection shared by all types
    q, k = p[..., 0::2], p[..., 1::2]     (B, T, d)    interleaved
    s_α(i, j) = (R_i q_i)·(R_j k_j)/√d + ½(b[i, 2α+1] + b[j, 2α]),   b = Dense(2K)(p)   (before RoPE)

GlobalPointer (Su et al., 2021): separate q and k of width d for each of the K types,
s_α(i, j) = (R_i q_α,i)·(R_j k_α,j)/√d.

Both mask spans that end before they start (i > j; the diagonal stays, for one-token
entities) and spans touching a padding or special token, with the most negative finite
value of the logits' dtype, so the loss stays finite in fp16/bf16.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from spanlab.heads.rope import apply_rope, rope_angles


class EfficientGlobalPointer(nn.Module):
    def __init__(self, hidden: int, num_types: int, head_size: int = 64):
        super().__init__()
        self.head_size = head_size
        self.proj = nn.Linear(hidden, 2 * head_size)
        self.bias = nn.Linear(2 * head_size, 2 * num_types)

    def forward(self, h: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
        """h (B, T, H), token_mask (B, T) bool → logits (B, K, T, T)."""
        p = self.proj(h)  # (B, T, 2d)
        q, k = p[..., 0::2], p[..., 1::2]  # (B, T, d) each
        cos, sin = rope_angles(h.shape[1], self.head_size, h.device)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        scores = q @ k.transpose(1, 2) / math.sqrt(self.head_size)  # (B, T, T), shared by all types
        b = self.bias(p).transpose(1, 2) / 2  # (B, 2K, T)
        # start i takes the odd channel 2α+1, end j the even channel 2α
        logits = scores[:, None] + b[:, 1::2, :, None] + b[:, 0::2, None, :]  # (B, K, T, T)
        return mask_logits(logits, token_mask)


class GlobalPointer(nn.Module):
    def __init__(self, hidden: int, num_types: int, head_size: int = 64):
        super().__init__()
        self.num_types = num_types
        self.head_size = head_size
        self.proj = nn.Linear(hidden, num_types * 2 * head_size)

    def forward(self, h: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
        """h (B, T, H), token_mask (B, T) bool → logits (B, K, T, T)."""
        B, T, _ = h.shape
        p = self.proj(h).view(B, T, self.num_types, 2 * self.head_size).transpose(1, 2)  # (B, K, T, 2d)
        q, k = p[..., : self.head_size], p[..., self.head_size :]  # (B, K, T, d) each
        cos, sin = rope_angles(T, self.head_size, h.device)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        logits = q @ k.transpose(-1, -2) / math.sqrt(self.head_size)  # (B, K, T, T)
        return mask_logits(logits, token_mask)


def span_mask(token_mask: torch.Tensor) -> torch.Tensor:
    """(B, T) bool → (B, 1, T, T) bool: True where i ≤ j and both tokens are real."""
    T = token_mask.shape[1]
    upper = torch.ones(T, T, dtype=torch.bool, device=token_mask.device).triu()  # diagonal kept
    return (token_mask[:, :, None] & token_mask[:, None, :] & upper)[:, None]


def mask_logits(logits: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
    """Masked (type, i, j) cells get the dtype's most negative finite value (never -inf, never overflowing)."""
    return logits.masked_fill(~span_mask(token_mask), torch.finfo(logits.dtype).min)


def build_pointer(kind: str, hidden: int, num_types: int, head_size: int) -> nn.Module:
    """"egp" → EfficientGlobalPointer, "gp" → GlobalPointer."""
    return {"egp": EfficientGlobalPointer, "gp": GlobalPointer}[kind](hidden, num_types, head_size)
