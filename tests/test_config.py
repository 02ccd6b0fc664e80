"""The run config: typed, closed, fully read; every shipped YAML validates."""

from __future__ import annotations

import ast
import re
import dataclasses
from pathlib import Path

import pytest

from spanlab.config import (
    DataConfig,
    EvalConfig,
    LossConfig,
    LongPositionsConfig,
    ModelConfig,
    NegativesConfig,
    RunConfig,
    TrainConfig,
    WindowConfig,
    load_config,
    save_config,
)
from spanlab.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "spanlab"
SECTIONS = [ModelConfig, LongPositionsConfig, WindowConfig, NegativesConfig, DataConfig, LossConfig, TrainConfig, EvalConfig, RunConfig]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load():
    cfg = load_config()
    assert cfg == RunConfig()
    assert cfg.model.max_width == ModelConfig.max_width
    assert cfg.data.negatives == NegativesConfig()


def test_yaml_then_overrides(tmp_path):
    path = write(
        tmp_path,
        "model:\n  max_width: 5\n  encoder: enc\n"
        "data:\n  train: one.jsonl\n  negatives:\n    count: ratio\n"
        "train:\n  steps: 7\n",
    )
    cfg = load_config(path, ["train.steps=9", "--eval.threshold=0.3", "data.negatives.max_ratio=2"])
    assert cfg.model.max_width == 5 and cfg.model.encoder == "enc"
    assert cfg.data.train == ["one.jsonl"]  # a single string becomes a list
    assert cfg.data.negatives.count == "ratio" and cfg.data.negatives.max_ratio == 2
    assert cfg.train.steps == 9  # the override wins over the file
    assert cfg.eval.threshold == 0.3
    assert cfg.train.batch_size == TrainConfig.batch_size  # untouched keys keep their defaults


def test_saved_config_loads_back(tmp_path):
    cfg = load_config(overrides=["train.steps=11", "data.train=[a.jsonl, b.jsonl]", "eval.max_sentences=null"])
    save_config(cfg, tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == cfg


def test_unknown_key_names_the_nearest(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "model:\n  max_widht: 3\n"))
    text = str(err.value)
    assert "max_widht" in text and "did you mean" in text and "max_width" in text
    assert str(tmp_path / "run.yaml") in text

    with pytest.raises(ConfigError, match="did you mean.*steps"):
        load_config(overrides=["train.stepz=3"])
    with pytest.raises(ConfigError, match="trian"):  # an unknown section too
        load_config(overrides=["trian.steps=3"])


def test_all_errors_reported_at_once(tmp_path):
    path = write(tmp_path, "model:\n  max_widht: 3\n  dropout: high\ntrain:\n  stepz: 1\n  seed: 1.5\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    for key in ("model.max_widht", "model.dropout", "train.stepz", "train.seed"):
        assert key in text, key


@pytest.mark.parametrize(
    "override, key",
    [
        ("train.steps=ten", "train.steps"),
        ("train.steps=1.5", "train.steps"),
        ("train.steps=true", "train.steps"),  # a bool is not an integer
        ("model.dropout=[0.1]", "model.dropout"),
        ("eval.lowercase=1", "eval.lowercase"),
        ("model.encoder=3", "model.encoder"),
        ("train.scheduler=cosinus", "train.scheduler"),  # not one of the Literal's values
        ("data.train=3", "data.train"),
        ("data.train=[a.jsonl, 3]", "data.train[1]"),
        ("data.negatives=3", "data.negatives"),  # a section given a scalar
    ],
)
def test_wrong_types_are_errors(override, key):
    with pytest.raises(ConfigError, match=re.escape(key)):
        load_config(overrides=[override])


def test_float_strings_are_coerced(tmp_path):
    # YAML 1.1 (PyYAML) reads `1e-5` (no dot) as a string.
    cfg = load_config(write(tmp_path, "train:\n  lr_encoder: 1e-5\n  lr_others: 3\n"), ["eval.threshold=5e-1"])
    assert cfg.train.lr_encoder == 1e-5 and isinstance(cfg.train.lr_encoder, float)
    assert cfg.train.lr_others == 3.0 and isinstance(cfg.train.lr_others, float)
    assert cfg.eval.threshold == 0.5


def test_optional_fields_take_null():
    cfg = load_config(overrides=["train.threads=null", "data.max_records=4"])
    assert cfg.train.threads is None and cfg.data.max_records == 4


def test_bad_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(write(tmp_path, "model: [unclosed\n"))
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ConfigError, match="no '='"):
        load_config(overrides=["train.steps"])


# Run configs; configs/search/ holds search spaces, which tests/search validates.
SHIPPED = sorted(p for p in (ROOT / "configs").rglob("*.y*ml") if "search" not in p.relative_to(ROOT).parts)


@pytest.mark.parametrize("path", SHIPPED or [None], ids=lambda p: str(p.relative_to(ROOT)) if p else "none")
def test_shipped_configs_validate(path):
    if path is None:
        pytest.skip("no YAML under configs/ yet")
    load_config(path)


def _attributes_read(root: Path) -> set[str]:
    """Every `x.name` attribute access in the package's source."""
    names: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
    return names


def test_every_config_field_is_read():
    """A key nothing reads is a promise the code does not keep (GLiNER's `random_drop`)."""
    read = _attributes_read(SRC)
    unread = [
        f"{cls.__name__}.{f.name}"
        for cls in SECTIONS
        for f in dataclasses.fields(cls)
        if f.name not in read
    ]
    assert not unread, f"config fields read nowhere in src/spanlab: {unread}"


def test_long_document_sections_parse_and_check_types():
    cfg = load_config(overrides=["model.long_positions={method: hdpe, alpha: 0.3, max_positions: 2048}",
                                 "model.windows.overlap=32"])
    assert cfg.model.long_positions == LongPositionsConfig("hdpe", 0.3, 2048, False)
    assert cfg.model.windows == WindowConfig(enabled=True, overlap=32)
    with pytest.raises(ConfigError, match="model.long_positions.method"):
        load_config(overrides=["model.long_positions.method=rope"])
