"""Hierarchical decomposed position encoding (HDPE): a learned absolute position table of n rows
stretched to up to n² positions without new parameters.

With the trained table p (n rows) and 0 < α < 0.5, define

    u_i = (p_i − α p_0) / (1 − α)
    position t = i·n + j  →  α u_i + (1 − α) u_j

For t < n (i = 0) this is α p_0 + (p_j − α p_0) = p_j: the first n positions reproduce the
original table, so a model trained on short inputs sees nothing new there. Beyond n the
"block" index i and the "offset" j each get a vector the model already knows; α < 0.5 keeps
the offset dominant, so neighbouring positions stay close. (The same construction is known
as hierarchical position embeddings; p_0 is the first row, `p_1` in 1-based notation.)

`extend_positions(encoder, ...)` swaps the encoder's `embeddings.position_embeddings` for a
`HierarchicalPositions` module holding the n base rows (trainable or frozen) and resizes
the embeddings' `position_ids` / `token_type_ids` buffers and `config.max_position_embeddings`,
so inputs of any length up to `max_positions` run. Encoders without a learned absolute table
(relative positions, rotary, DeBERTa) are refused: they take long texts through sliding windows.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from spanlab.config import LongPositionsConfig
from spanlab.errors import ModelLoadError

BASE_ROWS_KEY = "hdpe_base_positions"  # saved in the encoder config: rows of the original table


class HierarchicalPositions(nn.Module):
    """Position ids (any shape) → embeddings, from an n-row base table, for ids up to n² − 1."""

    def __init__(self, base: torch.Tensor, alpha: float = 0.4, trainable: bool = False):
        super().__init__()
        # `weight`, like nn.Embedding's, so the state-dict key stays `...position_embeddings.weight`.
        self.weight = nn.Parameter(base.detach().clone(), requires_grad=trainable)  # (n, H)
        self.alpha = alpha

    @property
    def num_embeddings(self) -> int:
        return self.weight.shape[0] ** 2

    def forward(self, position_ids: torch.Tensor) -> torch.Tensor:
        p = self.weight  # (n, H)
        n, a = p.shape[0], self.alpha
        u = (p - a * p[:1]) / (1 - a)  # (n, H)
        block, offset = position_ids // n, position_ids % n  # (...), (...)
        if bool((block == 0).all()):
            return nn.functional.embedding(position_ids, p)  # the original table, bit for bit
        return a * nn.functional.embedding(block, u) + (1 - a) * nn.functional.embedding(offset, u)  # (..., H)


def absolute_table(encoder: PreTrainedModel, setting: str) -> nn.Module:
    """The encoder's learned absolute position table; `setting` (which needs one) is named if absent."""
    table = getattr(getattr(encoder, "embeddings", None), "position_embeddings", None)
    kind = getattr(encoder.config, "position_embedding_type", "absolute")
    if not isinstance(table, (nn.Embedding, HierarchicalPositions)) or kind != "absolute" or not getattr(
        encoder.config, "position_biased_input", True
    ):
        raise ModelLoadError(
            f"{setting}: {type(encoder).__name__} has no learned absolute position table (found "
            f"position_embedding_type={kind!r}, embeddings.position_embeddings={type(table).__name__})",
            fix="turn it off (method: none, train_skip: false); long texts then go through sliding windows "
            "(model.windows)",
        )
    return table


def extend_positions(
    encoder: PreTrainedModel, max_positions: int, alpha: float = 0.4, trainable: bool = False
) -> PreTrainedModel:
    """Give `encoder` an HDPE position table for `max_positions` positions (in place; returns it).

    Called on a freshly loaded pretrained encoder, the base is its trained table. Called on an
    encoder rebuilt from a saved config (which records the base size under `hdpe_base_positions`),
    the base is the first rows of that table, to be overwritten by the saved weights.
    """
    if not 0 < alpha < 0.5:
        raise ModelLoadError(
            f"found long_positions.alpha={alpha}; expected 0 < alpha < 0.5",
            fix="use the default 0.4 (a larger alpha lets the block index dominate the offset)",
        )
    table = absolute_table(encoder, "model.long_positions.method: hdpe")
    emb = encoder.embeddings
    base = getattr(encoder.config, BASE_ROWS_KEY, None) or table.weight.shape[0]
    if max_positions > base * base:
        raise ModelLoadError(
            f"found long_positions.max_positions={max_positions}; HDPE over a {base}-row table reaches at most "
            f"{base * base} positions",
            fix=f"set max_positions <= {base * base}",
        )
    if max_positions < base:
        raise ModelLoadError(
            f"found long_positions.max_positions={max_positions}, below the encoder's own {base} positions",
            fix=f"set max_positions > {base}, or long_positions.method: none",
        )
    emb.position_embeddings = HierarchicalPositions(table.weight[:base], alpha, trainable)
    # The (1, T) buffers BERT-style embeddings slice for default position / token-type ids.
    device = table.weight.device
    emb.register_buffer("position_ids", torch.arange(max_positions, device=device)[None], persistent=False)
    if hasattr(emb, "token_type_ids"):
        emb.register_buffer("token_type_ids", torch.zeros(1, max_positions, dtype=torch.long, device=device),
                            persistent=False)
    setattr(encoder.config, BASE_ROWS_KEY, base)
    encoder.config.max_position_embeddings = max_positions
    return encoder


def apply_long_positions(
    encoder: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, positions: LongPositionsConfig
) -> None:
    """Prepare `encoder` (and its tokenizer's limit) for a `model.long_positions` config: HDPE's
    stretched table, and a check that `train_skip` has an absolute table to skip along.
    Called before any weights are loaded."""
    if positions.method == "hdpe":
        extend_positions(encoder, positions.max_positions, positions.alpha, positions.trainable)
        tokenizer.model_max_length = positions.max_positions
    if positions.train_skip:
        absolute_table(encoder, "model.long_positions.train_skip")
