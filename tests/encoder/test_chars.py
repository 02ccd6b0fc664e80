"""The offline character encoder: vocabulary from training texts, a loadable folder, character offsets."""

from __future__ import annotations

from transformers import AutoModel, AutoTokenizer

from spanlab.config import CharEncoderConfig
from spanlab.encoder.chars import SPECIALS, build_char_encoder, char_vocabulary


def test_vocabulary_counts_characters_lowercased_without_whitespace():
    vocab = char_vocabulary(["银行 AB", "银b", "行"], min_count=2)
    assert list(vocab)[: len(SPECIALS)] == SPECIALS
    assert set(vocab) - set(SPECIALS) == {"银", "行", "b"}  # "a" seen once, spaces dropped


def test_folder_loads_with_auto_classes_and_tokenizes_one_token_per_character(tmp_path):
    cfg = CharEncoderConfig(layers=1, width=32, heads=2, max_positions=64)
    folder = build_char_encoder(["浙商银行叶老桂", "CSOL游戏"], tmp_path / "enc", cfg)
    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder))
    assert model.config.num_hidden_layers == 1 and model.config.hidden_size == 32
    assert model.config.vocab_size == len(tok)
    enc = tok("浙商 Cs鬼", return_offsets_mapping=True)
    tokens = tok.convert_ids_to_tokens(enc["input_ids"])
    assert tokens == ["[CLS]", "浙", "商", "c", "s", "[UNK]", "[SEP]"]
    assert enc["offset_mapping"][1:-1] == [(0, 1), (1, 2), (3, 4), (4, 5), (5, 6)]
