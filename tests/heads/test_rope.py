"""RoPE: rotated dot products depend on positions only through their difference; norms are kept."""

from __future__ import annotations

import torch

from spanlab.heads.rope import apply_rope, rope_angles


def test_score_depends_only_on_relative_position():
    torch.manual_seed(0)
    d, T = 16, 40
    q, k = torch.randn(d, dtype=torch.float64), torch.randn(d, dtype=torch.float64)
    cos, sin = (x.double() for x in rope_angles(T, d))
    rq = apply_rope(q.expand(T, d), cos, sin)  # (T, d): q placed at every position
    rk = apply_rope(k.expand(T, d), cos, sin)
    scores = rq @ rk.T  # (T, T): s[i, j] = (R_i q)·(R_j k)
    for offset in (-7, 0, 3, 12):
        diagonal = torch.diagonal(scores, offset=offset)
        # angles are computed in float32 (as in the heads): equal up to float32 rounding of t·θ
        torch.testing.assert_close(diagonal, diagonal[:1].expand_as(diagonal), atol=1e-5, rtol=1e-5)
    # and it does depend on the offset (the encoding is not a no-op)
    assert not torch.allclose(torch.diagonal(scores, 0)[0], torch.diagonal(scores, 5)[0])


def test_rotation_keeps_norms_and_position_zero():
    x = torch.randn(3, 10, 8, dtype=torch.float64)
    cos, sin = (a.double() for a in rope_angles(10, 8))
    y = apply_rope(x, cos, sin)
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    torch.testing.assert_close(y[:, 0], x[:, 0])  # angle 0 at position 0
