"""Checkpoints whose pickles would run code are refused with a clear message, and nothing runs."""

from __future__ import annotations

import os
import shutil

import torch
from tinyrun import write_config, write_encoder
from typer.testing import CliRunner

from spanlab.cli import app
from spanlab.config import ModelConfig, load_config
from spanlab.errors import ModelLoadError
from spanlab.model import SpanModel
from spanlab.training.recipe import train


class Payload:
    """Unpickling this runs a shell command that creates `marker`."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_model_folder_with_a_pickle_instead_of_safetensors(tmp_path):
    encoder = write_encoder(tmp_path / "encoder")
    model_dir = tmp_path / "model"
    SpanModel.from_encoder(ModelConfig(encoder=str(encoder), hidden_size=32)).save_pretrained(model_dir)
    (model_dir / "model.safetensors").unlink()
    marker = tmp_path / "pwned"
    torch.save(Payload(marker), model_dir / "pytorch_model.bin")

    result = CliRunner().invoke(app, ["predict", str(model_dir), "--labels", "person", "Ann lives in Oslo."])

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "model.safetensors: not found" in result.output.replace("\n", "")
    assert "no pickles" in result.output.replace("\n", "")
    assert not marker.exists()


def test_resume_refuses_a_checkpoint_whose_optimizer_pickle_runs_code(tmp_path):
    run = tmp_path / "run"
    config = load_config(write_config(tmp_path, write_encoder(tmp_path / "encoder"), run, steps=10, eval_steps=5))
    train(config)
    shutil.rmtree(run / "checkpoint-10")
    marker = tmp_path / "pwned"
    torch.save({"state": Payload(marker)}, run / "checkpoint-5" / "optimizer.pt")

    try:
        train(config, resume=True)
    except ModelLoadError as e:
        message = str(e)
    else:
        raise AssertionError("the malicious checkpoint was loaded")

    assert message.startswith(f"{run / 'checkpoint-5'}: refused to load a checkpoint file")
    assert "which unpickling would run as code" in message and "posix.system" in message
    assert not marker.exists()
