"""hf:// data sources and hub encoder names: offline they stop at once with a message that says what to do."""

from __future__ import annotations

import json
import time

import pytest

from spanlab.data.readers import read_gliner_files
from spanlab.encoder.load import load_tokenizer
from spanlab.errors import DataError, ModelLoadError
from spanlab.hub import hub_cache, resolve_data_source


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    return tmp_path / "hf-home" / "hub"


def test_offline_dataset_source_stops_at_once_and_says_what_to_do(offline):
    start = time.monotonic()
    with pytest.raises(DataError) as err:
        read_gliner_files(["hf://someone/missing-ner-data"])
    assert time.monotonic() - start < 5
    message = str(err.value)
    assert err.value.where == "hf://someone/missing-ner-data"
    for part in ("dataset someone/missing-ner-data", "HF_HUB_OFFLINE=1", str(offline), "HF_HOME", "HF_HUB_CACHE",
                 "data.train: [path/to/train.jsonl]"):
        assert part in message


def test_offline_single_file_source_names_the_file(offline):
    with pytest.raises(DataError, match="file data/train.jsonl"):
        resolve_data_source("hf://someone/missing/data/train.jsonl@main")


def test_a_source_without_a_repo_name_is_refused():
    with pytest.raises(DataError, match="expected hf://owner/name"):
        resolve_data_source("hf://justone")


def test_hf_hub_cache_wins_over_hf_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    assert hub_cache() == tmp_path / "cache"


def test_offline_encoder_name_stops_at_once(offline):
    start = time.monotonic()
    with pytest.raises(ModelLoadError) as err:
        load_tokenizer("someone/not-a-cached-encoder")
    assert time.monotonic() - start < 5
    message = str(err.value)
    for part in ("'someone/not-a-cached-encoder'", "HF_HUB_OFFLINE=1", str(offline), "model.encoder: /path/to/encoder"):
        assert part in message


def test_local_paths_keep_working_offline(offline, tmp_path, tiny_encoder_dir):
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"tokenized_text": ["Ada", "wrote"], "ner": [[0, 0, "person"]]}) + "\n")
    assert [ex.words for ex in read_gliner_files([str(data)])] == [["Ada", "wrote"]]
    assert load_tokenizer(str(tiny_encoder_dir)).convert_tokens_to_ids("<<ENT>>") is not None


def test_a_cached_dataset_is_read_offline(offline):
    """The hub cache layout huggingface_hub writes: refs/main → snapshots/<commit>/files."""
    repo = offline / "datasets--someone--tiny-ner"
    commit = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit / "data"
    snapshot.mkdir(parents=True)
    (snapshot / "train.jsonl").write_text(json.dumps({"tokenized_text": ["Rome", "."], "ner": [[0, 0, "city"]]}) + "\n")
    (snapshot / "README.md").write_text("not data")
    examples = read_gliner_files(["hf://someone/tiny-ner"])
    assert [(ex.words, ex.spans[0].label) for ex in examples] == [(["Rome", "."], "city")]
    assert resolve_data_source("hf://someone/tiny-ner/data/train.jsonl")[0].endswith("data/train.jsonl")
