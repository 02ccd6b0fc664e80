"""F1 against hand-computed values and an independent brute-force count over lists."""

import random

import numpy as np
import pytest

from spanlab.errors import SpanlabError
from spanlab.metrics.f1 import Counts, score, sentence_counts, untyped


def test_counts_hand_computed():
    c = Counts(tp=3, fp=1, fn=2)
    assert c.precision == 0.75
    assert c.recall == 0.6
    assert c.f1 == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))
    assert c.as_dict() == {"p": 0.75, "r": 0.6, "f1": pytest.approx(2 / 3), "tp": 3, "fp": 1, "fn": 2}


def test_counts_zero_denominators_and_add():
    assert (Counts().precision, Counts().recall, Counts().f1) == (0.0, 0.0, 0.0)
    assert Counts(fp=2).f1 == 0.0 and Counts(fn=2).recall == 0.0
    assert Counts(1, 2, 3) + Counts(10, 20, 30) == Counts(11, 22, 33)


def test_sentence_counts_exact_match():
    gold = {(0, 1, "PER"), (3, 3, "LOC")}
    pred = {(0, 1, "PER"), (3, 3, "ORG"), (5, 6, "LOC")}
    assert sentence_counts(gold, pred) == Counts(tp=1, fp=2, fn=1)


def test_score_micro_per_label_per_sentence():
    gold = [{(0, 1, "PER"), (3, 3, "LOC")}, {(2, 2, "LOC")}, set()]
    pred = [{(0, 1, "PER"), (3, 3, "ORG")}, {(2, 2, "LOC")}, {(0, 0, "PER")}]
    s = score(gold, pred)
    assert s.micro == Counts(tp=2, fp=2, fn=1)
    assert s.micro.precision == 0.5 and s.micro.recall == pytest.approx(2 / 3)
    assert s.per_label == {"LOC": Counts(1, 0, 1), "ORG": Counts(0, 1, 0), "PER": Counts(1, 1, 0)}
    assert list(s.per_label) == ["LOC", "ORG", "PER"]
    np.testing.assert_array_equal(s.per_sentence, [[1, 1, 1], [1, 0, 0], [0, 1, 0]])


def test_score_length_mismatch_is_a_clear_error():
    with pytest.raises(SpanlabError, match="found 2 gold sentences and 1"):
        score([set(), set()], [set()])


def test_untyped_ignores_label_and_counts_a_doubly_labelled_span_once():
    gold = {(0, 1, "PER"), (4, 5, "LOC")}
    pred = {(0, 1, "ORG"), (0, 1, "PER"), (7, 7, "LOC")}
    assert untyped(pred) == {(0, 1), (7, 7)}
    assert sentence_counts(untyped(gold), untyped(pred)) == Counts(tp=1, fp=1, fn=1)


def _brute_force(gold, pred, label=None):
    """Count by scanning lists, not sets, then P/R/F1 by their textbook definitions."""
    tp = fp = fn = 0
    for g, p in zip(gold, pred):
        g = [x for x in dict.fromkeys(g) if label is None or x[-1] == label]
        p = [x for x in dict.fromkeys(p) if label is None or x[-1] == label]
        tp += sum(1 for x in p if x in g)
        fp += sum(1 for x in p if x not in g)
        fn += sum(1 for x in g if x not in p)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return tp, fp, fn, prec, rec, f1


def test_score_matches_brute_force_on_random_corpora():
    rng = random.Random(0)
    labels = ["A", "B", "C"]

    def entities():
        return {(s, s + rng.randint(0, 2), rng.choice(labels)) for s in rng.sample(range(8), rng.randint(0, 4))}

    gold = [entities() for _ in range(60)]
    pred = [entities() for _ in range(60)]
    s = score(gold, pred)
    for label, counts in [(None, s.micro)] + list(s.per_label.items()):
        tp, fp, fn, prec, rec, f1 = _brute_force(gold, pred, label)
        assert (counts.tp, counts.fp, counts.fn) == (tp, fp, fn)
        assert counts.precision == pytest.approx(prec)
        assert counts.recall == pytest.approx(rec)
        assert counts.f1 == pytest.approx(f1)
    assert s.per_sentence.sum(axis=0).tolist() == [s.micro.tp, s.micro.fp, s.micro.fn]
