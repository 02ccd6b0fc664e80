"""Rotary position embedding (RoPE) along the sequence axis, in the interleaved layout.

Channels (2m, 2m+1) of a vector at position t are rotated by the angle t·θ_m, with
θ_m = 10000^(-2m/d). Because rotations compose, (R_i q)·(R_j k) = q·R_(j-i) k: a dot
product of rotated vectors depends on the positions only through j − i.
"""

from __future__ import annotations

import torch


def rope_angles(length: int, dim: int, device=None, base: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of t·θ_m for t < length, each repeated over its channel pair: (T, dim), (T, dim)."""
    if dim % 2:
        raise ValueError(f"RoPE needs an even width, found {dim}")
    inv_freq = base ** (-torch.arange(0, dim, 2, device=device, dtype=torch.float32) / dim)  # (d/2,)
    angles = torch.arange(length, device=device, dtype=torch.float32)[:, None] * inv_freq  # (T, d/2)
    angles = angles.repeat_interleave(2, dim=-1)  # (T, d): θ_0 θ_0 θ_1 θ_1 …
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate x (..., T, d) pairwise: (x_2m, x_2m+1) → (x_2m cos − x_2m+1 sin, x_2m+1 cos + x_2m sin)."""
    rotated_half = torch.stack([-x[..., 1::2], x[..., ::2]], dim=-1).reshape(x.shape)  # (..., T, d)
    return x * cos.to(x.dtype) + rotated_half * sin.to(x.dtype)
