"""Turn span probabilities into entities: threshold, then greedy by score.

Input convention, one example: `probs` (L, W, C) where [i, w, c] is the probability that
words i..i+w (inclusive) form an entity of label c. Entries with i + w >= length run past
the sentence; they are masked here even if the caller forgot to zero them.

Rules, shared by `decode` and `decode_batch`:
- threshold: a candidate needs probs > threshold (strict, as in GLiNER); probs == threshold is dropped.
- order: candidates are visited by descending score; equal scores go to the earlier start,
  then the shorter span, then the lower label index (a stable sort over torch.nonzero's
  row-major (start, width, label) order).
- greedy: a candidate is kept unless an already kept span blocks it.
  "flat":   any kept span sharing a word blocks it.
  "nested": only a crossing kept span blocks it (partial overlap); one span fully inside
            another is allowed.
  In both modes a kept span with the same (start, end) blocks it unless multi_label=True,
  in which case one (start, end) may carry several labels.
Output: (start, end_inclusive, label_index, score) tuples sorted by (start, end, label).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from spanlab.errors import SpanlabError

MODES = ("flat", "nested")

Entity = tuple[int, int, int, float]  # (start, end_inclusive, label_index, score)


def decode(
    probs: torch.Tensor, threshold: float = 0.5, mode: str = "flat", multi_label: bool = False
) -> list[Entity]:
    """Decode one example's (L, W, C) span probabilities; see the module docstring for the rules."""
    probs = torch.as_tensor(probs)
    if probs.dim() != 3:
        raise SpanlabError(
            f"found probs of shape {tuple(probs.shape)}; expected (L, W, C) for one example",
            fix="use decode_batch for a (B, L, W, C) batch",
        )
    return decode_batch(probs.unsqueeze(0), [probs.shape[0]], threshold, mode, multi_label)[0]


def decode_batch(
    probs: torch.Tensor,
    lengths: Sequence[int] | torch.Tensor,
    threshold: float = 0.5,
    mode: str = "flat",
    multi_label: bool = False,
) -> list[list[Entity]]:
    """Decode a (B, L, W, C) batch; lengths[b] is the number of real words of example b.

    Thresholding and candidate ordering run on the whole batch in torch (on probs' device);
    the surviving candidates cross to python once, then each example is resolved greedily.
    """
    _check_mode(mode)
    probs = torch.as_tensor(probs)
    if probs.dim() != 4:
        raise SpanlabError(
            f"found probs of shape {tuple(probs.shape)}; expected (B, L, W, C)",
            fix="use decode for a single (L, W, C) example",
        )
    B, L, W, C = probs.shape
    lengths = torch.as_tensor(lengths, device=probs.device).reshape(-1)  # (B,)
    if lengths.numel() != B or bool(((lengths < 0) | (lengths > L)).any()):
        raise SpanlabError(
            f"found lengths {lengths.tolist()}; expected {B} values in 0..{L} for probs of shape {tuple(probs.shape)}",
            fix="pass the number of words of each example, one per batch row",
        )

    # A span is valid when its last word start + width lies inside its sentence.
    last_word = torch.arange(L, device=probs.device)[:, None] + torch.arange(W, device=probs.device)  # (L, W)
    valid = last_word[None] < lengths[:, None, None]  # (B, L, W)
    keep = (probs > threshold) & valid[..., None]  # (B, L, W, C)
    idx = keep.nonzero()  # (K, 4): b, start, width, label in row-major order
    scores = probs[keep]  # (K,) same order as idx

    # Descending score, ties kept in row-major order; then regroup by example (stable again).
    order = torch.sort(scores, descending=True, stable=True).indices  # (K,)
    order = order[torch.sort(idx[order, 0], stable=True).indices]  # (K,)
    idx, scores = idx[order], scores[order]  # (K, 4), (K,)

    # The one device -> host copy, as 1-D columns (a (K, 4) .tolist() is ~30x slower).
    starts, ends, labels = torch.stack([idx[:, 1], idx[:, 1] + idx[:, 2], idx[:, 3]]).tolist()  # 3 x (K,)
    candidates = list(zip(starts, ends, labels, scores.float().tolist()))  # visiting order, grouped by example
    per_example = torch.bincount(idx[:, 0], minlength=B).tolist()  # (B,) candidates of each example

    out, first = [], 0
    for n_words, n_cands in zip(lengths.tolist(), per_example):
        out.append(_greedy(candidates[first : first + n_cands], n_words, mode, multi_label))
        first += n_cands
    return out


def resolve(candidates: Sequence[tuple], length: int, mode: str = "flat", multi_label: bool = False) -> list[tuple]:
    """Greedy resolution of (start, end_inclusive, label, score) candidates from any source (e.g.
    several windows), by the module's rules: descending score, then earlier start, shorter span, label."""
    _check_mode(mode)
    order = sorted(candidates, key=lambda c: (-c[3], c[0], c[1], c[2]))
    return _greedy(order, length, mode, multi_label)


def _greedy(candidates: list[Entity], length: int, mode: str, multi_label: bool) -> list[Entity]:
    """Keep each candidate (already in visiting order) unless a kept span blocks it."""
    covering: list[list[tuple[int, int]]] = [[] for _ in range(length)]  # kept (start, end) over each word
    kept = []
    for start, end, label, p in candidates:
        # Only kept spans sharing a word can block, so look at the words this span covers.
        if any(_blocks(a, start, end, mode, multi_label) for j in range(start, end + 1) for a in covering[j]):
            continue
        kept.append((start, end, label, p))
        for j in range(start, end + 1):
            covering[j].append((start, end))
    return sorted(kept)


def _blocks(kept: tuple[int, int], start: int, end: int, mode: str, multi_label: bool) -> bool:
    """Whether a kept span (sharing at least one word) blocks the candidate start..end."""
    a_start, a_end = kept
    if (a_start, a_end) == (start, end):
        return not multi_label
    if mode == "flat":
        return True
    nested = (a_start <= start and end <= a_end) or (start <= a_start and a_end <= end)
    return not nested


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise SpanlabError(
            f"found decoding mode {mode!r}; expected one of {', '.join(MODES)}",
            fix='use mode="flat" for non-overlapping entities or mode="nested" to allow one inside another',
        )
