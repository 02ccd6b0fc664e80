"""Sliding windows: planning covers every word, merging keeps the best of duplicates, any predictor fits."""

from __future__ import annotations

import random

import pytest

from spanlab.data.schema import Example
from spanlab.errors import SpanlabError
from spanlab.inference.windows import (
    Window, merge_spans, owned_parts, plan_windows, predict_windowed, window_example,
)


@pytest.mark.parametrize("seed", range(5))
def test_windows_cover_every_word_within_budget(seed):
    rng = random.Random(seed)
    costs = [rng.randint(1, 4) for _ in range(rng.randint(1, 3000))]
    windows = plan_windows(costs, budget=200, overlap=16, max_units=120)
    assert windows[0].start == 0 and windows[-1].end == len(costs)
    covered = set()
    for w, nxt in zip(windows, windows[1:] + [None]):
        covered.update(range(w.start, w.end))
        assert sum(costs[w.start : w.end]) <= 200 and w.end - w.start <= 120
        if nxt is not None:
            assert nxt.start > w.start and nxt.start <= w.end  # advancing, no gap
            assert w.end - nxt.start == min(16, (w.end - w.start) // 2)  # the overlap (at most half a window)
    assert covered == set(range(len(costs)))


def test_short_input_is_one_window_and_a_huge_word_gets_its_own():
    assert plan_windows([1] * 10, budget=100, overlap=3) == [Window(0, 10)]
    assert plan_windows([1, 50, 1], budget=10, overlap=0) == [Window(0, 1), Window(1, 2), Window(2, 3)]
    assert plan_windows([], budget=10, overlap=0) == []


def test_bad_window_settings_are_errors():
    with pytest.raises(SpanlabError, match="overlap"):
        plan_windows([1] * 10, budget=5, overlap=-1)
    # An overlap as long as the window is capped at half a window, so windows still advance.
    assert plan_windows([1] * 10, budget=100, overlap=8, max_units=4) == [
        Window(0, 4), Window(2, 6), Window(4, 8), Window(6, 10)
    ]
    with pytest.raises(SpanlabError, match="budget"):
        plan_windows([1] * 10, budget=0, overlap=0)


def test_merge_keeps_one_copy_and_drops_edge_fragments():
    windows = [Window(0, 10), Window(6, 16)]  # window 1 owns starts 0..7, window 2 starts 8..15
    found = [
        [(7, 8, "city", 0.6), (2, 2, "person", 0.9), (9, 9, "person", 0.55)],  # (9, 9) is cut at the edge
        [(1, 2, "city", 0.8), (3, 4, "person", 0.7), (2, 3, "org", 0.95)],  # document (7, 8) again, (9, 10), (8, 9)
    ]
    merged = merge_spans(found, windows, length=16)
    # (7, 8, city) once, from window 1, where it starts; (9, 9) is window 2's to find, and it found (9, 10);
    # (8, 9, org) is owned and wins the flat resolution by score, so (7, 8) and (9, 10) lose to it.
    assert merged == [(2, 2, "person", 0.9), (8, 9, "org", 0.95)]
    assert merge_spans(found[:1], windows[:1], 10) == [(2, 2, "person", 0.9), (7, 8, "city", 0.6), (9, 9, "person", 0.55)]


def test_merge_nested_mode_keeps_nested_spans_and_multi_label():
    windows = [Window(0, 8), Window(4, 12)]
    found = [[(4, 6, "org", 0.9), (5, 5, "city", 0.8)], [(0, 2, "org", 0.7), (1, 1, "loc", 0.95), (2, 3, "x", 0.99)]]
    nested = merge_spans(found, windows, length=12, mode="nested")
    # Window 2's copies of (4, 6, org) and (5, 5, loc) start in window 1's part (0..5) and go; (6, 7, x) wins
    # first; (4, 6, org) crosses it and is dropped; (5, 5, city) shares no word with it and stays.
    assert nested == [(5, 5, "city", 0.8), (6, 7, "x", 0.99)]
    crossing_removed = merge_spans([[(4, 6, "org", 0.9), (5, 5, "city", 0.8)]], [Window(0, 8)], 8, mode="nested")
    assert crossing_removed == [(4, 6, "org", 0.9), (5, 5, "city", 0.8)]  # nested spans stay in nested mode
    multi = merge_spans([[(0, 0, "a", 0.6), (0, 0, "b", 0.7)]], [Window(0, 4)], 4, "flat", True)
    assert multi == [(0, 0, "a", 0.6), (0, 0, "b", 0.7)]


def test_predict_windowed_with_any_predictor_finds_every_mention_of_a_long_document():
    words = [("Paris" if i % 97 == 0 else "w") for i in range(10_000)]
    offsets, pos = [], 0
    for w in words:
        offsets.append((pos, pos + len(w)))
        pos += len(w) + 1
    doc = Example(words=words, text=" ".join(words), word_offsets=offsets)
    short = Example(words=["Paris", "is", "big"])
    calls = []

    def predict(pieces):  # a toy "model": every Paris is a city; scores fall towards the window's end
        calls.append(len(pieces))
        assert all(len(p.words) <= 300 for p in pieces)
        assert all(p.text[p.word_offsets[0][0] : p.word_offsets[0][1]] == p.words[0] for p in pieces[:-1])
        return [[(i, i, "city", 1 - i / 1000) for i, w in enumerate(p.words) if w == "Paris"] for p in pieces]

    doc_spans, short_spans = predict_windowed([doc, short], predict, [[1] * len(words), [1, 1, 1]], 300, 40, 300)
    assert calls == [len(plan_windows([1] * 10_000, 300, 40, 300)) + 1]  # all pieces in one call
    assert [s[:3] for s in doc_spans] == [(i, i, "city") for i in range(0, 10_000, 97)]
    assert short_spans == [(0, 0, "city", 1.0)]  # a text that fits passes through untouched
    # Where two windows saw the same mention, it keeps the higher score: the one of the window
    # that saw it nearest its own start.
    plan = plan_windows([1] * 10_000, 300, 40, 300)
    for start, _, _, score in doc_spans:
        nearest = max(w.start for w in plan if w.start <= start < w.end)
        assert score == pytest.approx(1 - (start - nearest) / 1000)
    assert any(score != pytest.approx(1 - (start - owner.start) / 1000)
               for start, _, _, score in doc_spans
               for owner, (a, b) in zip(plan, owned_parts(plan)) if a <= start < b)  # not the owner's, at times


def test_window_example_slices_offsets():
    ex = Example(words=["a", "b", "c"], text="a b c", word_offsets=[(0, 1), (2, 3), (4, 5)])
    piece = window_example(ex, Window(1, 3))
    assert piece.words == ["b", "c"] and piece.word_offsets == [(2, 3), (4, 5)] and piece.text == "a b c"


def test_each_window_owns_the_spans_starting_in_its_part_so_edge_fragments_go():
    windows = [Window(0, 10), Window(6, 16)]  # the overlap 6..9 is cut at 8
    assert owned_parts(windows) == [(0, 8), (8, 16)]
    # The entity at 8..11 is cut at window 1's edge: its fragment (8, 9) starts in window 2's part.
    found = [[(8, 9, "org", 0.9), (2, 3, "org", 0.8)], [(2, 5, "org", 0.7), (1, 1, "loc", 0.6), (2, 3, "loc", 0.5)]]
    # mode None (a decoder that keeps every span, e.g. GlobalPointer): nested and crossing spans stay.
    assert merge_spans(found, windows, 16, mode=None) == [(2, 3, "org", 0.8), (8, 9, "loc", 0.5), (8, 11, "org", 0.7)]
    assert owned_parts([Window(0, 5), Window(5, 9)]) == [(0, 5), (5, 9)] and owned_parts([]) == []


def test_a_span_both_windows_found_keeps_the_higher_score_once():
    windows = [Window(0, 10), Window(6, 16)]  # window 1 owns 0..7, window 2 owns 8..15
    found = [[(6, 7, "org", 0.4), (8, 8, "loc", 0.9)], [(0, 1, "org", 0.9), (2, 2, "loc", 0.3)]]
    # (6, 7) is window 1's, found by both: once, at window 2's 0.9. (8, 8) is window 2's: it found
    # it at 0.3, and window 1's 0.9 counts for it; a span its owner did not find would go.
    assert merge_spans(found, windows, 16, mode=None) == [(6, 7, "org", 0.9), (8, 8, "loc", 0.9)]
    assert merge_spans([found[0], []], windows, 16, mode=None) == [(6, 7, "org", 0.4)]
