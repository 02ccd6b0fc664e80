"""Model weights on disk: one safetensors file, written atomically, read without unpickling."""

from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file, save_file
from torch import nn

from spanlab.errors import ModelLoadError

WEIGHTS_NAME = "model.safetensors"


def save_weights(model: nn.Module, folder: str | Path) -> None:
    """Write `folder/model.safetensors` through a temp file, so a crash leaves the old weights usable."""
    tmp = Path(folder) / f".{WEIGHTS_NAME}.tmp"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp), metadata={"format": "pt"})
    tmp.replace(Path(folder) / WEIGHTS_NAME)


def load_weights(model: nn.Module, folder: str | Path) -> None:
    """Fill `model` from `folder/model.safetensors`; every tensor must fit the model's architecture."""
    weights = Path(folder) / WEIGHTS_NAME
    if not weights.is_file():
        raise ModelLoadError(f"{weights}: not found", fix="spanlab reads safetensors weights only (no pickles)")
    missing, unexpected = model.load_state_dict(load_file(str(weights)), strict=False)
    if missing or unexpected:
        raise ModelLoadError(
            f"{weights}: weights do not fit the config (missing {missing[:5]}, unexpected {unexpected[:5]})"
        )
