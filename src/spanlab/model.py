"""SpanModel = a Hugging Face encoder + the GLiNER span head.

    model = SpanModel.from_pretrained("runs/x/model")
    model.predict(["Ada Lovelace wrote the first program."], ["person", "award"])
    → [[{"start": 0, "end": 12, "text": "Ada Lovelace", "label": "person", "score": 0.97}]]

A saved model is a folder: `config.json` (spanlab's), `model.safetensors`, the tokenizer
files and `encoder/config.json` (the encoder's architecture). Nothing is unpickled.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from spanlab.config import ModelConfig, model_config_from_dict
from spanlab.data.collate import SpanCollator
from spanlab.data.schema import Example
from spanlab.data.words import split_words
from spanlab.decoding.spans import decode_batch
from spanlab.encoder.dropout import use_uniform_mask_dropout
from spanlab.encoder.hdpe import apply_long_positions
from spanlab.encoder.position_skip import training_positions
from spanlab.encoder.load import (
    ENT_TOKEN,
    SEP_TOKEN,
    encoder_from_config,
    load_encoder,
    load_tokenizer,
)
from spanlab.errors import ModelLoadError, SpanlabError
from spanlab.heads.gliner import GlinerHead, span_mask
from spanlab.inference.windows import predict_windowed, subtoken_counts
from spanlab.io import atomic_write_json
from spanlab.weights import load_weights, save_weights

CONFIG_NAME = "config.json"
FORMAT_VERSION = 1


class SpanModel(nn.Module):
    def __init__(self, config: ModelConfig, encoder: PreTrainedModel, tokenizer: PreTrainedTokenizerBase):
        super().__init__()
        self.spec = config  # not `config`: the HF Trainer expects a PretrainedConfig there
        positions = config.long_positions
        apply_long_positions(encoder, tokenizer, positions)  # before any weights are loaded
        if positions.attention_band:
            raise SpanlabError(
                "model.long_positions.attention_band: found a band for a GLiNER model; every word must see the "
                "label prompt", fix="leave attention_band at 0 (long texts go through windows or HDPE)")
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.head = GlinerHead(
            encoder.config.hidden_size, config.hidden_size, config.max_width, config.lstm_layers, config.dropout,
            config.span_mode,
        )
        self.threshold = 0.5  # calibrated decoding threshold, saved with the model
        use_uniform_mask_dropout(self)  # cheaper dropout masks on CPU (spanlab/encoder/dropout.py)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_encoder(cls, config: ModelConfig) -> SpanModel:
        """A new model: pretrained encoder weights, randomly initialised head."""
        tokenizer = load_tokenizer(config.encoder)
        return cls(config, load_encoder(config.encoder, len(tokenizer)), tokenizer)

    @classmethod
    def from_pretrained(cls, path: str | Path, **overrides: Any) -> SpanModel:
        """A folder saved by spanlab, or a checkpoint saved by the gliner library (gliner_config.json).

        `overrides` replace fields of a spanlab model's ModelConfig, e.g. `max_len=8192` or
        `long_positions=LongPositionsConfig("hdpe", max_positions=8192)` to give a model trained on
        sentences a stretched position table at inference (its first 512 positions are unchanged)."""
        path = Path(path)
        if not (path / CONFIG_NAME).is_file() and (path / "gliner_config.json").is_file():
            from spanlab.interop.gliner_checkpoint import load_gliner_checkpoint

            return load_gliner_checkpoint(path)
        meta = _read_json(path / CONFIG_NAME)
        if meta.get("architecture") != "gliner":
            raise ModelLoadError(
                f"{path / CONFIG_NAME}: found architecture {meta.get('architecture')!r}, expected 'gliner'",
                fix="point to a folder written by SpanModel.save_pretrained or `spanlab train`",
            )
        config = saved_config(meta, path, overrides)
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        model = cls(config, encoder_from_config(path / "encoder"), tokenizer)
        load_weights(model, path)
        model.threshold = float(meta.get("threshold", 0.5))
        model.eval()
        return model

    def save_pretrained(self, path: str | Path) -> None:
        """Write the model folder; the weights go last, atomically, so a crash leaves the old model usable."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.save_metadata(path)
        save_weights(self, path)

    def save_metadata(self, path: str | Path) -> None:
        """Everything but the weights: config, tokenizer, encoder architecture."""
        write_metadata(self, path, {"architecture": "gliner", "threshold": self.threshold})

    # ------------------------------------------------------------------ forward

    def forward(
        self,
        input_ids: torch.Tensor,  # (B, T)
        attention_mask: torch.Tensor,  # (B, T)
        word_pos: torch.Tensor,  # (B, L)
        word_count: torch.Tensor,  # (B,)
        label_pos: torch.Tensor,  # (B, C)
        label_count: torch.Tensor,  # (B,)
        label_end: torch.Tensor | None = None,  # (B, C), needed for label_pooling "mean"
    ) -> dict[str, torch.Tensor]:
        tokens = self._encode(input_ids, attention_mask)  # (B, T, H)
        words = _gather(tokens, word_pos)  # (B, L, H)
        labels = self.label_vectors(tokens, label_pos, label_end)  # (B, C, H)
        logits = self.head(words, word_count, labels)  # (B, L, W, C)
        B, L, W, C = logits.shape
        label_ok = torch.arange(C, device=logits.device)[None] < label_count[:, None]  # (B, C)
        mask = span_mask(word_count, L, W).to(logits.device)[..., None] & label_ok[:, None, None, :]
        return {"logits": logits, "mask": mask}

    def label_vectors(
        self, tokens: torch.Tensor, label_pos: torch.Tensor, label_end: torch.Tensor | None
    ) -> torch.Tensor:
        """(B, C, H) encoder vectors of the prompt's labels, pooled as `label_pooling` says."""
        if self.spec.label_pooling == "ent":
            return _gather(tokens, label_pos)
        if label_end is None:
            raise SpanlabError("label_pooling 'mean' needs label_end from the collator")
        return _mean_over(tokens, label_pos, label_end)

    def _encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Encoder states (B, T, H); examples of very different lengths are encoded in separate groups.

        Padding costs compute but changes nothing for the real tokens, so a batch of one long
        and seven short examples runs as two encoder calls instead of eight long rows.
        """
        lengths = attention_mask.sum(1)
        groups = _length_groups(lengths.tolist())
        positions = training_positions(self, attention_mask)  # None: 0, 1, 2, …
        if len(groups) == 1:
            T = int(lengths.max())
            out = self.encoder(input_ids=input_ids[:, :T], attention_mask=attention_mask[:, :T],
                               position_ids=None if positions is None else positions[:, :T]).last_hidden_state
            return out
        B, T = input_ids.shape
        # One embedding lookup for the whole batch: its backward then builds the dense
        # vocabulary × width gradient once per step, not once per group.
        embedded = self.encoder.get_input_embeddings()(input_ids)  # (B, T, H)
        out = None
        for idx in groups:
            t = int(lengths[idx].max())
            ids = torch.tensor(idx, device=input_ids.device)
            part = self.encoder(inputs_embeds=embedded[ids, :t], attention_mask=attention_mask[ids, :t],
                                position_ids=None if positions is None else positions[ids, :t]).last_hidden_state
            if out is None:
                out = part.new_zeros(B, T, part.shape[-1])
            out = out.index_copy(0, ids, nn.functional.pad(part, (0, 0, 0, T - t)))
        return out

    # ------------------------------------------------------------------ inference

    @torch.inference_mode()
    def predict(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        threshold: float | None = None,
        flat: bool = True,
        multi_label: bool = False,
        batch_size: int = 8,
        windows: bool | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Entities with character offsets, for raw texts of any length and any labels.

        Texts longer than `max_len` words or the encoder's token limit run in overlapping
        windows (`windows`, default `model.windows.enabled`); with windows off they are cut."""
        if not labels:
            raise SpanlabError("predict() needs at least one label", fix='pass labels=["person", ...]')
        examples = []
        for text in texts:
            if not isinstance(text, str):
                raise SpanlabError(f"predict() takes strings, found {type(text).__name__}")
            words, offsets = split_words(text)
            examples.append(Example(words=words, text=text, word_offsets=offsets))
        found = self.predict_words(examples, labels, threshold, flat, multi_label, batch_size, windows)
        results = []
        for ex, spans in zip(examples, found):
            ents = []
            for start, end, label, score in spans:
                a, b = ex.word_offsets[start][0], ex.word_offsets[end][1]
                ents.append({"start": a, "end": b, "text": ex.text[a:b], "label": label, "score": round(score, 4)})
            results.append(ents)
        return results

    @torch.inference_mode()
    def predict_words(
        self,
        examples: Sequence[Example],
        labels: Sequence[str],
        threshold: float | None = None,
        flat: bool = True,
        multi_label: bool = False,
        batch_size: int = 8,
        windows: bool | None = None,
    ) -> list[list[tuple[int, int, str, float]]]:
        """Word-level entities (start, end_inclusive, label, score) for pre-split examples.

        Labels beyond `max_types` are scored in several passes and decoded together.
        Examples are batched in order of length (less padding) and returned in input order.
        An example too long for one pass is split into windows of `max_len` words that fit the
        token limit, `model.windows.overlap` words apart, and their spans merged
        (spanlab.inference.windows); `windows=False` (or `model.windows.enabled: false`) cuts it instead.
        """
        labels = list(dict.fromkeys(labels))
        if not (self.spec.windows.enabled if windows is None else windows):
            return self._predict_fitting(examples, labels, threshold, flat, multi_label, batch_size)
        chunks = [labels[i : i + self.spec.max_types] for i in range(0, len(labels), self.spec.max_types)]
        # Tokens left for words: the limit minus the longest prompt and the special tokens.
        prompts = [[t for label in c for t in (ENT_TOKEN, label)] + [SEP_TOKEN] for c in chunks]
        prompt_ids = self.tokenizer(prompts, is_split_into_words=True, add_special_tokens=False).input_ids
        prompt = max(len(ids) for ids in prompt_ids)
        budget = self.max_tokens - prompt - self.tokenizer.num_special_tokens_to_add()
        return predict_windowed(
            examples,
            lambda pieces: self._predict_fitting(pieces, labels, threshold, flat, multi_label, batch_size),
            subtoken_counts(self.tokenizer, examples),
            budget,
            self.spec.windows.overlap,
            self.spec.max_len,
            "flat" if flat else "nested",
            multi_label,
        )

    @property
    def max_tokens(self) -> int:
        """Tokens per sequence (prompt included) the encoder takes: the stretched table's size under
        HDPE, else the tokenizer's limit, at most 512."""
        if self.spec.long_positions.method == "hdpe":
            return self.spec.long_positions.max_positions
        return min(getattr(self.tokenizer, "model_max_length", 512), 512)

    def _predict_fitting(
        self, examples: Sequence[Example], labels: list[str], threshold: float | None, flat: bool,
        multi_label: bool, batch_size: int,
    ) -> list[list[tuple[int, int, str, float]]]:
        """predict_words for examples that fit one pass (longer ones are cut by the collator, with a warning)."""
        was_training = self.training
        self.eval()
        threshold = self.threshold if threshold is None else threshold
        chunks = [labels[i : i + self.spec.max_types] for i in range(0, len(labels), self.spec.max_types)]
        collator = SpanCollator(self.tokenizer, self.spec.max_width, self.spec.max_len, max_tokens=self.max_tokens)
        order = sorted(range(len(examples)), key=lambda i: len(examples[i].words))
        results: list[list[tuple[int, int, str, float]]] = [[] for _ in examples]
        for k in range(0, len(order), batch_size):
            idx = [i for i in order[k : k + batch_size] if examples[i].words]
            if not idx:
                continue
            batch = [examples[i] for i in idx]
            probs, counts = [], None
            for chunk in chunks:
                inputs = collator.encode(batch, [chunk] * len(batch))
                probs.append(self.span_probs(inputs))
                counts = inputs["word_count"]
            decoded = decode_batch(
                torch.cat(probs, dim=-1).float().cpu(), counts.tolist(), threshold,
                "flat" if flat else "nested", multi_label,
            )
            for i, spans in zip(idx, decoded):
                results[i] = [(s, e, labels[c], float(p)) for s, e, c, p in spans]
        self.train(was_training)
        return results

    def span_probs(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, L, W, C) probabilities for collated inputs, 0 where the span or label is padding.

        The one step an inference backend replaces (`spanlab.inference.onnx_model` runs it in onnxruntime).
        """
        out = self(**{k: v.to(self.device) for k, v in inputs.items()})
        return torch.sigmoid(out["logits"]).masked_fill(~out["mask"], 0.0)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


def _gather(states: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """states (B, T, H), positions (B, N) → (B, N, H)."""
    return states.gather(1, positions.unsqueeze(-1).expand(-1, -1, states.shape[-1]))


def _mean_over(states: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """states (B, T, H), token ranges [start, end) of shape (B, N) → (B, N, H) mean over each range."""
    t = torch.arange(states.shape[1], device=states.device)
    inside = ((t >= start[..., None]) & (t < end[..., None])).to(states.dtype)  # (B, N, T)
    return inside @ states / inside.sum(-1, keepdim=True).clamp(min=1)


def _length_groups(lengths: list[int], waste: float = 0.3) -> list[list[int]]:
    """Split batch rows into groups (longest first) so padding stays under `waste` of each group's tokens."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    groups: list[list[int]] = []
    for i in order:
        if groups:
            g = groups[-1]
            longest = lengths[g[0]]
            real = sum(lengths[j] for j in g) + lengths[i]
            if longest * (len(g) + 1) <= (1 + waste) * real:
                g.append(i)
                continue
        groups.append([i])
    return groups


def saved_config(meta: dict, path: Path, overrides: dict[str, Any]) -> ModelConfig:
    """The ModelConfig saved in a model folder's config file, with `overrides` replacing fields."""
    fields = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise SpanlabError(f"from_pretrained: found unknown model field(s) {unknown}", fix=f"use {sorted(fields)}")
    saved = {k: v for k, v in meta["model"].items() if k in fields}
    return dataclasses.replace(model_config_from_dict(saved, str(path / CONFIG_NAME)), **overrides)


def write_metadata(model: nn.Module, path: str | Path, meta: dict[str, Any]) -> None:
    """Everything of a model folder but the weights: tokenizer, encoder architecture, config file
    (`meta` adds the architecture and what else the model needs back)."""
    path = Path(path)
    model.tokenizer.save_pretrained(str(path))
    model.encoder.config.save_pretrained(str(path / "encoder"))
    atomic_write_json(
        path / CONFIG_NAME, {**meta, "format_version": FORMAT_VERSION, "model": dataclasses.asdict(model.spec)}
    )


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: not found", fix="pass a folder written by `spanlab train` or save_pretrained") from None
    except json.JSONDecodeError as e:
        raise ModelLoadError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
