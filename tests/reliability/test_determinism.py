"""Same config, same seed, CPU: bit-identical metrics files and weights; `train.deterministic` is read."""

from __future__ import annotations

import os

import torch
from tinyrun import differences, write_config, write_encoder

from spanlab.config import load_config
from spanlab.training.recipe import train, training_arguments


def test_two_runs_write_identical_metrics(tmp_path):
    encoder = write_encoder(tmp_path / "encoder")
    runs = [tmp_path / "first", tmp_path / "second"]
    for run in runs:
        train(load_config(write_config(tmp_path, encoder, run, steps=20, eval_steps=10)))
    assert differences(*runs) == []
    # Wall-clock values live apart from the metrics, in timings.jsonl.
    assert "time" not in (runs[0] / "metrics.jsonl").read_text()
    assert "train_runtime" in (runs[0] / "timings.jsonl").read_text()


def test_deterministic_key_switches_on_deterministic_kernels(tmp_path):
    cfg = load_config(None, ["train.deterministic=true"])
    assert training_arguments(cfg, with_eval=False).full_determinism
    assert not training_arguments(load_config(), with_eval=False).full_determinism
    environ = dict(os.environ)
    try:
        encoder = write_encoder(tmp_path / "encoder")
        train(load_config(write_config(tmp_path, encoder, tmp_path / "run", steps=2, eval_steps=2, deterministic=True)))
        assert torch.are_deterministic_algorithms_enabled()
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"  # what transformers' enable_full_determinism sets
    finally:  # the switch is process-wide: leave the next tests as they were
        torch.use_deterministic_algorithms(False)
        os.environ.clear()
        os.environ.update(environ)
