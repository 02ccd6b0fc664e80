"""Texts → sub-tokens with character offsets, and gold character spans → token targets.

A gold span maps to tokens (i, j) when a token starts exactly at its first character and
a token ends exactly at its last. When a boundary falls inside a sub-token (or beyond the
`max_len` cut) no token span can represent it: it is counted by reason
(`alignment_report`), left out of the training targets, and stays in the gold set of the
evaluation, where it is a miss. Nothing is dropped without a count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import torch
from transformers import PreTrainedTokenizerBase

from spanlab.data.draws import Draw
from spanlab.data.schema import Example
from spanlab.supervised.data import CharSpan, char_spans

INSIDE_TOKEN = "boundary inside a sub-token"
CUT = "beyond max_len (text cut)"
UNKNOWN_LABEL = "label not in the type list"
NESTED = "overlaps another span (BIO cannot nest)"


def align(offsets: Sequence[tuple[int, int]], real: Sequence[bool], span: CharSpan, text_end: int) -> tuple[int, int] | str:
    """Token span (i, j) of a character span, or the reason it has none."""
    start, end, _ = span
    i = next((t for t, (a, _) in enumerate(offsets) if real[t] and a == start), None)
    j = next((t for t in range(len(offsets) - 1, -1, -1) if real[t] and offsets[t][1] == end), None)
    if i is not None and j is not None and i <= j:
        return i, j
    return CUT if end > text_end else INSIDE_TOKEN


class TokenCollator:
    """Batches of examples → encoder inputs plus the targets of one head kind.

    Texts are cut at `max_len` sub-tokens (None: never, for counting what windows can reach).

    kind "egp"/"gp": `span_index` (B, K, P), positive cells i·T + j per type, padded with -1
    (the sparse multilabel loss needs nothing else). kind "tokencls": `tag_ids` (B, T) with
    0 = O, 1 + 2k = B-label_k, 2 + 2k = I-label_k, -100 on special and padding tokens.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, labels: Sequence[str], max_len: int | None, kind: str):
        self.tokenizer = tokenizer
        self.labels = list(labels)
        self.label_id = {label: k for k, label in enumerate(self.labels)}
        self.max_len = max_len
        self.kind = kind

    def tokenize(self, texts: Sequence[str]) -> dict:
        enc = self.tokenizer(
            list(texts), truncation=self.max_len is not None, max_length=self.max_len, padding=True, return_tensors="pt",
            return_offsets_mapping=True, return_special_tokens_mask=True,
        )
        # tokens that can start or end an entity: real text, neither padding nor [CLS]/[SEP]
        enc["token_mask"] = enc["attention_mask"].bool() & ~enc.pop("special_tokens_mask").bool()
        enc.pop("token_type_ids", None)
        return enc

    def targets(self, example: Example, offsets: list[tuple[int, int]], real: list[bool]) -> tuple[list, Counter]:
        """Aligned (i, j, k) of the example's gold spans, and the count of those left out, by reason."""
        problems: Counter = Counter()
        text_end = max((b for (a, b), r in zip(offsets, real) if r), default=0)
        found = []
        for span in char_spans(example):
            if span[2] not in self.label_id:
                problems[UNKNOWN_LABEL] += 1
                continue
            where = align(offsets, real, span, text_end)
            if isinstance(where, str):
                problems[where] += 1
            else:
                found.append((*where, self.label_id[span[2]]))
        return sorted(set(found)), problems

    def __call__(self, items: Sequence[Example | Draw]) -> dict[str, torch.Tensor]:
        examples = [item.example if isinstance(item, Draw) else item for item in items]  # training sets yield Draws
        enc = self.tokenize([ex.text for ex in examples])
        offsets = enc.pop("offset_mapping").tolist()
        real = enc["token_mask"].tolist()
        B, T = enc["input_ids"].shape
        gold = [self.targets(ex, off, r)[0] for ex, off, r in zip(examples, offsets, real)]
        if self.kind == "tokencls":
            enc["tag_ids"] = self.tag_ids(gold, enc["token_mask"])
        else:
            per_type = [[[i * T + j for i, j, k in spans if k == c] for c in range(len(self.labels))] for spans in gold]
            P = max((len(cells) for row in per_type for cells in row), default=0) or 1
            index = torch.full((B, len(self.labels), P), -1, dtype=torch.long)
            for b, row in enumerate(per_type):
                for c, cells in enumerate(row):
                    index[b, c, : len(cells)] = torch.tensor(cells, dtype=torch.long)
            enc["span_index"] = index
        return dict(enc)

    def tag_ids(self, gold: list[list[tuple[int, int, int]]], token_mask: torch.Tensor) -> torch.Tensor:
        """BIO tag per token; of overlapping spans the earlier (then longer) one wins."""
        tags = torch.zeros(token_mask.shape, dtype=torch.long)
        for b, spans in enumerate(gold):
            for i, j, k in _non_overlapping(spans):
                tags[b, i] = 1 + 2 * k
                tags[b, i + 1 : j + 1] = 2 + 2 * k
        return tags.masked_fill(~token_mask, -100)


def alignment_report(collator: TokenCollator, examples: Sequence[Example], batch_size: int = 256) -> Counter:
    """Gold spans the models cannot learn or predict, by reason (see the module docstring)."""
    problems: Counter = Counter()
    for k in range(0, len(examples), batch_size):
        batch = examples[k : k + batch_size]
        enc = collator.tokenize([ex.text for ex in batch])
        for ex, off, real in zip(batch, enc["offset_mapping"].tolist(), enc["token_mask"].tolist()):
            spans, found = collator.targets(ex, off, real)
            problems.update(found)
            if collator.kind == "tokencls":
                problems[NESTED] += len(spans) - len(_non_overlapping(spans))
    return +problems


def _non_overlapping(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    kept, taken = [], set()
    for i, j, k in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not taken & set(range(i, j + 1)):
            taken.update(range(i, j + 1))
            kept.append((i, j, k))
    return kept
