"""Model weights on disk: one safetensors file, written atomically, read without unpickling."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from spanlab.errors import ModelLoadError

WEIGHTS_NAME = "model.safetensors"


def save_weights(model: nn.Module, folder: str | Path) -> None:
    """Write `folder/model.safetensors` through a temp file, so a crash leaves the old weights usable."""
    tmp = Path(folder) / f".{WEIGHTS_NAME}.tmp"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp), metadata={"format": "pt"})
    tmp.replace(Path(folder) / WEIGHTS_NAME)


def load_weights(model: nn.Module, folder: str | Path) -> None:
    """Fill `model` from `folder/model.safetensors`; every tensor must fit the model's architecture.

    Tensor by tensor out of the memory-mapped file, so no second state dict of the whole model
    is built (the file's pages still count in RSS while it is open).
    """
    weights = Path(folder) / WEIGHTS_NAME
    if not weights.is_file():
        raise ModelLoadError(f"{weights}: not found", fix="spanlab reads safetensors weights only (no pickles)")
    targets = model.state_dict()  # tensors sharing the model's storage
    with safe_open(str(weights), framework="pt") as stored, torch.no_grad():
        names = set(stored.keys())
        missing, unexpected = sorted(set(targets) - names), sorted(names - set(targets))
        if missing or unexpected:
            raise ModelLoadError(
                f"{weights}: weights do not fit the config (missing {missing[:5]}, unexpected {unexpected[:5]})"
            )
        for name in sorted(names):
            tensor = stored.get_tensor(name)
            if tensor.shape != targets[name].shape:
                raise ModelLoadError(
                    f"{weights}: tensor {name} has shape {tuple(tensor.shape)}; the config makes it "
                    f"{tuple(targets[name].shape)}"
                )
            targets[name].copy_(tensor)
