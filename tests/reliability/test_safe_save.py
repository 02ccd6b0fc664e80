"""A checkpoint save that fails (disk full) is a clear error, and the previous checkpoint stays usable."""

from __future__ import annotations

import errno

import pytest
import safetensors.torch
import torch
from tinyrun import write_config, write_encoder
from typer.testing import CliRunner

from spanlab.cli import app
from spanlab.config import load_config
from spanlab.model import SpanModel
from spanlab.training.checkpoints import MARKER
from spanlab.training.recipe import train


def fail_on_second_save(real, name: str, error: Exception):
    """`real` (a save function taking (obj, path)) that raises `error` the second time it writes a file `name`."""
    calls = []

    def write(obj, path, *args, **kwargs):
        if str(path).endswith(name):
            calls.append(path)
        if len(calls) == 2:
            raise error
        return real(obj, path, *args, **kwargs)

    return write


@pytest.mark.parametrize("what", ["weights: ENOSPC", "optimizer: torch.save error"])
def test_disk_full_while_saving_a_checkpoint(what, tmp_path, monkeypatch):
    run = tmp_path / "run"
    config = write_config(tmp_path, write_encoder(tmp_path / "encoder"), run, steps=35, eval_steps=15)
    if what.startswith("weights"):
        error = OSError(errno.ENOSPC, "No space left on device", str(run / "checkpoint-30" / "model.safetensors"))
        monkeypatch.setattr(safetensors.torch, "save_file", fail_on_second_save(safetensors.torch.save_file, "model.safetensors", error))
    else:
        error = RuntimeError("[enforce fail at inline_container.cc:672] . PytorchStreamWriter failed writing file")
        monkeypatch.setattr(torch, "save", fail_on_second_save(torch.save, "optimizer.pt", error))
    previous = run / "checkpoint-15"

    result = CliRunner().invoke(app, ["train", str(config)])

    output = result.output.replace("\n", "")
    assert result.exit_code == 2 and not isinstance(result.exception, type(error)), output[-2000:]
    assert f"could not write checkpoint {run / 'checkpoint-30'}" in output
    assert f"the last complete checkpoint is {previous} (left untouched)" in output
    assert "rerun with --resume" in output and "Traceback" not in output
    # The previous checkpoint is complete and loadable; the half-written one is not marked complete.
    assert (previous / MARKER).is_file() and not (run / "checkpoint-30" / MARKER).exists()
    SpanModel.from_pretrained(previous)

    monkeypatch.undo()  # space freed: --resume finishes the run from checkpoint-15
    train(load_config(config), resume=True)
    assert (run / "checkpoint-35" / MARKER).is_file() and (run / "model" / "model.safetensors").is_file()
