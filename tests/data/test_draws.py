"""Training draws: a batch's prompt labels depend on (seed, epoch, position), not on what was collated before."""

from __future__ import annotations

import random

from spanlab.config import NegativesConfig
from spanlab.data.collate import SpanCollator
from spanlab.data.draws import ExampleDataset
from spanlab.data.prompts import LabelSampler
from spanlab.data.schema import Example, Span

VOCAB = [f"type{i}" for i in range(40)]
EXAMPLES = [Example(words=["w0", "w1"], spans=[Span(0, 0, VOCAB[i])]) for i in range(6)]


def prompts(collator, dataset, indices):
    batch = collator([dataset[i] for i in indices])
    return batch["label_count"].tolist(), batch["input_ids"].tolist()


def test_prompts_follow_the_draw_key_not_the_call_order(tiny_tokenizer):
    sampler = LabelSampler(NegativesConfig(source="vocabulary", count="fill"), 8, VOCAB)
    collator = SpanCollator(tiny_tokenizer, 3, 10, sampler)
    dataset = ExampleDataset(EXAMPLES, seed=3)
    first = prompts(collator, dataset, [2, 3])
    random.random()  # a global RNG moved on (as by a prefetched batch) changes nothing
    prompts(collator, dataset, [4, 5])
    assert prompts(collator, dataset, [2, 3]) == first
    assert dataset[2].key == "3:0:2"

    dataset.set_epoch(1)  # a new epoch draws new prompts for the same examples
    assert dataset[2].key == "3:1:2" and prompts(collator, dataset, [2, 3]) != first
    assert prompts(collator, ExampleDataset(EXAMPLES, seed=4), [2, 3]) != first  # and so does a new seed
