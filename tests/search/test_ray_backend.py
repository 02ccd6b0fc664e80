"""A small Ray Tune run on CPU: same space file, ASHA, a summary the report can read."""

from __future__ import annotations

import pytest

from spanlab.search.report import write_report
from spanlab.search.tune import tune

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'spanlab[ray]'")


@pytest.mark.slow  # starting a local Ray takes ~10 s
def test_ray_run_on_cpu(tiny_base, make_space, tmp_path):
    space = make_space(
        {"train.lr_others": {"loguniform": [1e-4, 1e-2]}, "train.loss.alpha": {"grid": [0.5, 0.75]}},
        {"pruner": "asha", "budget": {"trials": 1}, "stages": {"enabled": False}, "price_per_hour": 1.0},
    )
    try:
        summary = tune(tiny_base, space, tmp_path / "study", backend="ray", workers=2, resources={"cpu": 1})
    finally:
        ray.shutdown()
    assert summary["backend"] == "ray"
    rows = summary["trials"]
    assert len(rows) == 2  # the grid over alpha × 1 sample
    assert sorted(r["overrides"]["train.loss.alpha"] for r in rows) == [0.5, 0.75]
    for r in rows:
        assert r["steps"] > 0 and r["value"] is not None and r["device_seconds"] > 0
        assert sorted(r["curve"]) == list(range(4, r["steps"] + 1, 4))
    # Ray kept checkpoints of the trials.
    assert list((tmp_path / "study" / "ray" / "study").rglob("checkpoint_*"))
    page = write_report(tmp_path / "study")
    assert (page.parent / "learning-curves.png").is_file()
