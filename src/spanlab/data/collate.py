"""Examples + prompt labels → padded tensors for the span model.

One sequence per example: `[CLS] <<ENT>> label_1 … <<ENT>> label_m <<SEP>> word_1 … word_n [SEP]`.
The tokenizer runs on the whole batch at once (fast tokenizer, words pre-split); its word
ids give the first sub-token of every word and the position of every `<<ENT>>`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import torch
from transformers import PreTrainedTokenizerBase

from spanlab.data.draws import Draw
from spanlab.data.schema import Example
from spanlab.encoder.load import ENT_TOKEN, SEP_TOKEN

logger = logging.getLogger(__name__)


class SpanCollator:
    """Turns a list of Examples into model inputs; with a `label_sampler`, also training targets."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        max_width: int,
        max_len: int,
        label_sampler: Callable[..., list[list[str]]] | None = None,  # (examples, rng) → prompts
        max_tokens: int | None = None,  # the encoder's limit; None: the tokenizer's, at most 512
    ):
        self.tokenizer = tokenizer
        self.max_width = max_width
        self.max_len = max_len
        self.label_sampler = label_sampler
        self.max_tokens = max_tokens or min(getattr(tokenizer, "model_max_length", 512), 512)
        self.words_cut = 0  # words dropped because an example exceeded max_len or the token limit

    def __call__(self, items: Sequence[Example | Draw]) -> dict[str, torch.Tensor]:
        """Collate Examples, or training Draws (whose first key seeds the label sampling)."""
        rng = items[0].rng() if isinstance(items[0], Draw) else None
        examples = [item.example if isinstance(item, Draw) else item for item in items]
        if self.label_sampler is not None:
            prompts = self.label_sampler(examples, rng)
        else:
            prompts = [ex.labels if ex.labels is not None else ex.positive_labels for ex in examples]
        return self.encode(examples, prompts, with_targets=self.label_sampler is not None)

    def encode(
        self, examples: Sequence[Example], prompts: Sequence[Sequence[str]], with_targets: bool = False
    ) -> dict[str, torch.Tensor]:
        sequences = []
        for ex, labels in zip(examples, prompts):
            prompt = [tok for label in labels for tok in (ENT_TOKEN, label)] + [SEP_TOKEN]
            sequences.append(prompt + ex.words[: self.max_len])
        enc = self.tokenizer(
            sequences, is_split_into_words=True, truncation=True, max_length=self.max_tokens, padding=True,
            return_tensors="pt",
        )
        B = len(examples)
        n_labels = [len(p) for p in prompts]
        label_pos = torch.zeros(B, max(max(n_labels), 1), dtype=torch.long)
        label_end = torch.zeros_like(label_pos)
        words_pos: list[list[int]] = []
        for b, (ex, c) in enumerate(zip(examples, n_labels)):
            first: dict[int, int] = {}  # pre-split word index → its first sub-token
            for t, w in enumerate(enc.word_ids(b)):
                if w is not None and w not in first:
                    first[w] = t
            label_pos[b, :c] = torch.tensor([first[2 * k] for k in range(c)], dtype=torch.long)  # the <<ENT>>s
            label_end[b, :c] = torch.tensor([first[2 * k + 2] for k in range(c)], dtype=torch.long)  # next <<ENT>>/<<SEP>>
            words_pos.append(self._word_positions(first, 2 * c + 1, min(len(ex.words), self.max_len)))
        n_words = [len(p) for p in words_pos]
        for ex, n in zip(examples, n_words):
            if n < len(ex.words):
                self.words_cut += len(ex.words) - n
                logger.warning(
                    "%s: text of %d words cut to %d (max_len=%d words, %d tokens); "
                    "use sliding windows for long documents",
                    ex.source or "input", len(ex.words), n, self.max_len, self.max_tokens,
                )
        L = max(max(n_words), 1)
        word_pos = torch.zeros(B, L, dtype=torch.long)
        for b, p in enumerate(words_pos):
            word_pos[b, : len(p)] = torch.tensor(p, dtype=torch.long)
        batch = {
            "input_ids": enc["input_ids"],
            "attention_mask": enc["attention_mask"],
            "word_pos": word_pos,  # (B, L) token index of each word's first sub-token
            "word_count": torch.tensor(n_words),  # (B,)
            "label_pos": label_pos,  # (B, C) token index of each label's <<ENT>>
            "label_end": label_end,  # (B, C) token index just past the label's own tokens
            "label_count": torch.tensor(n_labels),  # (B,)
        }
        if with_targets:
            batch["span_targets"] = self._targets(examples, prompts, n_words, L, label_pos.shape[1])
        return batch

    @staticmethod
    def _word_positions(first: dict[int, int], offset: int, n: int) -> list[int]:
        """First sub-token of each text word; stops at the first word cut by the token limit.

        A word the tokenizer turns into nothing (e.g. a lone zero-width character) borrows
        the next token's position, so word indices stay aligned with the text.
        """
        last = max((w for w in first if w >= offset), default=offset - 1) - offset + 1  # words that survived
        positions, pending = [], 0
        for j in range(min(n, last)):
            if offset + j in first:
                positions += [first[offset + j]] * (pending + 1)
                pending = 0
            else:
                pending += 1
        return positions

    def _targets(self, examples, prompts, n_words, L: int, C: int) -> torch.Tensor:
        """(B, L, W, C): 1 where words i..i+w form a gold span of label c."""
        targets = torch.zeros(len(examples), L, self.max_width, C)
        for b, (ex, labels, n) in enumerate(zip(examples, prompts, n_words)):
            index = {label: c for c, label in enumerate(labels)}
            for s in ex.spans:
                width = s.end - s.start
                if s.label in index and s.end < n and width < self.max_width:
                    targets[b, s.start, width, index[s.label]] = 1.0
        return targets
