"""`spanlab quickstart` end to end on the tiny random encoder: data, a few steps, table, prediction."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from spanlab.cli import app
from spanlab.cli.quickstart import as_overrides, quickstart_settings
from spanlab.config import load_config

runner = CliRunner()


def test_quickstart_settings_are_a_valid_config(tmp_path):
    cfg = load_config(None, as_overrides(quickstart_settings(tmp_path / "a: b", 300, 2, "default")))
    assert cfg.train.output_dir == str(tmp_path / "a: b")  # a path with ": " survives the override syntax
    assert (cfg.train.steps, cfg.train.eval_steps, cfg.train.threads) == (300, 300, 2)
    assert cfg.train.lr_encoder == 2e-4 and cfg.eval.bootstrap == 200


def test_quickstart_runs_on_the_tiny_encoder(tiny_encoder_dir, tmp_path):
    out = tmp_path / "qs"
    args = [
        "quickstart", "--out", str(out), "--steps", "4", "--threads", "1", "--encoder", str(tiny_encoder_dir),
        "--labels", "person,city", "--text", "Alice flew to Lisbon.",
        "--set", "model.hidden_size=32", "--set", "eval.max_sentences=20", "--set", "eval.bootstrap=10",
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "model" / "model.safetensors").is_file() and (out / "model" / "config.json").is_file()
    assert {p.name for p in (out / "data").iterdir()} == {"train.jsonl", "dev-seen.jsonl", "dev-unseen.jsonl"}
    assert "Quickstart F1" in result.output and "dev-unseen" in result.output and "average" in result.output
    assert "Alice flew to Lisbon." in result.output
    assert "spanlab predict" in result.output
    report = json.loads((out / "eval" / "eval.json").read_text(encoding="utf-8"))
    assert set(report["f1"]) == {"dev-seen", "dev-unseen"}
    assert json.loads((out / "train_summary.json").read_text(encoding="utf-8"))["steps"] == 4


def test_quickstart_bad_labels_fail_before_training(tmp_path):
    result = runner.invoke(app, ["quickstart", "--out", str(tmp_path / "qs"), "--labels", " , "])
    assert result.exit_code == 2
    assert "expected at least one label" in result.output
    assert not (tmp_path / "qs").exists()


def test_quickstart_help():
    result = runner.invoke(app, ["quickstart", "--help"])
    assert result.exit_code == 0 and "--steps" in result.output
