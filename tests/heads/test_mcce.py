"""Multilabel categorical cross-entropy: sparse == dense, the closed form, finite in fp16/bf16."""

from __future__ import annotations

import pytest
import torch

from spanlab.heads.mcce import mcce_dense, mcce_sparse


def _random_problem(n=6, m=30, p=5, seed=0, dtype=torch.float64, masked=0):
    """Scores, padded positive indices, dense targets; the last `masked` cells are never positive."""
    g = torch.Generator().manual_seed(seed)
    logits = (torch.randn(n, m, generator=g) * 3).to(dtype)
    index = torch.full((n, p), -1, dtype=torch.long)
    dense = torch.zeros(n, m)
    for r in range(n):
        count = r % (p + 1)  # 0 … p positives per row, so padding and empty rows occur
        cells = torch.randperm(m - masked, generator=g)[:count]
        index[r, :count] = cells
        dense[r, cells] = 1
    return logits, index, dense


def test_sparse_equals_dense():
    logits, index, dense = _random_problem()
    torch.testing.assert_close(mcce_sparse(logits, index), mcce_dense(logits, dense))


def test_sparse_equals_dense_gradients():
    logits, index, dense = _random_problem(seed=1)
    a, b = logits.clone().requires_grad_(), logits.clone().requires_grad_()
    mcce_sparse(a, index).sum().backward()
    mcce_dense(b, dense).sum().backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_closed_form():
    logits = torch.tensor([[2.0, -1.0, 0.5]], dtype=torch.float64)
    targets = torch.tensor([[1, 0, 0]])
    expected = torch.log(1 + torch.exp(torch.tensor(-1.0)) + torch.exp(torch.tensor(0.5))) + torch.log(
        1 + torch.exp(torch.tensor(-2.0)))
    torch.testing.assert_close(mcce_dense(logits, targets)[0], expected.double())


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_masked_scores_stay_finite_in_half_precision(dtype):
    logits, index, dense = _random_problem(dtype=torch.float32, masked=10)
    logits[:, -10:] = torch.finfo(dtype).min  # masked cells, as the heads write them
    half = logits.to(dtype).requires_grad_()
    for loss in (mcce_dense(half, dense), mcce_sparse(half, index)):
        assert torch.isfinite(loss).all()
        grad, = torch.autograd.grad(loss.sum(), half)
        assert torch.isfinite(grad).all()
    # and the masked cells do not change the loss (they are "certainly negative")
    torch.testing.assert_close(
        mcce_dense(half.detach().float(), dense), mcce_dense(logits[:, :-10], dense[:, :-10]), atol=2e-2, rtol=2e-2,
    )
