"""The training set as the Trainer reads it: every item is a `Draw`, an example plus a key
naming where it was read (seed, epoch, position).

The label sampler's RNG for a batch is seeded from the key of the batch's first draw, so
the prompts of a batch depend only on the seed and the batch's place in the run, not on
how many batches were collated before it. That matters for `--resume`: the data loader
collates one batch ahead of training, so a global RNG saved with a checkpoint has already
moved past the next batch's prompts; a keyed RNG makes a resumed run draw the same prompts
as an uninterrupted one.
"""

from __future__ import annotations

import random
from typing import NamedTuple

import torch

from spanlab.data.schema import Example


class Draw(NamedTuple):
    example: Example
    key: str  # "seed:epoch:index"

    def rng(self) -> random.Random:
        """A fresh RNG determined by the key (str seeds hash with SHA-512: the same in every process)."""
        return random.Random(self.key)


class ExampleDataset(torch.utils.data.Dataset):
    """Examples in a fixed order; the Trainer calls `set_epoch` before every epoch (resumed ones too)."""

    def __init__(self, examples: list[Example], seed: int = 0):
        self.examples = examples
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> Draw:
        return Draw(self.examples[i], f"{self.seed}:{self.epoch}:{i}")
