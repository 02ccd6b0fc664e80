"""The synthetic corpus: deterministic, well-formed, and with held-out types really held out."""

from __future__ import annotations

import pytest

from spanlab.data.readers import read_gliner
from spanlab.data.synthetic import (
    GAZETTEERS,
    HELD_OUT,
    LABELS,
    SEEN,
    TEMPLATES,
    generate,
    generate_held_out,
    make_splits,
    template_types,
    write_jsonl,
)
from spanlab.data.words import split_words


def mentions(records: list[dict]):
    for r in records:
        for start, end, label in r["ner"]:
            yield r["tokenized_text"], start, end, label


def test_same_seed_same_records_other_seed_other_records():
    assert generate(50, seed=3) == generate(50, seed=3)
    assert generate(50, seed=3) != generate(50, seed=4)
    assert make_splits(30, 10, seed=1) == make_splits(30, 10, seed=1)


def test_spans_are_in_range_and_are_gazetteer_entries():
    records = generate(300, seed=0)
    assert sum(len(r["ner"]) for r in records) > 600  # several entities per record on average
    assert any(not r["ner"] for r in records)  # and some records with none
    for words, start, end, label in mentions(records):
        assert 0 <= start <= end < len(words)
        # The span's words are exactly the words of one gazetteer entry of its type.
        assert any(split_words(v)[0] == words[start : end + 1] for v in GAZETTEERS[label]), (words, label)


def test_every_type_occurs_and_the_set_is_varied():
    assert 10 <= len(LABELS) <= 14 and len(TEMPLATES) >= 40
    found = {label for *_, label in mentions(generate(500, seed=0))}
    assert found == set(LABELS)


def test_labels_limit_the_templates_not_just_the_annotations():
    records = generate(300, seed=0, labels=["person", "city", "date"])
    assert {label for *_, label in mentions(records)} == {"person", "city", "date"}
    company_words = {w for v in GAZETTEERS["company"] for w in split_words(v)[0] if w[0].isupper()}
    assert not any(company_words & set(r["tokenized_text"]) for r in records)
    with pytest.raises(ValueError, match="unknown entity types"):
        generate(1, seed=0, labels=["spaceship"])


def test_held_out_types_never_occur_in_train():
    splits = make_splits(n_train=800, n_dev=100, seed=0)
    train_labels = {label for *_, label in mentions(splits["train"])}
    assert train_labels == set(SEEN) and not train_labels & set(HELD_OUT)
    # Not even as unannotated text: no held-out name appears in a training sentence.
    train_text = {" ".join(r["tokenized_text"]) for r in splits["train"]}
    for label in HELD_OUT:
        for value in GAZETTEERS[label]:
            needle = " ".join(split_words(value)[0])
            assert not any(f" {needle} " in f" {t} " for t in train_text), (label, value)
    assert {label for *_, label in mentions(splits["dev-unseen"])} == set(HELD_OUT)
    assert {label for *_, label in mentions(splits["dev-seen"])} <= set(SEEN)


def test_dev_seen_uses_names_never_seen_in_training():
    splits = make_splits(n_train=800, n_dev=100, seed=0)
    train_names = {(label, tuple(w[s : e + 1])) for w, s, e, label in mentions(splits["train"])}
    dev_names = {(label, tuple(w[s : e + 1])) for w, s, e, label in mentions(splits["dev-seen"])}
    assert dev_names and not train_names & dev_names


def test_held_out_records_annotate_only_held_out_types():
    records = generate_held_out(100, seed=0, held_out=["river"])
    assert all(r["ner"] for r in records)  # every record comes from a template with a river in it
    assert {label for *_, label in mentions(records)} == {"river"}
    assert all("river" in template_types(t) for t in TEMPLATES if "{river}" in t)


def test_write_jsonl_reads_back_as_gliner(tmp_path):
    records = generate(20, seed=0)
    path = write_jsonl(tmp_path / "data" / "train.jsonl", records)
    examples = list(read_gliner(path))
    assert [ex.words for ex in examples] == [r["tokenized_text"] for r in records]
    assert [[[s.start, s.end, s.label] for s in ex.spans] for ex in examples] == [r["ner"] for r in records]
