"""Packing consecutive sentences into one training example: shifts, file boundaries, negatives, config."""

from __future__ import annotations

import json

import pytest

from spanlab.config import load_config
from spanlab.data.chinese import char_example
from spanlab.data.packing import join, pack_sentences
from spanlab.data.schema import Example, Span
from spanlab.errors import ConfigError
from spanlab.supervised.data import char_spans
from spanlab.training.recipe import load_training_data
from spanlab.training.supervised import load_splits


def word_example(words: str, spans: list[Span], source: str, negatives: list[str] = ()) -> Example:
    return Example(words=words.split(), spans=spans, negatives=list(negatives), source=source)


def test_join_shifts_word_spans_and_keeps_only_true_negatives():
    a = word_example("Ada met Bob", [Span(0, 0, "person")], "f:1", negatives=["city", "person"])
    b = word_example("in Paris", [Span(1, 1, "city")], "f:2", negatives=["date"])
    joined = join([a, b])
    assert joined.words == ["Ada", "met", "Bob", "in", "Paris"]
    assert joined.spans == [Span(0, 0, "person"), Span(4, 4, "city")]
    assert joined.negatives == ["date"]  # city is in the second sentence; person is a gold label
    assert joined.text is None and joined.source == "f:1"


def test_join_of_character_examples_keeps_character_spans_on_the_joined_text():
    a = char_example(list("Ada ran."), [Span(0, 2, "PER")], "f:1")
    b = char_example(list("Go Paris"), [Span(3, 7, "LOC")], "f:2")
    joined = join([a, b])
    assert joined.text == "Ada ran. Go Paris"
    assert [joined.text[s:e] for s, e, _ in char_spans(joined)] == ["Ada", "Paris"]


def test_packs_hold_at_most_n_consecutive_sentences_of_one_file():
    examples = [word_example(f"w{i}", [Span(0, 0, "x")], f"{'a' if i < 7 else 'b'}.jsonl:{i}") for i in range(12)]
    packed = pack_sentences(examples, 3, seed=0)
    assert [w for ex in packed for w in ex.words] == [f"w{i}" for i in range(12)]  # order kept, nothing lost
    assert all(1 <= len(ex.words) <= 3 for ex in packed)
    assert all(len({int(w[1:]) < 7 for w in ex.words}) == 1 for ex in packed)  # never across files
    assert len({len(ex.words) for ex in packed}) > 1  # sizes drawn per pack
    assert pack_sentences(examples, 3, seed=0) == packed


def test_one_sentence_per_example_is_off_and_less_is_refused():
    examples = [word_example("a b", [], "f:1"), word_example("c", [], "f:2")]
    assert pack_sentences(examples, 1, seed=0) is examples
    with pytest.raises(ConfigError, match="pack_sentences"):
        pack_sentences(examples, 0, seed=0)


def test_gliner_training_data_is_packed_when_configured(tmp_path):
    path = tmp_path / "train.jsonl"
    records = [{"tokenized_text": ["a", str(i)], "ner": [[1, 1, "number"]]} for i in range(20)]
    path.write_text("\n".join(map(json.dumps, records)))
    packed, _ = load_training_data(load_config(None, [f"data.train=[{path}]", "data.pack_sentences=4"]))
    assert len(packed) < 20 and sum(len(ex.spans) for ex in packed) == 20
    assert all(ex.words[s.start] == ex.words[s.end] != "a" for ex in packed for s in ex.spans)


def test_fixed_label_training_split_is_packed_and_dev_is_not(tmp_path):
    records = [{"sentence": f"Visit Paris {i} .", "entities": [{"type": "LOC", "pos": [6, 11]}]} for i in range(10)]
    for name in ("train", "dev"):
        (tmp_path / f"{name}.json").write_text(json.dumps(records))
    cfg = load_config(None, ["model.head=egp", "data.format=benchmark", f"data.train=[{tmp_path / 'train.json'}]",
                             f"data.dev={tmp_path / 'dev.json'}", "data.pack_sentences=3"])
    train, dev, _, _ = load_splits(cfg)
    assert len(train) < 10 and len(dev) == 10
    assert {ex.text[s:e] for ex in train for s, e, _ in char_spans(ex)} == {"Paris"}
    assert sum(len(ex.spans) for ex in train) == 10
