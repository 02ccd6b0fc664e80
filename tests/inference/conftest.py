"""The tiny model's ONNX export, shared by the inference tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_onnx_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """`tiny_model_dir` exported to ONNX, fp32 and int8."""
    from spanlab.inference.onnx_export import export_onnx

    folder = tmp_path_factory.mktemp("tiny-onnx")
    export_onnx(tiny_model_dir, folder, int8=True)
    return folder
