"""Consecutive sentences of one file joined into one training example.

Long documents are read in windows that hold many sentences, but most NER training sets are
single sentences, and a model trained on those alone misses entities once a sentence has
neighbours (benchmarks/results/CONTEXT-RECALL-*.md: an EGP model's CoNLL recall is 88.6 for
sentences alone, 77.0 for the same sentences 8 at a time). `pack_sentences` joins 1 to `most`
consecutive examples of the same file (the count drawn per pack), so training shows both.
"""

from __future__ import annotations

import random

from spanlab.data.prompts import source_file
from spanlab.data.schema import Example, Span
from spanlab.errors import ConfigError


def pack_sentences(examples: list[Example], most: int, seed: int, sep: str = " ") -> list[Example]:
    """Examples in the same order, runs of 1..`most` consecutive ones from one file joined; `most` 1 = off."""
    if most < 1:
        raise ConfigError(f"data.pack_sentences must be ≥ 1, found {most}", fix="1 (no packing) or the most sentences per example")
    if most == 1:
        return examples
    rng = random.Random(seed)
    packed, i = [], 0
    while i < len(examples):
        end = min(i + rng.randint(1, most), len(examples))
        j = i + 1
        while j < end and source_file(examples[j]) == source_file(examples[i]):
            j += 1
        packed.append(join(examples[i:j], sep))
        i = j
    return packed


def join(group: list[Example], sep: str = " ") -> Example:
    """One example reading `group` in order: words and spans shifted, texts joined with `sep`."""
    if len(group) == 1:
        return group[0]
    with_text = all(ex.text is not None and ex.word_offsets is not None for ex in group)
    words: list[str] = []
    spans: list[Span] = []
    offsets: list[tuple[int, int]] = []
    chars = 0
    for ex in group:
        shift = len(words)
        words += ex.words
        spans += [Span(s.start + shift, s.end + shift, s.label) for s in ex.spans]
        if with_text:
            offsets += [(a + chars, b + chars) for a, b in ex.word_offsets]
            chars += len(ex.text) + len(sep)
    present = {s.label for s in spans}
    # A label absent from one sentence may be present in its neighbour: only labels absent from all stay negative.
    negatives = [n for n in dict.fromkeys(n for ex in group for n in ex.negatives) if n not in present]
    prompts = [ex.labels for ex in group if ex.labels is not None]
    return Example(
        words=words,
        spans=spans,
        negatives=negatives,
        labels=list(dict.fromkeys(label for labels in prompts for label in labels)) if prompts else None,
        text=sep.join(ex.text for ex in group) if with_text else None,
        word_offsets=offsets if with_text else None,
        source=group[0].source,
    )

