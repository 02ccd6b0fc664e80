"""The CLI's wiring and its user-error paths: no model is trained or loaded here."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from spanlab.cli import app
from spanlab.cli.predict import parse_labels, read_inputs
from spanlab.errors import DataError, SpanlabError

runner = CliRunner()


@pytest.mark.parametrize("args", [[], ["train"], ["evaluate"], ["predict"]])
def test_help(args):
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_predict_empty_labels_is_a_readable_error(tmp_path):
    result = runner.invoke(app, ["predict", str(tmp_path), "--labels", " , ", "Ada Lovelace"])
    assert result.exit_code == 2
    assert "expected at least one label" in result.output
    assert "Traceback" not in result.output


def test_evaluate_missing_suite_names_the_path(tmp_path):
    missing = tmp_path / "no-such-suite"
    result = runner.invoke(app, ["evaluate", str(tmp_path), "--suite", str(missing)])
    assert result.exit_code == 2
    assert str(missing) in result.output.replace("\n", "")
    assert "Traceback" not in result.output


def test_train_unknown_key_suggests_the_nearest(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("train: {stpes: 3}\n", encoding="utf-8")
    result = runner.invoke(app, ["train", str(config)])
    assert result.exit_code == 2
    assert "did you mean" in result.output
    assert "steps" in result.output


def test_train_bad_override_is_an_error(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("train: {steps: 3}\n", encoding="utf-8")
    result = runner.invoke(app, ["train", str(config), "--set", "train.steps"])
    assert result.exit_code == 2
    assert "has no '='" in result.output


def test_parse_labels():
    assert parse_labels(" person, award ,") == ["person", "award"]
    with pytest.raises(SpanlabError):
        parse_labels(",")


def test_read_inputs_jsonl_names_file_line_field(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"text": "a", "id": 1}) + "\n\n" + json.dumps({"body": "b"}) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        read_inputs(path)
    assert f"{path}:3:text" in str(e.value)
    path.write_text(json.dumps({"text": "a", "id": 1}) + "\n", encoding="utf-8")
    assert read_inputs(path) == [{"text": "a", "id": 1}]


def test_read_inputs_plain_text(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("first [bold]text[/]\n\nsecond\n", encoding="utf-8")
    assert [r["text"] for r in read_inputs(path)] == ["first [bold]text[/]", "second"]
