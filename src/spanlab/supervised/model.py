"""FixedLabelModel = a Hugging Face encoder + a head over a fixed label set.

    model = FixedLabelModel.from_pretrained("runs/conll03-egp/model")
    model.predict(["Ada Lovelace was born in London."])
    → [[{"start": 0, "end": 12, "text": "Ada Lovelace", "label": "person", "score": 0.98}, ...]]

Heads (`model.head`):
- "egp" / "gp": (Efficient) GlobalPointer, one logit per (type, start token, end token),
  trained with the sparse multilabel categorical cross-entropy; every cell with logit > 0
  is an entity, so nested and multi-label spans come out as they are.
- "tokencls": the baseline, softmax over BIO tags per sub-token (cross-entropy); spans are
  read off the tags (an I- that continues nothing starts a span).

Long texts: a text over `max_len` sub-tokens runs in overlapping windows of whole words (or
characters, for character-level examples), merged by spanlab.inference.windows; or in one
pass, with `long_positions` (HDPE) stretching the encoder's position table.

A saved model is a folder like SpanModel's: `config.json` (spanlab's, with the label set),
`model.safetensors`, the tokenizer files and `encoder/config.json`. Nothing is unpickled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from spanlab.config import ModelConfig
from spanlab.data.schema import Example
from spanlab.data.words import split_words
from spanlab.encoder.hdpe import apply_long_positions
from spanlab.encoder.local_attention import encoder_mask
from spanlab.encoder.position_skip import training_positions
from spanlab.encoder.load import encoder_from_config, load_encoder, load_tokenizer
from spanlab.errors import ModelLoadError, SpanlabError
from spanlab.heads.globalpointer import build_pointer
from spanlab.heads.mcce import mcce_sparse
from spanlab.inference.windows import Window, merge_spans, plan_windows, subtoken_counts
from spanlab.model import CONFIG_NAME, _read_json, saved_config, write_metadata
from spanlab.supervised.encoding import TokenCollator
from spanlab.weights import load_weights, save_weights

FORMAT_VERSION = 1
TokenSpan = tuple[int, int, int, float]  # (first token, last token, label index, score)


class FixedLabelModel(nn.Module):
    def __init__(self, config: ModelConfig, labels: Sequence[str], encoder: PreTrainedModel,
                 tokenizer: PreTrainedTokenizerBase):
        super().__init__()
        if config.head not in ("egp", "gp", "tokencls"):
            raise SpanlabError(f"model.head: found {config.head!r}; FixedLabelModel takes egp, gp or tokencls")
        if not labels:
            raise SpanlabError("no labels: the fixed label set is empty", fix="set model.labels or give data.train spans")
        self.spec = config  # not `config`: the HF Trainer expects a PretrainedConfig there
        self.labels = list(labels)
        positions = config.long_positions
        apply_long_positions(encoder, tokenizer, positions)  # before any weights are loaded
        if positions.attention_band < 0:
            raise SpanlabError(f"model.long_positions.attention_band: found {positions.attention_band}",
                               fix="0 (full attention) or the number of tokens each side a token attends to")
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.dropout = nn.Dropout(config.dropout)
        width = encoder.config.hidden_size
        if config.head == "tokencls":
            self.head = nn.Linear(width, 1 + 2 * len(self.labels))  # O, then B-/I- per label
        else:
            self.head = build_pointer(config.head, width, len(self.labels), config.head_size)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_encoder(cls, config: ModelConfig, labels: Sequence[str]) -> FixedLabelModel:
        """A new model: pretrained (or character-level random) encoder, randomly initialised head."""
        tokenizer = load_tokenizer(config.encoder)
        return cls(config, labels, load_encoder(config.encoder, len(tokenizer)), tokenizer)

    @classmethod
    def from_pretrained(cls, path: str | Path, **overrides: Any) -> FixedLabelModel:
        """A folder saved by spanlab; `overrides` replace ModelConfig fields, e.g. `max_len=8192` with
        `long_positions=LongPositionsConfig("hdpe", max_positions=8192)` to read whole documents in one pass."""
        path = Path(path)
        meta = _read_json(path / CONFIG_NAME)
        if meta.get("architecture") not in ("egp", "gp", "tokencls"):
            raise ModelLoadError(
                f"{path / CONFIG_NAME}: found architecture {meta.get('architecture')!r}, expected egp, gp or tokencls",
                fix="a GLiNER model folder loads with SpanModel.from_pretrained",
            )
        config = saved_config(meta, path, overrides)
        model = cls(config, meta["labels"], encoder_from_config(path / "encoder"), AutoTokenizer.from_pretrained(str(path)))
        load_weights(model, path)
        model.eval()
        return model

    def save_pretrained(self, path: str | Path) -> None:
        """Write the model folder; the weights go last, atomically."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.save_metadata(path)
        save_weights(self, path)

    def save_metadata(self, path: str | Path) -> None:
        """Everything but the weights: config with the label set, tokenizer, encoder architecture."""
        write_metadata(self, path, {"architecture": self.spec.head, "labels": self.labels})

    def collator(self) -> TokenCollator:
        return TokenCollator(self.tokenizer, self.labels, self.spec.max_len, self.spec.head)

    # ------------------------------------------------------------------ forward

    def forward(
        self,
        input_ids: torch.Tensor,  # (B, T)
        attention_mask: torch.Tensor,  # (B, T)
        token_mask: torch.Tensor,  # (B, T) bool: tokens that may start or end an entity
        span_index: torch.Tensor | None = None,  # (B, K, P) egp/gp targets, -1 padded
        tag_ids: torch.Tensor | None = None,  # (B, T) tokencls targets, -100 ignored
    ) -> dict[str, torch.Tensor]:
        positions = training_positions(self, attention_mask)  # None: 0, 1, 2, …
        mask = encoder_mask(self, attention_mask)  # (B, T), or (B, 1, T, T) banded
        h = self.encoder(input_ids=input_ids, attention_mask=mask, position_ids=positions).last_hidden_state
        h = self.dropout(h)  # (B, T, H)
        if self.spec.head == "tokencls":
            logits = self.head(h)  # (B, T, 1 + 2K)
            out = {"logits": logits}
            if tag_ids is not None:
                out["loss"] = nn.functional.cross_entropy(logits.flatten(0, 1).float(), tag_ids.flatten())
            return out
        logits = self.head(h, token_mask)  # (B, K, T, T), masked cells at the dtype's minimum
        out = {"logits": logits}
        if span_index is not None:
            B, K, T, _ = logits.shape
            out["loss"] = mcce_sparse(logits.reshape(B * K, T * T).float(), span_index.reshape(B * K, -1)).mean()
        return out

    # ------------------------------------------------------------------ decoding

    def decode(self, logits: torch.Tensor, token_mask: torch.Tensor, min_logit: float = 0.0) -> list[list[TokenSpan]]:
        """One batch of logits → token spans per example: the pointer heads keep cells above
        `min_logit` (0, the loss's own boundary; lower to sweep thresholds from one pass)."""
        if self.spec.head == "tokencls":
            return [_bio_spans(p, m) for p, m in zip(logits.float().softmax(-1), token_mask)]
        found: list[list[TokenSpan]] = [[] for _ in range(logits.shape[0])]
        positive = logits > min_logit  # masked cells are at the dtype's minimum: never above it
        if self.spec.max_span_tokens > 0:  # only cells within max_span_tokens of the diagonal
            T = logits.shape[-1]
            too_long = torch.ones(T, T, dtype=torch.bool, device=logits.device).triu(self.spec.max_span_tokens)
            positive &= ~too_long
        for b, k, i, j in positive.nonzero().tolist():
            found[b].append((i, j, k, float(torch.sigmoid(logits[b, k, i, j].float()))))
        return found

    @torch.inference_mode()
    def predict_examples(
        self, examples: Sequence[Example], batch_size: int = 16, windows: bool | None = None, min_logit: float = 0.0
    ) -> list[list[tuple[int, int, str, float]]]:
        """Character spans (start, end_exclusive, label, score) for each example's text, in input order.

        A text over `max_len` sub-tokens runs in windows of whole units (the example's words or
        characters as `word_offsets` gives them, else `split_words` of its text) that fit
        `max_len`, `model.windows.overlap` units apart; each window owns the spans starting in
        its part and all owned spans are kept, as the pointer decoding keeps every cell above 0.
        `windows=False` (or `model.windows.enabled: false`) cuts the text at `max_len` instead.
        `min_logit` below 0 also keeps spans scored under 0.5, for a threshold sweep (`decode`).
        """
        if not (self.spec.windows.enabled if windows is None else windows):
            return self._predict_fitting(examples, batch_size, min_logit)
        units = [ex if ex.word_offsets is not None else _with_words(ex) for ex in examples]
        budget = self.spec.max_len - self.tokenizer.num_special_tokens_to_add()
        plans = [plan_windows(c, budget, self.spec.windows.overlap) for c in subtoken_counts(self.tokenizer, units)]
        # Character windows over each text; a text that fits one window goes in whole.
        spans_of = [[Window(ex.word_offsets[w.start][0], ex.word_offsets[w.end - 1][1]) for w in plan]
                    if len(plan) > 1 else [] for ex, plan in zip(units, plans)]
        pieces = [ex if not spans else Example(words=[], text=ex.text[w.start : w.end])
                  for ex, spans in zip(units, spans_of) for w in (spans or [None])]
        found = self._predict_fitting(pieces, batch_size, min_logit)
        results, first = [], 0
        for ex, spans in zip(units, spans_of):
            mine = found[first : first + max(len(spans), 1)]
            first += max(len(spans), 1)
            if not spans:
                results.append(mine[0])
                continue
            inclusive = [[(a, b - 1, label, p) for a, b, label, p in piece] for piece in mine]
            merged = merge_spans(inclusive, spans, len(ex.text), mode=None)
            results.append([(a, b + 1, label, p) for a, b, label, p in merged])
        return results

    def _predict_fitting(
        self, examples: Sequence[Example], batch_size: int, min_logit: float = 0.0
    ) -> list[list[tuple[int, int, str, float]]]:
        """predict_examples for texts that fit one pass (longer ones are cut at `max_len` sub-tokens).

        Batches go through the model one at a time and are decoded at once: no (n, K, T, T)
        tensor for the whole set ever exists. Examples are batched by length (less padding).
        """
        was_training = self.training
        self.eval()
        collator = self.collator()
        order = sorted(range(len(examples)), key=lambda i: len(examples[i].text or ""))
        results: list[list[tuple[int, int, str, float]]] = [[] for _ in examples]
        for k in range(0, len(order), batch_size):
            idx = order[k : k + batch_size]
            enc = collator.tokenize([examples[i].text or "" for i in idx])
            offsets = enc.pop("offset_mapping").tolist()
            out = self(**{name: t.to(self.device) for name, t in enc.items()})
            decoded = self.decode(out["logits"], enc["token_mask"].to(self.device), min_logit)
            for i, off, spans in zip(idx, offsets, decoded):
                results[i] = sorted((off[a][0], off[b][1], self.labels[c], p) for a, b, c, p in spans)
        self.train(was_training)
        return results

    def predict(self, texts: Sequence[str], batch_size: int = 16) -> list[list[dict[str, Any]]]:
        """Entities with character offsets for raw texts; nested spans allowed (egp/gp)."""
        for text in texts:
            if not isinstance(text, str):
                raise SpanlabError(f"predict() takes strings, found {type(text).__name__}")
        examples = [Example(words=[], text=text) for text in texts]
        return [
            [{"start": a, "end": b, "text": text[a:b], "label": label, "score": round(p, 4)} for a, b, label, p in spans]
            for text, spans in zip(texts, self.predict_examples(examples, batch_size))
        ]

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


def _with_words(example: Example) -> Example:
    """`example` with the words of its text and their character offsets (split_words)."""
    words, offsets = split_words(example.text or "")
    return dataclasses.replace(example, words=words, word_offsets=offsets)


def _bio_spans(probs: torch.Tensor, token_mask: torch.Tensor) -> list[TokenSpan]:
    """probs (T, 1 + 2K), token_mask (T,) → spans of the argmax tags; score = mean tag probability.

    Tag 0 is O, 1 + 2k is B-k, 2 + 2k is I-k; an I- that continues no open span of its type starts one.
    """
    p, tags = probs.max(-1)  # (T,), (T,)
    spans: list[TokenSpan] = []
    start, label, last = -1, -1, -1

    def close() -> None:
        if start >= 0:
            spans.append((start, last, label, float(p[start : last + 1].mean())))

    for t in token_mask.nonzero().flatten().tolist():
        tag = int(tags[t])
        if tag > 0 and tag % 2 == 0 and start >= 0 and (tag - 1) // 2 == label:
            last = t  # I- continues the open span
            continue
        close()
        start, label, last = (t, (tag - 1) // 2, t) if tag > 0 else (-1, -1, -1)
    close()
    return spans
