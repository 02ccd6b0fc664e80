"""Uncertainty of a corpus F1: sentence-level bootstrap CIs, and spread over runs.

Micro F1 is not a mean over sentences, so the bootstrap resamples whole sentences (with
replacement), sums their tp/fp/fn and recomputes F1 from the totals. Resampling is done
as multinomial counts: a resample is a vector of how often each sentence was drawn, and
counts @ per_sentence gives its totals in one matrix product.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from spanlab.errors import SpanlabError

# Resamples are drawn in chunks so that one chunk's (r, n) count matrix stays ~32 MB.
_MAX_CELLS = 4_000_000


def bootstrap_f1_ci(
    per_sentence: np.ndarray, n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of micro F1 from per-sentence (tp, fp, fn) rows.

    per_sentence: (n, 3) ints, e.g. `score(...).per_sentence`. Returns (low, high) at the
    given two-sided level; (0.0, 0.0) when there are no sentences. Deterministic for a seed.
    """
    per_sentence = np.asarray(per_sentence)
    if per_sentence.ndim != 2 or per_sentence.shape[1] != 3:
        raise SpanlabError(
            f"found per_sentence of shape {per_sentence.shape}; expected (n, 3) rows of tp, fp, fn",
            fix="pass `score(gold, pred).per_sentence`",
        )
    if not 0.0 < level < 1.0 or n_resamples < 1:
        raise SpanlabError(
            f"found level={level}, n_resamples={n_resamples}; expected 0 < level < 1 and n_resamples >= 1",
            fix="use e.g. level=0.95, n_resamples=1000",
        )
    n = per_sentence.shape[0]
    if n == 0:
        return (0.0, 0.0)
    rows = per_sentence.astype(np.float64)  # (n, 3); float so the product below uses BLAS, exact below 2**53
    rng = np.random.default_rng(seed)
    uniform = np.full(n, 1.0 / n)
    chunk = max(1, _MAX_CELLS // n)
    totals = []
    for start in range(0, n_resamples, chunk):
        r = min(chunk, n_resamples - start)
        draws = rng.multinomial(n, uniform, size=r)  # (r, n): times each sentence was drawn
        totals.append(draws @ rows)  # (r, 3): tp, fp, fn of each resample
    tp, fp, fn = np.concatenate(totals).T  # each (R,)
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(denom), where=denom > 0)  # (R,)
    alpha = (1.0 - level) / 2
    low, high = np.quantile(f1, [alpha, 1.0 - alpha])
    return (float(low), float(high))


def spread(values: Iterable[float]) -> dict[str, float]:
    """Mean, sample std (ddof=1; 0.0 for a single value), min and max, e.g. of F1 over seeds
    or label orders."""
    v = np.asarray(list(values), dtype=np.float64)
    if v.size == 0:
        raise SpanlabError("found no values; expected at least one", fix="pass the scores of one or more runs")
    std = float(v.std(ddof=1)) if v.size > 1 else 0.0
    return {"mean": float(v.mean()), "std": std, "min": float(v.min()), "max": float(v.max())}
