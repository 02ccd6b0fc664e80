"""A character-level encoder for languages with no offline pretrained weights (Chinese here).

`build_char_encoder(texts, folder, cfg)` writes a folder that `AutoTokenizer` / `AutoModel`
load like any hub encoder: a fast tokenizer (built with the `tokenizers` library) whose
vocabulary is every character seen at least `min_count` times in `texts` (lower-cased;
whitespace is dropped, every other character is one token), and a BERT of the configured
size with **random** weights. Figures produced with it say so: it is not bert-base-chinese.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from spanlab.config import CharEncoderConfig

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def char_vocabulary(texts: Iterable[str], min_count: int = 1) -> dict[str, int]:
    """Special tokens first, then characters by descending frequency (ties by code point)."""
    counts = Counter(ch for text in texts for ch in text.lower() if not ch.isspace())
    chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
    return {tok: i for i, tok in enumerate(SPECIALS + chars)}


def char_tokenizer(vocab: dict[str, int], max_positions: int) -> PreTrainedTokenizerFast:
    """`[CLS] c₁ … cₙ [SEP]` with character offsets; unknown characters become [UNK]."""
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex("."), behavior="isolated")]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]", model_max_length=max_positions,
    )


def build_char_encoder(texts: Iterable[str], folder: str | Path, cfg: CharEncoderConfig, seed: int = 0) -> Path:
    """Write tokenizer + randomly initialised BERT (cfg.layers × cfg.width) to `folder`; returns it."""
    folder = Path(folder)
    vocab = char_vocabulary(texts, cfg.min_count)
    tokenizer = char_tokenizer(vocab, cfg.max_positions)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=cfg.width, num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads,
        intermediate_size=4 * cfg.width, max_position_embeddings=cfg.max_positions, pad_token_id=vocab["[PAD]"],
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder
