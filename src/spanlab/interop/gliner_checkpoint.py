"""Read and write checkpoints in the `gliner` library's format.

A gliner checkpoint is a folder with `gliner_config.json`, the weights (`model.safetensors`
or `pytorch_model.bin`) and the tokenizer files. Supported: uni-encoder span models
(gliner's `UniEncoderSpanModel`, tested against gliner 0.2.29) with span mode `markerV0`
or `marker`, first-sub-token pooling, the regex ("whitespace") word splitter, an optional
projection and BiLSTM, no layer fusion or post-fusion, `<<ENT>>` / `<<SEP>>` prompt tokens.
Anything else is refused with the name of the setting.

The two formats hold the same parameters under different names:

    gliner                                          spanlab
    token_rep_layer.bert_layer.model.*              encoder.*
    token_rep_layer.projection.*                    head.projection.*
    rnn.lstm.*                                      head.lstm.lstm.*
    span_rep_layer.span_rep_layer.project_start.*   head.start_mlp.*
    span_rep_layer.span_rep_layer.project_end.*     head.end_mlp.*
    span_rep_layer.span_rep_layer.out_project.*     head.span_mlp.*
    prompt_rep_layer.*                              head.label_mlp.*

Weights are read without unpickling code: safetensors, or `torch.load(weights_only=True)`,
which accepts only tensors and plain containers; a pickle that needs more is refused.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer, CONFIG_MAPPING, AutoConfig, AutoModel

from spanlab.config import ModelConfig
from spanlab.encoder.load import ENT_TOKEN, SEP_TOKEN
from spanlab.errors import ModelLoadError
from spanlab.io import atomic_write_json

GLINER_CONFIG = "gliner_config.json"
GLINER_WEIGHTS = ("model.safetensors", "pytorch_model.bin")

# gliner name prefix → spanlab name prefix (the order matters: longest gliner prefixes first).
PREFIXES = [
    ("token_rep_layer.bert_layer.model.", "encoder."),
    ("token_rep_layer.projection.", "head.projection."),
    ("rnn.lstm.", "head.lstm.lstm."),
    ("span_rep_layer.span_rep_layer.project_start.", "head.start_mlp."),
    ("span_rep_layer.span_rep_layer.project_end.", "head.end_mlp."),
    ("span_rep_layer.span_rep_layer.out_project.", "head.span_mlp."),
    ("prompt_rep_layer.", "head.label_mlp."),
]

# Settings spanlab reproduces only at one value: (key, accepted values, what it means).
REQUIRED = [
    ("span_mode", ("markerV0", "marker"), "span representation"),
    ("subtoken_pooling", ("first", None), "sub-token pooling"),
    ("words_splitter_type", ("whitespace", None), "word splitter"),
    ("fuse_layers", (False, None), "encoder layer fusion"),
    ("post_fusion_schema", ("", None), "post-fusion layers"),
    ("span_encoder_config", (None,), "span context encoder"),
    ("embed_ent_token", (True, None), "label vector at the <<ENT>> token"),
    ("labels_encoder", (None,), "bi-encoder label tower"),
    ("labels_decoder", (None,), "label decoder"),
    ("relations_layer", (None,), "relation extraction"),
    ("ent_token", (ENT_TOKEN, None), "entity prompt token"),
    ("sep_token", (SEP_TOKEN, None), "separator prompt token"),
]
MODEL_TYPES = (None, "gliner", "gliner_uni_encoder_span")


# --------------------------------------------------------------------------- import


def load_gliner_checkpoint(path: str | Path):
    """A SpanModel with the weights of the gliner checkpoint in `path`; gives gliner's scores."""
    from spanlab.model import SpanModel

    path = Path(path)
    cfg = read_gliner_config(path)
    tokenizer = _tokenizer(path, cfg)
    spec = ModelConfig(
        encoder=str(cfg.get("model_name") or "default"),
        hidden_size=int(cfg.get("hidden_size", 512)),
        max_width=int(cfg.get("max_width", 12)),
        lstm_layers=max(int(cfg.get("num_rnn_layers", 1)), 0),
        dropout=float(cfg.get("dropout", 0.4)),
        max_types=int(cfg.get("max_types", 25)),
        max_len=int(cfg.get("max_len", 384)),
        span_mode=cfg.get("span_mode", "markerV0"),
    )
    weights = gliner_to_spanlab(read_weights(path))
    encoder = AutoModel.from_config(_encoder_config(path, cfg, weights))
    model = SpanModel(spec, encoder, tokenizer)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [k for k in missing if not _is_buffer(model, k)]
    if missing or unexpected:
        raise ModelLoadError(
            f"{path}: the weights do not fit a {spec.span_mode} span model "
            f"(missing {missing[:5]}, unexpected {unexpected[:5]})",
            fix="spanlab reads uni-encoder span checkpoints of the gliner library only",
        )
    model.eval()
    return model


