"""`spanlab serve` and `spanlab export` on the command line: help, and readable errors before anything starts."""

from __future__ import annotations

from typer.testing import CliRunner

from spanlab.cli import app

runner = CliRunner()


def test_help_lists_the_options():
    serve = runner.invoke(app, ["serve", "--help"])
    assert serve.exit_code == 0 and "--port" in serve.output and "--backend" in serve.output
    export = runner.invoke(app, ["export", "--help"])
    assert export.exit_code == 0 and "--int8" in export.output and "--check" in export.output


def test_unknown_backend_is_a_readable_error(tiny_model_dir):
    result = runner.invoke(app, ["serve", str(tiny_model_dir), "--backend", "tensorrt"])
    assert result.exit_code == 2 and "expected torch, onnx or onnx-int8" in result.output


def test_onnx_backend_without_export_says_how_to_export(tiny_model_dir):
    result = runner.invoke(app, ["serve", str(tiny_model_dir), "--backend", "onnx"])
    assert result.exit_code == 2 and "spanlab export" in result.output


def test_export_of_a_missing_model_names_the_path(tmp_path):
    result = runner.invoke(app, ["export", str(tmp_path / "nope"), "--onnx", str(tmp_path / "out")])
    assert result.exit_code == 2 and "nope" in result.output
