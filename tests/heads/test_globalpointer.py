"""GlobalPointer heads: masks (lower triangle, padding, diagonal kept), the EGP bias layout, shapes."""

from __future__ import annotations

import math

import pytest
import torch

from spanlab.heads.globalpointer import EfficientGlobalPointer, GlobalPointer, span_mask
from spanlab.heads.rope import apply_rope, rope_angles


def test_span_mask_keeps_the_diagonal_and_drops_lower_triangle_and_padding():
    token_mask = torch.tensor([[True, True, True, False]])
    m = span_mask(token_mask)[0, 0]
    expected = torch.tensor([
        [1, 1, 1, 0],
        [0, 1, 1, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 0],
    ], dtype=torch.bool)
    assert torch.equal(m, expected)


@pytest.mark.parametrize("head_cls", [EfficientGlobalPointer, GlobalPointer])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_masked_cells_hold_the_dtype_minimum_and_stay_finite(head_cls, dtype):
    torch.manual_seed(0)
    head = head_cls(hidden=12, num_types=3, head_size=8).to(dtype)
    h = torch.randn(2, 5, 12).to(dtype)
    token_mask = torch.tensor([[False, True, True, True, False], [False, True, True, False, False]])
    logits = head(h, token_mask)
    assert logits.shape == (2, 3, 5, 5) and logits.dtype == dtype
    assert torch.isfinite(logits).all()
    allowed = span_mask(token_mask).expand_as(logits)
    assert (logits[~allowed] == torch.finfo(dtype).min).all()
    assert (logits[allowed] > torch.finfo(dtype).min).all()
    assert allowed[0, 0, 2, 2] and not allowed[0, 0, 3, 2] and not allowed[0, 0, 0, 1]


def test_efficient_globalpointer_matches_its_definition():
    """s_α(i, j) = (R_i q_i)·(R_j k_j)/√d + ½(B[i, 2α+1] + B[j, 2α]), B = Dense(2K)(p), q/k interleaved in p."""
    torch.manual_seed(0)
    d, K, T = 8, 3, 6
    head = EfficientGlobalPointer(hidden=10, num_types=K, head_size=d).double()
    h = torch.randn(1, T, 10, dtype=torch.float64)
    logits = head(h, torch.ones(1, T, dtype=torch.bool))[0]  # (K, T, T)
    p = head.proj(h)[0]  # (T, 2d)
    B = head.bias(p)  # (T, 2K)
    cos, sin = (x.double() for x in rope_angles(T, d))
    q, k = apply_rope(p[:, 0::2], cos, sin), apply_rope(p[:, 1::2], cos, sin)
    for alpha in range(K):
        for i in range(T):
            for j in range(i, T):
                expected = q[i] @ k[j] / math.sqrt(d) + 0.5 * (B[i, 2 * alpha + 1] + B[j, 2 * alpha])
                torch.testing.assert_close(logits[alpha, i, j], expected)


def test_globalpointer_has_separate_queries_and_keys_per_type():
    head = GlobalPointer(hidden=10, num_types=4, head_size=8)
    assert head.proj.weight.shape == (4 * 2 * 8, 10)
    egp = EfficientGlobalPointer(hidden=10, num_types=4, head_size=8)
    assert sum(p.numel() for p in egp.parameters()) < sum(p.numel() for p in head.parameters())
