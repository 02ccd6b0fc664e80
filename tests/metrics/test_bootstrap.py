"""Bootstrap CIs: coverage of the point value, narrowing, determinism, degenerate inputs."""

import numpy as np
import pytest

from spanlab.errors import SpanlabError
from spanlab.metrics.bootstrap import bootstrap_f1_ci, spread
from spanlab.metrics.f1 import Counts


def _corpus(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4, size=(n, 3))  # (n, 3) tp, fp, fn


def _point(per_sentence):
    return Counts(*(int(x) for x in per_sentence.sum(axis=0))).f1


def test_ci_contains_point_estimate():
    rows = _corpus(200)
    low, high = bootstrap_f1_ci(rows)
    assert 0.0 <= low < _point(rows) < high <= 1.0


def test_ci_narrows_with_more_sentences():
    rows = _corpus(50)
    low, high = bootstrap_f1_ci(rows)
    low10, high10 = bootstrap_f1_ci(np.tile(rows, (10, 1)))  # same F1, ten times the data
    assert high10 - low10 < (high - low) / 2


def test_ci_is_deterministic_for_a_seed():
    rows = _corpus(100)
    assert bootstrap_f1_ci(rows, seed=3) == bootstrap_f1_ci(rows, seed=3)
    assert bootstrap_f1_ci(rows, seed=3) != bootstrap_f1_ci(rows, seed=4)


def test_identical_sentences_give_the_point_value():
    rows = np.tile([[2, 1, 1]], (30, 1))
    f1 = _point(rows)
    assert bootstrap_f1_ci(rows) == (f1, f1)


def test_matches_a_naive_loop_bootstrap():
    rows = _corpus(80, seed=1)
    rng = np.random.default_rng(1)
    naive = [_point(rows[rng.integers(0, len(rows), len(rows))]) for _ in range(2000)]
    low, high = bootstrap_f1_ci(rows, n_resamples=2000)
    assert low == pytest.approx(np.quantile(naive, 0.025), abs=0.02)
    assert high == pytest.approx(np.quantile(naive, 0.975), abs=0.02)


def test_degenerate_and_bad_inputs():
    assert bootstrap_f1_ci(np.zeros((0, 3), dtype=int)) == (0.0, 0.0)
    assert bootstrap_f1_ci(np.zeros((5, 3), dtype=int)) == (0.0, 0.0)
    with pytest.raises(SpanlabError, match="expected \\(n, 3\\)"):
        bootstrap_f1_ci(np.zeros((4, 2)))
    with pytest.raises(SpanlabError, match="0 < level < 1"):
        bootstrap_f1_ci(_corpus(5), level=95)


def test_spread():
    assert spread([1.0, 2.0, 3.0, 4.0]) == {
        "mean": 2.5,
        "std": pytest.approx(np.sqrt(5 / 3)),
        "min": 1.0,
        "max": 4.0,
    }
    assert spread([0.7]) == {"mean": 0.7, "std": 0.0, "min": 0.7, "max": 0.7}
    with pytest.raises(SpanlabError, match="no values"):
        spread([])
