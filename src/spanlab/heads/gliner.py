"""The GLiNER span head: word and label vectors in, (span, label) logits out.

Forward pass, for B examples of L words, C labels, spans of width up to W, width D:
  words  (B, L, D_enc) → projection → BiLSTM               → h (B, L, D)
  labels (B, C, D_enc) → projection → MLP D→4D→D           → q (B, C, D)
  markerV0: start_i = MLP_s(h_i), end_j = MLP_e(h_j)        (B, L, D) each
            span(i, j) = MLP_span(ReLU([start_i; end_j]))   MLP 2D→4D→D
  marker:   the same with MLPs D→2D→D for start and end, and one Linear 2D→D for the span
            (gliner's older `marker` span mode; `span_mode` picks one)
  logit(i, j, c) = span(i, j) · q_c

The span MLP is evaluated without materialising the (B, L, W, 2D) concatenation or the
(B, L, W, D) span vectors: its first layer is split into the start half and the end half
(computed once per word), and its last layer is folded into the label vectors
(`(W₂h + b₂)·q = h·(W₂ᵀq) + b₂·q`). Same parameters, same function, ~15× fewer FLOPs
for the span part; `span_vectors` computes the plain form (tests check they agree).

Only real words and the spans that lie inside their example are computed: in a shuffled
batch about half of the (B, L) words are padding. The spans' logits are scattered back into
the (B, L, W, C) grid, whose other cells hold 0 (`span_mask` marks which cells count).

The `marker` span layer is a single Linear, so all of it folds into the labels:
`(Wˢs + Wᵉe + b)·q = s·(Wˢᵀq) + e·(Wᵉᵀq) + b·q`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


SPAN_MODES = ("markerV0", "marker")


def mlp(d_in: int, d_out: int, dropout: float, expansion: int = 4) -> nn.Sequential:
    """GLiNER's projection block: Linear(d_in, k·d_out) → ReLU → Dropout → Linear(k·d_out, d_out), k = expansion."""
    k = expansion * d_out
    return nn.Sequential(nn.Linear(d_in, k), nn.ReLU(), nn.Dropout(dropout), nn.Linear(k, d_out))


class BiLSTM(nn.Module):
    """Bidirectional LSTM over the words of each example; padding is packed away."""

    def __init__(self, width: int, layers: int):
        super().__init__()
        self.lstm = nn.LSTM(width, width // 2, num_layers=layers, bidirectional=True, batch_first=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        L = x.shape[1]
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=L)
        return out  # (B, L, D)


