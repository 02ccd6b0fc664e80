"""Space files: every kind parses; unknown keys, bad ranges and bad values are all reported at once."""

from __future__ import annotations

import pytest

from spanlab.errors import ConfigError
from spanlab.search.settings import parse_search
from spanlab.search.space import Param, overrides_from, parse_space, read_space_file


def test_every_kind_parses_against_the_config():
    params = parse_space({
        "train.lr_encoder": {"loguniform": ["1e-5", 1e-3]},  # YAML 1.1 reads 1e-5 as a string
        "model.dropout": {"uniform": [0.0, 0.5]},
        "model.lstm_layers": {"int": [0, 2]},
        "train.batch_size": {"choice": [4, 8]},
        "train.loss.alpha": {"grid": [0.5, 0.75]},
    })
    assert params == [
        Param("train.lr_encoder", "loguniform", low=1e-5, high=1e-3),
        Param("model.dropout", "uniform", low=0.0, high=0.5),
        Param("model.lstm_layers", "int", low=0, high=2),
        Param("train.batch_size", "choice", values=(4, 8)),
        Param("train.loss.alpha", "grid", values=(0.5, 0.75)),
    ]
    assert overrides_from({"train.loss.alpha": 0.5, "train.scheduler": "linear"}) == [
        "train.loss.alpha=0.5", "train.scheduler=linear"]


def test_all_errors_are_reported_at_once_with_the_file():
    with pytest.raises(ConfigError) as e:
        parse_space({
            "train.lr_encodr": {"loguniform": [1e-5, 1e-3]},
            "model.dropout": {"uniform": [0.5, 0.1]},
            "train.lr_others": {"loguniform": [0, 1e-3]},
            "train.steps": {"uniform": [10, 20]},
            "model.lstm_layers": {"int": [0, 2.5]},
            "train.scheduler": {"choice": ["cosin"]},
            "train.loss": {"choice": [1]},
            "model.max_width": {"range": [1, 3]},
        }, where="space.yaml")
    text = str(e.value)
    assert text.startswith("space.yaml: invalid search space")
    assert "train.lr_encodr: unknown config key under train (did you mean 'train.lr_encoder'?)" in text
    assert "model.dropout.uniform: low must be below high, found [0.5, 0.1]" in text
    assert "train.lr_others.loguniform: bounds must be > 0" in text
    assert "train.steps.uniform: the config field is int; use `choice` or `int`" in text
    assert "model.lstm_layers.int: bounds must be integers" in text
    assert "train.scheduler: value 'cosin' is not valid" in text
    assert "train.loss: is a section" in text
    assert "model.max_width: unknown kind 'range'" in text


def test_space_file_and_search_settings(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("space:\n  model.dropout: {uniform: [0.0, 0.5]}\nsearch:\n  sampler: random\n  budget: {steps: 500}\n")
    params, raw = read_space_file(path)
    s = parse_search(raw, f"{path}:search")
    assert params[0].key == "model.dropout" and s.sampler == "random" and s.budget.unit == "steps"
    assert s.budget.amount == 500 and s.stages.explore == 0.2  # defaults: 20 / 50 / 30

    path.write_text("space: {}\n")
    with pytest.raises(ConfigError, match="non-empty `space:`"):
        read_space_file(path)
    with pytest.raises(ConfigError, match="samplr: unknown key \\(did you mean 'sampler'\\?\\)"):
        parse_search({"samplr": "tpe"}, "x")
    with pytest.raises(ConfigError) as e:
        parse_search({"budget": {"steps": 10, "trials": 2}, "stages": {"explore": 0.5}}, "x")
    assert "exactly one of trials, steps, device_hours" in str(e.value) and "summing to 1" in str(e.value)