def read_gliner_config(path: Path) -> dict[str, Any]:
    """gliner_config.json, checked against what spanlab can reproduce exactly."""
    file = path / GLINER_CONFIG
    try:
        cfg = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"{file}: not found", fix="pass a folder saved by gliner's save_pretrained") from None
    except json.JSONDecodeError as e:
        raise ModelLoadError(f"{file}:{e.lineno}: invalid JSON: {e.msg}") from None
    if not isinstance(cfg, dict):
        raise ModelLoadError(f"{file}: found {type(cfg).__name__}, expected a JSON object")
    if cfg.get("model_type") not in MODEL_TYPES:
        raise ModelLoadError(
            f"{file}: model_type: found {cfg.get('model_type')!r}; spanlab reads only uni-encoder span models "
            f"({', '.join(repr(t) for t in MODEL_TYPES if t)})",
        )
    for key, accepted, meaning in REQUIRED:
        if cfg.get(key) not in accepted:
            shown = [a for a in accepted if a is not None] or [None]
            raise ModelLoadError(
                f"{file}: {key}: found {cfg.get(key)!r}; spanlab supports only {' or '.join(map(repr, shown))} "
                f"({meaning})",
                fix="use the gliner library for this checkpoint",
            )
    return cfg


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """The state dict, read without running pickled code."""
    safetensors, pickled = (path / name for name in GLINER_WEIGHTS)
    if safetensors.is_file():
        return load_file(str(safetensors))
    if not pickled.is_file():
        raise ModelLoadError(f"{path}: no {' or '.join(GLINER_WEIGHTS)} found", fix="copy the weights file beside gliner_config.json")
    try:
        state = torch.load(str(pickled), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise ModelLoadError(
            f"{pickled}: refused: the file holds Python objects other than tensors, and loading it would run "
            f"their code ({str(e).splitlines()[0][:200]})",
            fix="if you trust its source, convert it to model.safetensors with the gliner library "
            "(save_pretrained(..., safe_serialization=True)); spanlab never unpickles code",
        ) from None
    except (RuntimeError, OSError, EOFError) as e:
        raise ModelLoadError(f"{pickled}: cannot read the weights: {e}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelLoadError(f"{pickled}: found {type(state).__name__}, expected a state dict of tensors")
    return state


def gliner_to_spanlab(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename gliner parameter names to spanlab's; names that fit no prefix are kept (and reported on load)."""
    return {_rename(k, PREFIXES): v for k, v in state.items()}


def _rename(key: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        if key.startswith(old):
            return new + key[len(old) :]
    return key


def _encoder_config(path: Path, cfg: dict[str, Any], weights: dict[str, torch.Tensor]):
    """The encoder architecture: embedded in gliner_config.json, or (older checkpoints) from `model_name`."""
    enc = cfg.get("encoder_config")
    if isinstance(enc, dict):
        enc = dict(enc)
        model_type = enc.pop("model_type", "deberta-v2")
        if model_type not in CONFIG_MAPPING:
            raise ModelLoadError(f"{path / GLINER_CONFIG}: encoder_config.model_type: unknown {model_type!r}")
        config = CONFIG_MAPPING[model_type](**enc)
    else:
        from spanlab.encoder.load import _hub_call, resolve_encoder

        config = _hub_call(AutoConfig.from_pretrained, resolve_encoder(cfg.get("model_name", "")), what="encoder config")
    embeddings = weights.get("encoder.embeddings.word_embeddings.weight")
    if embeddings is not None:
        config.vocab_size = embeddings.shape[0]  # grown by gliner for its prompt tokens
    return config


def _tokenizer(path: Path, cfg: dict[str, Any]):
    """The checkpoint's tokenizer (or, for checkpoints saved without one, the encoder's plus gliner's tokens)."""
    if (path / "tokenizer_config.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(str(path))
    else:
        from spanlab.encoder.load import _hub_call

        tokenizer = _hub_call(AutoTokenizer.from_pretrained, cfg.get("model_name", ""), what="tokenizer")
    if ENT_TOKEN not in tokenizer.get_vocab() or SEP_TOKEN not in tokenizer.get_vocab():
        tokenizer.add_tokens(["[FLERT]", ENT_TOKEN, SEP_TOKEN], special_tokens=True)  # what gliner adds, in order
    index, ent_id = cfg.get("class_token_index", -1), tokenizer.convert_tokens_to_ids(ENT_TOKEN)
    if index not in (-1, None) and index != ent_id:
        raise ModelLoadError(
            f"{path / GLINER_CONFIG}: class_token_index: found {index}, but the tokenizer's {ENT_TOKEN} is {ent_id}; "
            "gliner would read label vectors at a different token than spanlab",
            fix="keep the tokenizer files that were saved with the checkpoint",
        )
    return tokenizer


def _is_buffer(model: torch.nn.Module, name: str) -> bool:
    return name in dict(model.named_buffers())


# --------------------------------------------------------------------------- export


def save_gliner_checkpoint(model, path: str | Path) -> None:
    """Write `model` (a SpanModel) as a gliner checkpoint that `GLiNER.from_pretrained` loads.

    The weights go last, through a temporary file, so a crash never leaves a folder that
    looks complete.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    spec, tokenizer = model.spec, model.tokenizer
    if ENT_TOKEN not in tokenizer.get_vocab():
        raise ModelLoadError(f"the model's tokenizer has no {ENT_TOKEN} token; it cannot be a GLiNER model")
    tokenizer.save_pretrained(str(path))
    encoder = model.encoder.config.to_dict()
    atomic_write_json(
        path / GLINER_CONFIG,
        {
            "model_type": "gliner_uni_encoder_span",
            "model_name": spec.encoder,
            "encoder_config": encoder,
            "span_mode": spec.span_mode,
            "hidden_size": spec.hidden_size,
            "max_width": spec.max_width,
            "num_rnn_layers": spec.lstm_layers,
            "dropout": spec.dropout,
            "max_types": spec.max_types,
            "max_len": spec.max_len,
            "subtoken_pooling": "first",
            "words_splitter_type": "whitespace",
            "fuse_layers": False,
            "post_fusion_schema": "",
            "embed_ent_token": True,
            "ent_token": ENT_TOKEN,
            "sep_token": SEP_TOKEN,
            "class_token_index": tokenizer.convert_tokens_to_ids(ENT_TOKEN),
            "vocab_size": model.encoder.get_input_embeddings().num_embeddings,
        },
    )
    back = [(new, old) for old, new in PREFIXES]
    state = {_rename(k, back): v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    tmp = path / ".model.safetensors.tmp"
    save_file(state, str(tmp), metadata={"format": "pt"})
    tmp.replace(path / "model.safetensors")
