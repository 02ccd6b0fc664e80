"""Sliding windows: run a fixed-length span model over documents of any length.

    plan_windows(costs, budget, overlap, max_units)  → Windows covering every unit (word or character)
    predict_windowed(examples, predict, costs, ...)   → spans in document coordinates

The model-side contract is one function, `predict(pieces) → spans per piece`, where a piece is
an `Example` holding a window's words (and their character offsets, so a predictor may use
them) and a span is `(start, end_inclusive, label, score)` in the piece's own unit indices.
Any span model fits it (GLiNER, GlobalPointer, any encoder, relative positions included).

Merging: each window owns the spans that start in its part of the document: the overlap of
two neighbours is split at its middle, and a window's spans starting outside its own part are
dropped (the neighbour saw them with more context on both sides). So an entity cut at a
window's edge, whose fragment a nested decoder would otherwise keep inside the whole entity,
counts only from the window where it lies whole, as long as half the overlap is at least the
longest entity. Ownership decides which spans stay; a span that several windows found keeps
the highest score any of them gave it (duplicates go). The kept spans are shifted to document
indices and resolved like one decoding pass (by score, `flat` or `nested`, see
spanlab.decoding.spans), which settles spans that reach across the middle of an overlap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spanlab.data.schema import Example
from spanlab.decoding.spans import resolve
from spanlab.errors import SpanlabError

Span = tuple[int, int, str, float]  # (start, end_inclusive, label, score)


@dataclass(frozen=True)
class Window:
    start: int  # first unit, inclusive
    end: int  # last unit + 1


def plan_windows(costs: Sequence[int], budget: int, overlap: int, max_units: int | None = None) -> list[Window]:
    """Windows over len(costs) units: each as long as `budget` (summed cost, e.g. sub-tokens) and
    `max_units` allow, consecutive ones sharing `overlap` units (at most half a window, so they
    always advance). A single unit costing more than the budget gets a window of its own."""
    if budget < 1 or overlap < 0 or (max_units is not None and max_units < 1):
        raise SpanlabError(
            f"found window budget={budget}, overlap={overlap}, max_units={max_units}; "
            "expected budget >= 1, overlap >= 0, max_units >= 1",
            fix="check model.windows.overlap (words shared by neighbouring windows) and model.max_len",
        )
    n, limit = len(costs), max_units or len(costs)
    windows: list[Window] = []
    start = 0
    while start < n:
        end, total = start, 0
        while end < n and end - start < limit and total + costs[end] <= budget:
            total += costs[end]
            end += 1
        end = max(end, start + 1)
        windows.append(Window(start, end))
        if end == n:
            break
        start = max(end - overlap, (start + end + 1) // 2)
    return windows


def subtoken_counts(tokenizer, examples: Sequence[Example]) -> list[list[int]]:
    """Sub-tokens of every word of every example (one batched fast-tokenizer call), the window costs.

    A word the tokenizer drops (a lone control character) costs 0."""
    if not examples:
        return []
    enc = tokenizer([ex.words for ex in examples], is_split_into_words=True, add_special_tokens=False, verbose=False)
    counts = []
    for k, ex in enumerate(examples):
        c = [0] * len(ex.words)
        for w in enc.word_ids(k):
            if w is not None:
                c[w] += 1
        counts.append(c)
    return counts


def window_example(ex: Example, w: Window) -> Example:
    """The piece of `ex` under window `w` (words, offsets; gold spans are not carried)."""
    offsets = ex.word_offsets[w.start : w.end] if ex.word_offsets is not None else None
    return dataclasses.replace(ex, words=ex.words[w.start : w.end], spans=[], word_offsets=offsets)


def merge_spans(
    found: Sequence[Sequence[Span]], windows: Sequence[Window], length: int, mode: str | None = "flat",
    multi_label: bool = False,
) -> list[Span]:
    """Spans of each window (window indices) → one document's spans (document indices), sorted.

    `windows` are in document order, as `plan_windows` returns them. `mode` None keeps every
    owned span, for decoders that allow any overlap (GlobalPointer: every cell above 0)."""
    best: dict[tuple[int, int, str], float] = {}  # the highest score any window gave a span
    owned: set[tuple[int, int, str]] = set()  # the spans found by the window owning their start
    for spans, w, (own_start, own_end) in zip(found, windows, owned_parts(windows)):
        for start, end, label, score in spans:
            key = (start + w.start, end + w.start, label)
            best[key] = max(score, best.get(key, score))
            if own_start <= key[0] < own_end:
                owned.add(key)
    kept = [(*key, best[key]) for key in owned]
    if mode is None:
        return sorted(kept)
    return resolve(kept, length, mode, multi_label)


def owned_parts(windows: Sequence[Window]) -> list[tuple[int, int]]:
    """[start, end) of the units each window owns: the overlap with a neighbour is cut at its middle."""
    if not windows:
        return []
    cuts = [(a.end + b.start) // 2 for a, b in zip(windows, windows[1:])]
    return list(zip([windows[0].start, *cuts], [*cuts, windows[-1].end]))


def predict_windowed(
    examples: Sequence[Example],
    predict: Callable[[list[Example]], list[list[Span]]],
    costs: Sequence[Sequence[int]],
    budget: int,
    overlap: int,
    max_units: int | None = None,
    mode: str = "flat",
    multi_label: bool = False,
) -> list[list[Span]]:
    """Spans of every example in its own indices; examples that fit one window pass through untouched.

    `costs[k][i]` is what unit i of example k costs against `budget` (its sub-tokens); all pieces
    go to `predict` in one call, so it can batch them.
    """
    plans = [plan_windows(c, budget, overlap, max_units) for c in costs]
    pieces = [window_example(ex, w) for ex, plan in zip(examples, plans) for w in plan]
    found = predict(pieces)
    results, first = [], 0
    for ex, plan in zip(examples, plans):
        mine = found[first : first + len(plan)]
        first += len(plan)
        if len(plan) <= 1:  # one window (or an empty example): nothing to merge
            results.append(list(mine[0]) if plan else [])
        else:
            results.append(merge_spans(mine, plan, len(ex.words), mode, multi_label))
    return results
