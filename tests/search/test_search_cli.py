"""`spanlab tune / report / calibrate`: wiring and readable errors (nothing is trained here)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from spanlab.cli import app
from spanlab.search.settings import parse_search
from spanlab.search.space import read_space_file

runner = CliRunner()


@pytest.mark.parametrize("verb", ["tune", "report", "calibrate"])
def test_help(verb):
    result = runner.invoke(app, [verb, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_bad_space_is_a_readable_error(tiny_base, make_space, tmp_path):
    space = make_space({"train.lr_encodr": {"loguniform": [1e-5, 1e-3]}}, {})
    result = runner.invoke(app, ["tune", str(tiny_base), "--space", str(space), "--out", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "did you mean 'train.lr_encoder'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "s").exists()  # validated before anything is written


def test_bad_budget_and_backend(tiny_base, make_space, tmp_path):
    space = make_space({"model.dropout": {"uniform": [0.0, 0.5]}}, {})
    result = runner.invoke(app, ["tune", str(tiny_base), "--space", str(space), "--budget", "hours=3"])
    assert result.exit_code == 2 and "expected UNIT=AMOUNT" in result.output
    result = runner.invoke(app, ["tune", str(tiny_base), "--space", str(space), "--backend", "spark"])
    assert result.exit_code == 2 and "expected optuna or ray" in result.output


def test_report_of_a_folder_without_a_study(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "summary.json: not found" in result.output


def test_shipped_space_files_validate():
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parents[2] / "configs" / "search").glob("*.yaml")):
        params, raw = read_space_file(path)
        assert params and parse_search(raw, str(path))
