"""Span decoding: hand-checked flat / nested / multi-label outputs, threshold, guards, batching."""

import itertools

import pytest
import torch

from spanlab.decoding.spans import decode, decode_batch
from spanlab.errors import SpanlabError


def _probs(L, W, C, entries):
    """(L, W, C) zeros with entries {(start, end, label): p}."""
    probs = torch.zeros(L, W, C)
    for (start, end, label), p in entries.items():
        probs[start, end - start, label] = p
    return probs


# Scores are dyadic fractions, exact in float32, so outputs compare with ==.
HAND = {
    (0, 2, 0): 0.875,  # "New York City" LOC
    (0, 1, 1): 0.75,  # "New York" ORG, nested inside
    (0, 2, 2): 0.625,  # same span, third label
    (1, 3, 1): 0.5625,  # crosses (0, 2)
    (3, 3, 0): 0.53125,  # overlaps only (1, 3)
    (2, 2, 1): 0.5,  # exactly at threshold: dropped
}


@pytest.mark.parametrize(
    "mode, multi_label, expected",
    [
        ("flat", False, [(0, 2, 0, 0.875), (3, 3, 0, 0.53125)]),
        ("flat", True, [(0, 2, 0, 0.875), (0, 2, 2, 0.625), (3, 3, 0, 0.53125)]),
        ("nested", False, [(0, 1, 1, 0.75), (0, 2, 0, 0.875), (3, 3, 0, 0.53125)]),
        ("nested", True, [(0, 1, 1, 0.75), (0, 2, 0, 0.875), (0, 2, 2, 0.625), (3, 3, 0, 0.53125)]),
    ],
)
def test_hand_checked_modes(mode, multi_label, expected):
    probs = _probs(4, 3, 3, HAND)
    probs[3, 1, 0] = 0.99  # words 3..4 run past L = 4: must be ignored
    probs[2, 2, 1] = 0.99  # words 2..4: also invalid
    assert decode(probs, threshold=0.5, mode=mode, multi_label=multi_label) == expected


def test_threshold_is_strict():
    probs = _probs(3, 1, 1, {(0, 0, 0): 0.5, (2, 2, 0): 0.5078125})
    assert decode(probs, threshold=0.5) == [(2, 2, 0, 0.5078125)]
    assert decode(probs, threshold=0.4) == [(0, 0, 0, 0.5), (2, 2, 0, 0.5078125)]


def test_ties_prefer_earlier_start_then_shorter_span_then_lower_label():
    # earlier start: (0, 1) beats (1, 1)
    assert decode(_probs(3, 2, 1, {(1, 1, 0): 0.75, (0, 1, 0): 0.75})) == [(0, 1, 0, 0.75)]
    # same start: shorter (1, 1) beats (1, 2)
    assert decode(_probs(3, 2, 1, {(1, 2, 0): 0.75, (1, 1, 0): 0.75})) == [(1, 1, 0, 0.75)]
    # same span: lower label wins
    assert decode(_probs(2, 1, 3, {(0, 0, 2): 0.75, (0, 0, 1): 0.75})) == [(0, 0, 1, 0.75)]


def test_nested_blocks_spans_crossing_a_nested_one():
    probs = _probs(5, 5, 1, {(0, 4, 0): 0.9375, (1, 2, 0): 0.875, (2, 3, 0): 0.75, (3, 4, 0): 0.625})
    assert decode(probs, mode="nested") == [(0, 4, 0, 0.9375), (1, 2, 0, 0.875), (3, 4, 0, 0.625)]


def test_bad_mode_lists_valid_modes():
    with pytest.raises(SpanlabError, match="'overlap'.*flat, nested"):
        decode(torch.zeros(2, 1, 1), mode="overlap")


def test_bad_lengths_are_a_clear_error():
    with pytest.raises(SpanlabError, match="expected 2 values in 0..4"):
        decode_batch(torch.zeros(2, 4, 2, 1), [4, 5])
    with pytest.raises(SpanlabError, match="expected 2 values"):
        decode_batch(torch.zeros(2, 4, 2, 1), [4])


def _valid(out, mode, multi_label):
    """No kept pair may violate the mode's rule."""
    for (s1, e1, c1, _), (s2, e2, c2, _) in itertools.combinations(out, 2):
        if (s1, e1) == (s2, e2):
            assert multi_label and c1 != c2
        elif s1 <= e2 and s2 <= e1:  # they share a word
            assert mode == "nested" and ((s1 <= s2 and e2 <= e1) or (s2 <= s1 and e1 <= e2))


@pytest.mark.parametrize("mode, multi_label", list(itertools.product(["flat", "nested"], [False, True])))
def test_batch_equals_per_example(mode, multi_label):
    torch.manual_seed(0)
    probs = torch.rand(4, 9, 4, 3)  # (B, L, W, C), padding positions also random
    lengths = [9, 6, 1, 0]
    batch = decode_batch(probs, torch.tensor(lengths), threshold=0.6, mode=mode, multi_label=multi_label)
    for b, n in enumerate(lengths):
        single = decode(probs[b, :n], threshold=0.6, mode=mode, multi_label=multi_label)
        assert batch[b] == single
        assert all(e < n and p > 0.6 for _, e, _, p in single)
        _valid(single, mode, multi_label)
    assert batch[3] == []
