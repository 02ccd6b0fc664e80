"""The search space file: which config keys vary, and how.

    space:
      train.lr_encoder: {loguniform: [1.0e-5, 1.0e-3]}
      model.dropout:    {uniform: [0.0, 0.5]}
      model.lstm_layers: {int: [0, 2]}
      train.batch_size: {choice: [4, 8, 16]}
      train.loss.alpha: {grid: [0.5, 0.75, 0.9]}
    search: {...}          # sampler, pruner, budget, stages: see settings.py

Every key must name a field of `RunConfig` (dotted, as `--set` takes it), and every value a
range or list that field accepts; problems are all reported at once, naming file and key.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from spanlab.config import RunConfig, load_config
from spanlab.errors import ConfigError

KINDS = ("choice", "grid", "uniform", "loguniform", "int")


@dataclass(frozen=True)
class Param:
    """One dimension: `choice`/`grid` take `values`; `uniform`/`loguniform`/`int` take `low`, `high`."""

    key: str  # dotted config key, e.g. "train.loss.alpha"
    kind: str
    values: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0

    @property
    def categorical(self) -> bool:
        return self.kind in ("choice", "grid")


def read_space_file(path: str | Path) -> tuple[list[Param], dict[str, Any]]:
    """(params, raw `search:` section) from a space YAML file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise ConfigError(f"cannot read space file: {e.strerror}", where=str(path)) from None
    except UnicodeDecodeError as e:
        line = path.read_bytes().count(b"\n", 0, e.start) + 1
        raise ConfigError("found bytes that are not UTF-8; expected UTF-8 YAML", where=f"{path}:{line}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(e, 'problem', e)}", where=f"{path}:{mark.line + 1}" if mark else str(path)) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("space"), dict) or not raw["space"]:
        raise ConfigError("expected a non-empty `space:` mapping of config keys", where=str(path),
                          fix="write e.g. `space: {train.lr_encoder: {loguniform: [1.0e-5, 1.0e-3]}}`")
    unknown = set(raw) - {"space", "search"}
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {sorted(unknown)}", where=str(path), fix="use `space:` and `search:`")
    return parse_space(raw["space"], str(path)), raw.get("search") or {}


def parse_space(raw: dict[str, Any], where: str = "<space>") -> list[Param]:
    """Validate every entry against the config dataclasses; all errors at once."""
    errors: list[str] = []
    params = []
    for key, spec in raw.items():
        p = _parse_param(str(key), spec, errors)
        if p is not None:
            params.append(p)
    if errors:
        raise ConfigError("invalid search space:\n  " + "\n  ".join(errors), where=where)
    return params


def _parse_param(key: str, spec: Any, errors: list[str]) -> Param | None:
    field_type = _field_type(key, errors)
    if field_type is None:
        return None
    if not isinstance(spec, dict) or len(spec) != 1:
        errors.append(f"{key}: expected one of {{{', '.join(KINDS)}: ...}}, found {spec!r}")
        return None
    kind, value = next(iter(spec.items()))
    if kind not in KINDS:
        near = difflib.get_close_matches(str(kind), KINDS, n=1)
        errors.append(f"{key}: unknown kind {kind!r}" + (f" (did you mean {near[0]!r}?)" if near else f" (valid: {', '.join(KINDS)})"))
        return None
    if kind in ("choice", "grid"):
        if not isinstance(value, list) or not value:
            errors.append(f"{key}.{kind}: expected a non-empty list of values, found {value!r}")
            return None
        for v in value:
            _check_value(key, v, errors)
        return Param(key, kind, values=tuple(_plain(v) for v in value))
    if not isinstance(value, list) or len(value) != 2 or not all(_is_number(v) for v in value):
        errors.append(f"{key}.{kind}: expected [low, high], found {value!r}")
        return None
    low, high = (float(v) for v in value)
    if not low < high:
        errors.append(f"{key}.{kind}: low must be below high, found [{value[0]}, {value[1]}]")
        return None
    if kind == "loguniform" and low <= 0:
        errors.append(f"{key}.loguniform: bounds must be > 0, found [{value[0]}, {value[1]}]")
        return None
    if kind == "int":
        if not all(float(v).is_integer() for v in value):
            errors.append(f"{key}.int: bounds must be integers, found {value!r}")
            return None
        if field_type is not int:
            errors.append(f"{key}.int: the config field is {_type_name(field_type)}, not an integer")
            return None
    elif field_type is not float:
        errors.append(f"{key}.{kind}: the config field is {_type_name(field_type)}; use `choice` or `int`")
        return None
    for v in (low, high):
        _check_value(key, int(v) if kind == "int" else v, errors)
    return Param(key, kind, low=low, high=high)


def _field_type(key: str, errors: list[str]) -> Any:
    """The type of the leaf field `key` names in RunConfig, or None after recording an error."""
    cls: Any = RunConfig
    parts = key.split(".")
    for i, part in enumerate(parts):
        names = [f.name for f in dataclasses.fields(cls)]
        if part not in names:
            near = difflib.get_close_matches(part, names, n=1)
            prefix = ".".join(parts[:i])
            hint = f"did you mean {'.'.join([*parts[:i], near[0]])!r}?" if near else f"valid here: {', '.join(names)}"
            errors.append(f"{key}: unknown config key{' under ' + prefix if prefix else ''} ({hint})")
            return None
        tp = typing.get_type_hints(cls)[part]
        if dataclasses.is_dataclass(tp):
            if i == len(parts) - 1:
                errors.append(f"{key}: is a section; name one of its keys, e.g. {key}.{dataclasses.fields(tp)[0].name}")
                return None
            cls = tp
            continue
        if i != len(parts) - 1:
            errors.append(f"{key}: {'.'.join(parts[: i + 1])} is not a section")
            return None
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if typing.get_origin(tp) in (typing.Union, types.UnionType) else tp
    return None


def _check_value(key: str, value: Any, errors: list[str]) -> None:
    """Build a default config with `key=value` so the config's own type checks apply."""
    try:
        load_config(None, [f"{key}={yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}"])
    except ConfigError as e:
        detail = e.message.split("\n  ", 1)[-1]
        errors.append(f"{key}: value {value!r} is not valid for this field ({detail})")


def _is_number(v: Any) -> bool:
    if isinstance(v, str):
        try:
            float(v)
            return True
        except ValueError:
            return False
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _plain(v: Any) -> Any:
    return float(v) if isinstance(v, str) and _is_number(v) else v


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def overrides_from(params: dict[str, Any]) -> list[str]:
    """`section.key=value` strings (as `--set` takes them) for a dict of sampled values."""
    return [f"{k}={yaml.safe_dump(v, default_flow_style=True).strip().removesuffix('...').strip()}" for k, v in params.items()]