class GlinerHead(nn.Module):
    def __init__(
        self,
        encoder_width: int,
        hidden_size: int,
        max_width: int,
        lstm_layers: int,
        dropout: float,
        span_mode: str = "markerV0",
    ):
        super().__init__()
        D = hidden_size
        if D % 2:
            raise ValueError(f"hidden_size must be even for the BiLSTM, found {D}")
        if span_mode not in SPAN_MODES:
            raise ValueError(f"span_mode must be one of {', '.join(SPAN_MODES)}, found {span_mode!r}")
        self.max_width = max_width
        self.span_mode = span_mode
        self.projection = nn.Linear(encoder_width, D) if encoder_width != D else nn.Identity()
        self.lstm = BiLSTM(D, lstm_layers) if lstm_layers > 0 else None
        expansion = 4 if span_mode == "markerV0" else 2
        self.start_mlp = mlp(D, D, dropout, expansion)
        self.end_mlp = mlp(D, D, dropout, expansion)
        self.span_mlp = mlp(2 * D, D, dropout) if span_mode == "markerV0" else nn.Linear(2 * D, D)
        self.label_mlp = mlp(D, D, dropout)

    def forward(
        self,
        words: torch.Tensor,  # (B, L, D_enc)
        word_count: torch.Tensor,  # (B,)
        labels: torch.Tensor,  # (B, C, D_enc)
    ) -> torch.Tensor:
        h = self._word_states(words, word_count)  # (B, L, D)
        q = self.label_mlp(self.projection(labels))  # (B, C, D)
        if self.span_mode == "marker":
            return self._marker_logits(h, q)
        if torch.onnx.is_in_onnx_export():  # a traced graph cannot hold the data-dependent packing below
            return self._grid_logits(h, q, word_count)
        first, _, drop, last = self.span_mlp
        B, L, D = h.shape
        W = self.max_width
        # Real words only, packed: (N_words, D). Padding never reaches the MLPs.
        word_count = word_count.to(h.device)
        h = h[torch.arange(L, device=h.device)[None] < word_count[:, None]]
        # First span layer, split: W₁[s; e] = W₁ˢ s + W₁ᵉ e, each computed once per word.
        from_start = F.linear(self.start_mlp(h).relu(), first.weight[:, :D], first.bias)  # (N_words, 4D)
        from_end = F.linear(self.end_mlp(h).relu(), first.weight[:, D:])  # (N_words, 4D)
        # Spans inside their example, row-major (example, start, width): (N_spans,) each.
        valid = span_mask(word_count, L, W)  # (B, L, W)
        b, i, w = valid.nonzero(as_tuple=True)
        first_word = word_count.cumsum(0) - word_count  # row of each example's first word in the packing
        hidden = from_start[first_word[b] + i]  # (N_spans, 4D)
        hidden += from_end[first_word[b] + i + w]  # in place: the largest tensor of the head, one copy fewer
        hidden = relu_dropout(hidden, drop.p, self.training)
        # Last span layer folded into the labels.
        q_hidden = q @ last.weight  # (B, C, 4D)
        q_bias = q @ last.bias  # (B, C)
        per_example = valid.flatten(1).sum(1).tolist()
        scores = torch.cat([x @ qh.T + qb for x, qh, qb in zip(hidden.split(per_example), q_hidden, q_bias)])
        logits = scores.new_zeros(B * L * W, scores.shape[-1]).index_copy(0, (b * L + i) * W + w, scores)
        return logits.view(B, L, W, -1)  # (B, L, W, C); 0 outside the text

    def _grid_logits(self, h: torch.Tensor, q: torch.Tensor, word_count: torch.Tensor) -> torch.Tensor:
        """markerV0 over the whole (B, L, W) grid, padding included (inference only, for export).

        One width at a time, so that only one (B, L, 4D) hidden layer is alive at once, not the
        (B, L, W, 4D) grid, which at batch 32 of long sentences is hundreds of MB. Independent
        widths are not enough: onnxruntime runs ready nodes breadth-first, every width's Add
        before any width's MatMul, so each width is chained to the one before (`_after`).
        """
        first, _, _, last = self.span_mlp
        B, L, D = h.shape
        from_start = F.linear(self.start_mlp(h).relu(), first.weight[:, :D], first.bias)  # (B, L, 4D)
        from_end = F.linear(self.end_mlp(h).relu(), first.weight[:, D:])  # (B, L, 4D)
        from_end = F.pad(from_end, (0, 0, 0, self.max_width - 1))  # (B, L + W - 1, 4D)
        q_hidden = (q @ last.weight).transpose(1, 2)  # (B, 4D, C)
        widths = [(from_start + from_end[:, :L]).relu() @ q_hidden]  # (B, L, C) per width
        for w in range(1, self.max_width):
            hidden = _after(from_start + from_end[:, w : w + L], widths[-1])
            widths.append(hidden.relu() @ q_hidden)
        logits = torch.stack(widths, dim=2) + (q @ last.bias)[:, None, None, :]  # (B, L, W, C)
        return logits * span_mask(word_count, L, self.max_width)[..., None]  # 0 outside the text

    def _marker_logits(self, h: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """`marker` mode: the span Linear folded into the labels, (B, L, D) × (B, C, D) → (B, L, W, C)."""
        D = h.shape[-1]
        out = self.span_mlp
        q_start = q @ out.weight[:, :D]  # (B, C, D): Wˢᵀq
        q_end = q @ out.weight[:, D:]  # (B, C, D): Wᵉᵀq
        from_start = self.start_mlp(h).relu() @ q_start.transpose(1, 2)  # (B, L, C)
        from_end = self.end_mlp(h).relu() @ q_end.transpose(1, 2)  # (B, L, C)
        return from_start.unsqueeze(2) + self._ends(from_end) + (q @ out.bias)[:, None, None, :]

    def span_vectors(self, words: torch.Tensor, word_count: torch.Tensor) -> torch.Tensor:
        """The plain span representation (B, L, W, D) of the head's span mode, for tests and inspection."""
        h = self._word_states(words, word_count)
        start, end = self.start_mlp(h), self._ends(self.end_mlp(h))  # (B, L, D), (B, L, W, D)
        start = start.unsqueeze(2).expand_as(end)
        return self.span_mlp(torch.cat([start, end], dim=-1).relu())

    def _word_states(self, words: torch.Tensor, word_count: torch.Tensor) -> torch.Tensor:
        h = self.projection(words)
        return self.lstm(h, word_count) if self.lstm is not None else h

    def _ends(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, K) → (B, L, W, K) where [:, i, w] = x[:, i + w] (zeros past the end)."""
        B, L, K = x.shape
        padded = F.pad(x, (0, 0, 0, self.max_width - 1))  # (B, L + W - 1, K)
        if torch.onnx.is_in_onnx_export():  # ONNX has no unfold over a dynamic axis: W shifted slices instead
            return torch.stack([padded[:, w : w + L] for w in range(self.max_width)], dim=2)  # (B, L, W, K)
        return padded.unfold(1, self.max_width, 1).permute(0, 1, 3, 2)  # (B, L, W, K)


def _after(x: torch.Tensor, earlier: torch.Tensor) -> torch.Tensor:
    """`x` unchanged, but computed after `earlier` in an exported graph (a zero-valued data dependency)."""
    return x + earlier[..., :1] * 0


def relu_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Dropout(ReLU(x)) as one mask multiply: ReLU(x · m) with m ∈ {0, 1/(1−p)}.

    Equal in distribution to nn.Dropout after nn.ReLU (m ≥ 0 commutes with ReLU), at a
    third of the cost of F.dropout's bernoulli draw on large CPU tensors. Without dropout
    the ReLU is taken in place: `x` is the caller's own buffer.
    """
    if not training or p == 0:
        return x.relu_()
    keep = (torch.rand_like(x) >= p).to(x.dtype).mul_(1 / (1 - p))
    return (x * keep).relu()


def span_mask(word_count: torch.Tensor, L: int, W: int) -> torch.Tensor:
    """(B, L, W) bool: span (i, i + w) lies inside the example's words."""
    ends = torch.arange(L, device=word_count.device)[:, None] + torch.arange(W, device=word_count.device)[None, :]
    return ends[None] < word_count[:, None, None]
