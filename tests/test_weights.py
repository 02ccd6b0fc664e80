"""Weights on disk: round trip, and clear errors when a file does not fit the model."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from spanlab.errors import ModelLoadError
from spanlab.weights import WEIGHTS_NAME, load_weights, save_weights


def small() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3))


def test_round_trip_restores_every_tensor(tmp_path):
    torch.manual_seed(0)
    saved = small()
    save_weights(saved, tmp_path)
    loaded = small()
    load_weights(loaded, tmp_path)
    for name, tensor in saved.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], tensor, rtol=0, atol=0)


def test_missing_and_unexpected_tensors_are_named(tmp_path):
    save_file({"0.weight": torch.zeros(3, 4), "extra": torch.zeros(1)}, str(tmp_path / WEIGHTS_NAME))
    with pytest.raises(ModelLoadError, match=r"missing \['0.bias'.*unexpected \['extra'\]"):
        load_weights(small(), tmp_path)


def test_a_tensor_of_the_wrong_shape_is_named(tmp_path):
    state = {k: torch.ones_like(v) for k, v in small().state_dict().items()}
    state["0.weight"] = torch.ones(5, 4)
    save_file(state, str(tmp_path / WEIGHTS_NAME))
    with pytest.raises(ModelLoadError, match=r"0.weight has shape \(5, 4\).*\(3, 4\)"):
        load_weights(small(), tmp_path)


def test_no_weights_file_says_safetensors_only(tmp_path):
    with pytest.raises(ModelLoadError, match="safetensors"):
        load_weights(small(), tmp_path)
