"""Repeat-factor sampling: rare labels are seen more often, nothing is dropped; thinning of
entity-free passages: only they are dropped, at the configured share; per-file weights: a
matching file's passages are repeated by its weight, others kept once."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from spanlab.config import load_config
from spanlab.data.balance import keep_empty, repeat_factors, repeat_rare, weigh_files
from spanlab.data.schema import Example, Span
from spanlab.errors import ConfigError
from spanlab.training.recipe import load_training_data


def ex(*labels: str) -> Example:
    return Example(words=[f"w{i}" for i in range(max(len(labels), 1))],
                   spans=[Span(i, i, lab) for i, lab in enumerate(labels)])


# 100 passages: "person" in 50 of them, "song" in 1, "city" in 4 (twice in one), 46 without mentions
DATA = [ex("person") for _ in range(49)] + [ex("person", "song")] + [ex("city", "city")] + [ex("city")] * 3
DATA += [ex() for _ in range(46)]


def test_factor_is_sqrt_of_threshold_over_passage_fraction():
    r = repeat_factors(DATA, threshold=0.16)
    assert r[0] == 1.0  # person: in 50% of passages > 16%
    assert r[49] == pytest.approx(4.0)  # the passage with "song": √(0.16 / 0.01), the largest of its labels
    assert r[50] == pytest.approx(2.0)  # city: in 4 passages (counted once each), √(0.16 / 0.04)
    assert r[-1] == 1.0  # no mentions
    assert min(repeat_factors(DATA, threshold=1e-9)) == 1.0  # tiny threshold: never below 1


def test_repeats_follow_the_factors_and_keep_order():
    out = repeat_rare(DATA, threshold=0.16, seed=0)
    counts = Counter(id(e) for e in out)
    assert counts[id(DATA[49])] == 4 and counts[id(DATA[50])] == 2
    assert all(counts[id(e)] == 1 for e in DATA[:49] + DATA[54:])
    firsts = list(dict.fromkeys(id(e) for e in out))
    assert firsts == list(dict.fromkeys(id(e) for e in DATA))  # input order, every example present


def test_fractional_factors_round_stochastically_and_reproducibly():
    data = [ex("rare")] + [ex("common") for _ in range(99)]
    r = repeat_factors(data, threshold=0.0225)[0]  # √(0.0225 / 0.01) = 1.5
    assert r == pytest.approx(1.5)
    totals = [len(repeat_rare(data, 0.0225, seed)) - 99 for seed in range(400)]
    assert set(totals) == {1, 2} and abs(sum(totals) / 400 - 1.5) < 0.1
    assert repeat_rare(data, 0.0225, 7) == repeat_rare(data, 0.0225, 7)


def test_training_data_is_repeated_when_configured(tmp_path):
    import json

    path = tmp_path / "train.jsonl"
    records = [{"tokenized_text": ["a", "b"], "ner": [[0, 0, "person"]]}] * 9 + [
        {"tokenized_text": ["c"], "ner": [[0, 0, "song"]]}]
    path.write_text("\n".join(map(json.dumps, records)))
    plain, _ = load_training_data(load_config(None, [f"data.train=[{path}]"]))
    repeated, _ = load_training_data(load_config(None, [f"data.train=[{path}]", "data.repeat_threshold=0.9"]))
    assert len(plain) == 10
    assert len(repeated) == 9 + math.floor(math.sqrt(0.9 / 0.1))  # "song": 3 copies; person ≥ 0.9: once
    assert sum(e.words == ["c"] for e in repeated) == 3
    with pytest.raises(ConfigError, match="repeat_threshold"):
        load_training_data(load_config(None, [f"data.train=[{path}]", "data.repeat_threshold=-1"]))


def test_keep_empty_drops_only_entity_free_passages_at_the_share():
    assert keep_empty(DATA, 1.0, seed=0) == DATA
    none = keep_empty(DATA, 0.0, seed=0)
    assert none == [e for e in DATA if e.spans] and len(none) == 54  # order kept, every annotated passage
    big = [ex("person")] * 10 + [ex() for _ in range(2000)]
    kept = keep_empty(big, 0.25, seed=3)
    assert kept[:10] == big[:10] and abs((len(kept) - 10) / 2000 - 0.25) < 0.03
    assert keep_empty(big, 0.25, seed=3) == kept  # reproducible with the seed


def test_training_data_is_thinned_when_configured(tmp_path):
    import json

    path = tmp_path / "train.jsonl"
    records = [{"tokenized_text": ["a"], "ner": [[0, 0, "person"]]}] * 3 + [{"tokenized_text": ["b"], "ner": []}] * 5
    path.write_text("\n".join(map(json.dumps, records)))
    thinned, _ = load_training_data(load_config(None, [f"data.train=[{path}]", "data.keep_empty=0"]))
    assert len(thinned) == 3 and all(e.spans for e in thinned)
    with pytest.raises(ConfigError, match="keep_empty"):
        load_training_data(load_config(None, [f"data.train=[{path}]", "data.keep_empty=1.5"]))


def from_file(name: str, line: int) -> Example:
    return Example(words=[name], spans=[Span(0, 0, "x")], source=f"/data/{name}:{line}")


def test_file_weights_repeat_matching_files_and_keep_the_rest_once():
    data = [from_file("pile.jsonl.gz", i) for i in range(1, 201)] + [from_file("conll.jsonl.gz", 1)]
    out = weigh_files(data, {"pile*": 2.5}, seed=0)
    counts = Counter(e.source for e in out)
    assert counts["/data/conll.jsonl.gz:1"] == 1
    assert {counts[e.source] for e in data[:200]} == {2, 3}  # 2.5: twice, or three times by chance
    assert abs(sum(counts[e.source] for e in data[:200]) / 200 - 2.5) < 0.15
    assert [e.source for e in out] == sorted((e.source for e in out), key=[d.source for d in data].index)
    assert weigh_files(data, {"pile*": 2.5}, seed=0) == out  # reproducible with the seed
    assert weigh_files(data, {"conll*": 0}, seed=0) == data[:200]  # weight 0 leaves a file out


@pytest.mark.parametrize(
    "weights, message",
    [({"pile*": -1}, "must be ≥ 0"), ({"wnut*": 2}, "match no training file"),
     ({"*.gz": 2, "pile*": 3}, "matches")],
)
def test_file_weights_refuse_bad_globs_and_weights(weights, message):
    data = [from_file("pile.jsonl.gz", 1), from_file("conll.jsonl.gz", 1)]
    with pytest.raises(ConfigError, match=message):
        weigh_files(data, weights, seed=0)


def test_training_data_is_weighted_by_file_when_configured(tmp_path):
    import json

    for name, n in [("pile.jsonl", 2), ("conll.jsonl", 3)]:
        records = [{"tokenized_text": [name], "ner": [[0, 0, "person"]]}] * n
        (tmp_path / name).write_text("\n".join(map(json.dumps, records)))
    cfg = load_config(None, [f"data.train=[{tmp_path}/*.jsonl]", 'data.weights={"pile*": 3}'])
    assert cfg.data.weights == {"pile*": 3.0}
    examples, _ = load_training_data(cfg)
    assert Counter(e.words[0] for e in examples) == {"pile.jsonl": 6, "conll.jsonl": 3}
    with pytest.raises(ConfigError, match=r"data\.weights\['pile\*'\]: expected a number"):
        load_config(None, ['data.weights={"pile*": many}'])
    with pytest.raises(ConfigError, match="data.weights: expected a mapping"):
        load_config(None, ["data.weights=[3]"])
