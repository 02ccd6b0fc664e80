"""Multilabel categorical cross-entropy (Su, 2020), the GlobalPointer loss.

For one row of scores s with positive set P and negative set N:

    loss = log(1 + Σ_{n∈N} e^{s_n}) + log(1 + Σ_{p∈P} e^{-s_p})

which pushes every positive above 0 and every negative below 0 (so decoding is s > 0).
The dense form takes a 0/1 target per score; the sparse form takes only the indices of the
positives, so the (B, K, T, T) target tensor never exists. Masking uses the dtype's most
negative finite value instead of a constant like -1e12, which overflows to -inf in fp16
and turns the loss into NaN.
"""

from __future__ import annotations

import torch


def _with_zero(x: torch.Tensor) -> torch.Tensor:
    """Append a 0 score (the "1 +" inside each log): (N, M) → (N, M+1)."""
    return torch.cat([x, x.new_zeros(x.shape[0], 1)], dim=-1)


def mcce_dense(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """logits (N, M), targets (N, M) in {0, 1} → loss per row (N,)."""
    low = torch.finfo(logits.dtype).min
    positive = targets.bool()
    neg = logits.masked_fill(positive, low)  # (N, M): negatives only
    pos = (-logits).masked_fill(~positive, low)  # (N, M): −s of positives only
    return torch.logsumexp(_with_zero(neg), dim=-1) + torch.logsumexp(_with_zero(pos), dim=-1)


def mcce_sparse(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """logits (N, M), positives (N, P) distinct indices into M, padded with -1 → loss per row (N,).

    log(1 + Σ_N e^s) = log(1 + Σ_all e^s − Σ_P e^s) = lse_all + log(1 − e^{lse_P − lse_all}),
    so the negative part needs the positives' scores, not a mask over all M.
    """
    low = torch.finfo(logits.dtype).min
    valid = positives >= 0  # (N, P)
    s_pos = logits.gather(-1, positives.clamp(min=0))  # (N, P)
    pos_loss = torch.logsumexp(_with_zero((-s_pos).masked_fill(~valid, low)), dim=-1)  # (N,)
    lse_all = torch.logsumexp(_with_zero(logits), dim=-1)  # (N,)
    lse_pos = torch.logsumexp(s_pos.masked_fill(~valid, low), dim=-1)  # (N,)
    eps = torch.finfo(logits.dtype).eps
    neg_loss = lse_all + torch.log((1 - torch.exp(lse_pos - lse_all)).clamp(min=eps, max=1))
    return pos_loss + neg_loss
