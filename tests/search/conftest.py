"""A tiny base config and space file for study tests (tiny random encoder, a few steps per trial)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


def write_base(tmp_path: Path, encoder_dir: Path, corpus, steps: int = 8, eval_steps: int = 4) -> Path:
    cfg = {
        "model": {"encoder": str(encoder_dir), "hidden_size": 32, "max_width": 4, "dropout": 0.0, "max_types": 5,
                  "max_len": 32},
        "data": {"train": [str(corpus.train)], "negatives": {"source": "batch", "count": "ratio"}},
        "train": {"output_dir": str(tmp_path / "unused"), "steps": steps, "batch_size": 8, "lr_encoder": 2e-3,
                  "lr_others": 2e-3, "scheduler": "constant_with_warmup", "warmup_ratio": 0, "eval_steps": eval_steps,
                  "save_total_limit": None, "logging_steps": 4, "threads": 1},
        "eval": {"suite": [str(corpus.suite)], "bootstrap": 0},
    }
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def write_space(tmp_path: Path, space: dict, search: dict, name: str = "space.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"space": space, "search": search}), encoding="utf-8")
    return path


@pytest.fixture
def tiny_base(tmp_path, tiny_encoder_dir, tiny_corpus) -> Path:
    return write_base(tmp_path, tiny_encoder_dir, tiny_corpus)


@pytest.fixture
def make_space(tmp_path):
    """make_space(space, search, name="space.yaml") → path of a space file."""
    return lambda space, search, name="space.yaml": write_space(tmp_path, space, search, name)


@pytest.fixture
def make_base(tmp_path, tiny_encoder_dir, tiny_corpus):
    """make_base(steps=..., eval_steps=...) → path of a base config on the tiny encoder and corpus."""
    return lambda **kw: write_base(tmp_path, tiny_encoder_dir, tiny_corpus, **kw)


def pytest_collection_modifyitems(items):
    # Optuna marks heartbeats, retries and its matplotlib plots experimental; the search relies on them.
    for item in items:
        if "tests/search/" in str(item.fspath):
            item.add_marker(pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"))
