"""Fixtures for the fixed-label models: a tiny EGP over the tiny random encoder."""

from __future__ import annotations

import pytest

from spanlab.config import ModelConfig
from spanlab.supervised.model import FixedLabelModel

LABELS = ["city", "person"]


@pytest.fixture
def make_model(tiny_encoder_dir):
    def make(head: str = "egp") -> FixedLabelModel:
        cfg = ModelConfig(head=head, encoder=str(tiny_encoder_dir), head_size=8, dropout=0.0, max_len=32)
        return FixedLabelModel.from_encoder(cfg, LABELS)

    return make
