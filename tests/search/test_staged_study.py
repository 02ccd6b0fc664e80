"""A whole staged study on the tiny encoder: stages, budget, cache, verify seeds, cost, report."""

from __future__ import annotations

import pytest

from spanlab.search.report import write_report
from spanlab.search.tune import tune


def test_staged_study_spends_its_budget_and_reports(tiny_base, make_space, tmp_path):
    space = make_space(
        {"train.lr_others": {"loguniform": [1e-4, 1e-2]}, "train.loss.alpha": {"choice": [0.5, 0.75]}},
        {"sampler": "random", "pruner": "asha", "min_resource": 4, "budget": {"trials": 6},
         "stages": {"explore": 0.5, "focus": 0.2, "verify": 0.3, "top_k": 1, "seeds": [0, 1]}, "price_per_hour": 3.6},
    )
    summary = tune(tiny_base, space, tmp_path / "study")
    stages = summary["stages"]
    assert list(stages) == ["explore", "focus", "verify"]
    assert stages["explore"]["trials"] == 3  # 50% of 6 trials
    # Verify: the best configuration once per seed; seed 0 is the search trial itself, from the cache.
    (row,) = summary["verify"]
    assert row["seeds"] == [0, 1] and stages["verify"]["cached"] == 1
    assert summary["winner"]["mean"] == pytest.approx(sum(row["values"]) / 2)
    # Every trial records steps and device time; cost = device-hours × price.
    for r in summary["trials"]:
        assert r["cost"] == pytest.approx(r["device_seconds"] / 3600 * 3.6)
        assert (r["steps"] > 0) == (not r["cached"])
    assert summary["total"]["cost"] == pytest.approx(sum(s["cost"] for s in stages.values()))
    assert summary["total"]["steps"] == sum(r["steps"] for r in summary["trials"])
    # Each trial folder holds its resolved config and metrics.
    trial_dir = tmp_path / "study" / summary["trials"][0]["trial_dir"]
    assert (trial_dir / "config.yaml").is_file() and (trial_dir / "metrics.jsonl").is_file()

    page = write_report(tmp_path / "study")
    html = page.read_text()
    # explore only screens (no trial completes there); focus trains to the end
    for png in ("focus-optimisation-history.png", "focus-parallel-coordinates.png", "learning-curves.png",
                "cost-per-stage.png"):
        assert (page.parent / png).stat().st_size > 1000, png
        assert png in html
    assert "Verify: seeds" in html

    # Rerunning the finished study trains nothing more.
    again = tune(tiny_base, space, tmp_path / "study")
    assert again["total"] == summary["total"]
