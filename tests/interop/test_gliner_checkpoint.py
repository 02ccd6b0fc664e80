"""gliner checkpoints: spanlab reproduces the gliner library's scores and entities, exports its layout,
and never unpickles code.

The fixture (tests/fixtures/gliner) was written by scripts/make_gliner_fixture.py with gliner
itself: two tiny random checkpoints (markerV0 on BERT, marker on DeBERTa-v2) and the
library's outputs for them.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from spanlab.config import ModelConfig
from spanlab.data.collate import SpanCollator
from spanlab.data.schema import Example
from spanlab.data.words import split_words
from spanlab.errors import ModelLoadError
from spanlab.interop.gliner_checkpoint import PREFIXES, load_gliner_checkpoint, save_gliner_checkpoint
from spanlab.model import SpanModel

FIXTURE = Path(__file__).parents[1] / "fixtures" / "gliner"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
CHECKPOINTS = sorted(EXPECTED["checkpoints"])


def all_probs(model: SpanModel, texts: list[str], labels: list[str]) -> torch.Tensor:
    """(B, L, W, C) sigmoid scores of every (span, label) pair, from spanlab's forward."""
    examples = [Example(words=split_words(t)[0]) for t in texts]
    collator = SpanCollator(model.tokenizer, model.spec.max_width, model.spec.max_len)
    with torch.no_grad():
        return torch.sigmoid(model(**collator.encode(examples, [labels] * len(examples)))["logits"])


def max_score_difference(model: SpanModel, expected: list) -> float:
    """Largest |spanlab - gliner| over every valid (text, start, width, label)."""
    probs = all_probs(model, EXPECTED["texts"], EXPECTED["labels"])
    diff = 0.0
    for b, starts in enumerate(expected):
        for i, widths in enumerate(starts):
            for w, scores in enumerate(widths):
                diff = max(diff, (probs[b, i, w] - torch.tensor(scores)).abs().max().item())
    return diff


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_scores_match_the_gliner_library(name):
    record = EXPECTED["checkpoints"][name]
    model = SpanModel.from_pretrained(FIXTURE / name)  # gliner_config.json is detected
    assert model.spec.span_mode == record["span_mode"]
    assert max_score_difference(model, record["probs"]) < 1e-5


@pytest.mark.parametrize("name", CHECKPOINTS)
@pytest.mark.parametrize("mode", ["flat", "nested"])
def test_entities_match_the_gliner_library(name, mode):
    model = load_gliner_checkpoint(FIXTURE / name)
    texts, labels = EXPECTED["texts"], EXPECTED["labels"]
    examples = [Example(words=w, text=t, word_offsets=o) for t in texts for w, o in [split_words(t)]]
    found = model.predict_words(examples, labels, threshold=EXPECTED["threshold"], flat=(mode == "flat"))
    expected = EXPECTED["checkpoints"][name]["entities"][mode]
    assert sum(map(len, expected)) > 0
    for ex, spans, gold in zip(examples, found, expected):
        # gliner orders nested entities by start only; spanlab by (start, end, label): compare sorted.
        ours = sorted((ex.word_offsets[s][0], ex.word_offsets[e][1], label, p) for s, e, label, p in spans)
        theirs = sorted((g["start"], g["end"], g["label"], g["score"]) for g in gold)
        assert [o[:3] for o in ours] == [t[:3] for t in theirs]
        assert max((abs(o[3] - t[3]) for o, t in zip(ours, theirs)), default=0.0) < 1e-5


def test_the_fixture_script_recorded_that_gliner_loads_spanlab_exports():
    for name in CHECKPOINTS:
        result = EXPECTED["checkpoints"][name]["export_roundtrip"]
        assert result["gliner_loads"] and result["max_abs_diff"] < 1e-5
    native = EXPECTED["native_export"]  # models built by spanlab, exported, loaded by gliner
    assert set(native) == {"markerV0", "marker"}
    assert all(r["gliner_class"] == "UniEncoderSpanGLiNER" and r["max_abs_diff"] < 1e-5 for r in native.values())


