"""Threshold calibration: sweep on dev, plot, store the threshold in the model, verdict at 0.5."""

from __future__ import annotations

import json

import torch

from spanlab.config import ModelConfig
from spanlab.model import SpanModel
from spanlab.search.calibrate import calibrate, verdict


def test_calibrate_stores_the_best_threshold(tiny_encoder_dir, tiny_corpus, tmp_path):
    torch.manual_seed(0)
    model = SpanModel.from_encoder(ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32, max_width=4, dropout=0.0))
    model.save_pretrained(tmp_path / "model")
    # An untrained model scores every candidate near 0.5, so the F1 curve is not flat around it.
    thresholds = (0.3, 0.45, 0.48, 0.52, 0.55, 0.7)
    result = calibrate(tmp_path / "model", [str(tiny_corpus.suite)], tmp_path / "cal", thresholds=thresholds)

    assert [row["threshold"] for row in result["curve"]] == [0.3, 0.45, 0.48, 0.5, 0.52, 0.55, 0.7]
    best = max(result["curve"], key=lambda row: row["f1"])
    assert result["f1"] == best["f1"] and result["threshold"] in thresholds + (0.5,)
    assert (tmp_path / "cal" / "calibration.png").stat().st_size > 1000
    assert json.loads((tmp_path / "cal" / "calibration.json").read_text())["threshold"] == result["threshold"]
    assert SpanModel.from_pretrained(tmp_path / "model").threshold == result["threshold"]


def test_verdict_names_the_direction():
    assert verdict(0.3, 0.05, 0.005).startswith("too conservative at 0.5")
    assert verdict(0.7, 0.05, 0.005).startswith("too aggressive at 0.5")
    assert verdict(0.3, 0.001, 0.005).startswith("well calibrated")