def test_pickles_with_code_are_refused(tmp_path):
    folder = tmp_path / "evil"
    shutil.copytree(FIXTURE / "markerV0-bert", folder)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    with open(folder / "pytorch_model.bin", "wb") as f:
        pickle.dump({"x": Payload()}, f, protocol=2)
    with pytest.raises(ModelLoadError, match="refused") as err:
        load_gliner_checkpoint(folder)
    assert "safetensors" in str(err.value)
    assert not marker.exists()


def test_unsupported_settings_are_refused_by_name(tmp_path):
    folder = tmp_path / "bi"
    shutil.copytree(FIXTURE / "marker-deberta", folder)
    config = json.loads((folder / "gliner_config.json").read_text())
    config["span_mode"] = "markerV1"
    (folder / "gliner_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="span_mode: found 'markerV1'"):
        load_gliner_checkpoint(folder)


@pytest.mark.parametrize("span_mode", ["markerV0", "marker"])
def test_export_has_the_gliner_layout_and_reloads(tiny_encoder_dir, tmp_path, span_mode):
    torch.manual_seed(0)
    model = SpanModel.from_encoder(ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=16, span_mode=span_mode))
    model.eval()
    save_gliner_checkpoint(model, tmp_path / "out")

    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"gliner_config.json", "model.safetensors", "tokenizer_config.json"} <= files
    config = json.loads((tmp_path / "out" / "gliner_config.json").read_text())
    assert config["span_mode"] == span_mode and config["hidden_size"] == 16
    assert config["class_token_index"] == model.tokenizer.convert_tokens_to_ids("<<ENT>>")
    assert config["encoder_config"]["model_type"] == "bert"
    names = set(load_file(str(tmp_path / "out" / "model.safetensors")))
    gliner_prefixes = tuple(old for old, _ in PREFIXES)
    assert all(n.startswith(gliner_prefixes) for n in names)
    assert "span_rep_layer.span_rep_layer.out_project.weight" in names or span_mode == "markerV0"
    assert "token_rep_layer.projection.weight" in names  # encoder width 32 → 16

    again = SpanModel.from_pretrained(tmp_path / "out")
    texts, labels = ["Alice lives in Paris ."], ["person", "city"]
    torch.testing.assert_close(all_probs(again, texts, labels), all_probs(model, texts, labels))


def test_cli_imports_to_a_spanlab_folder_and_exports_back(tmp_path):
    from typer.testing import CliRunner

    from spanlab.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["convert", "from-gliner", str(FIXTURE / "marker-deberta"), str(tmp_path / "sl")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sl" / "config.json").is_file() and not (tmp_path / "sl" / "gliner_config.json").exists()
    record = EXPECTED["checkpoints"]["marker-deberta"]
    assert max_score_difference(SpanModel.from_pretrained(tmp_path / "sl"), record["probs"]) < 1e-5

    result = runner.invoke(app, ["convert", "to-gliner", str(tmp_path / "sl"), str(tmp_path / "gl")])
    assert result.exit_code == 0, result.output
    assert max_score_difference(load_gliner_checkpoint(tmp_path / "gl"), record["probs"]) < 1e-5


def test_a_broken_gliner_config_is_reported_with_its_line(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(FIXTURE / "markerV0-bert", folder)
    (folder / "gliner_config.json").write_text('{\n  "span_mode": "markerV0",\n  oops\n}')
    with pytest.raises(ModelLoadError, match=r"gliner_config.json:3: invalid JSON"):
        load_gliner_checkpoint(folder)
    (folder / "pytorch_model.bin").unlink()
    (folder / "gliner_config.json").write_text('{"span_mode": "markerV0"}')
    with pytest.raises(ModelLoadError, match="no model.safetensors or pytorch_model.bin"):
        load_gliner_checkpoint(folder)


def test_a_class_token_index_that_is_not_the_ent_token_is_refused(tmp_path):
    folder = tmp_path / "shifted"
    shutil.copytree(FIXTURE / "markerV0-bert", folder)
    config = json.loads((folder / "gliner_config.json").read_text())
    config["class_token_index"] -= 1
    (folder / "gliner_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="class_token_index: found"):
        load_gliner_checkpoint(folder)
