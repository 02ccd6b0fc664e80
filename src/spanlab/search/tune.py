"""`tune(...)`: set up (or reopen) a study folder and run it on the chosen backend."""

from __future__ import annotations

from pathlib import Path

import yaml

from spanlab.config import load_config, save_config
from spanlab.errors import ConfigError
from spanlab.io import atomic_write_text
from spanlab.search.settings import parse_search
from spanlab.search.space import read_space_file
from spanlab.search.study_dir import StudyDir

BUDGET_UNITS = ("trials", "steps", "device_hours")


def parse_budget(text: str) -> dict[str, float]:
    """`steps=20000` → {"steps": 20000}."""
    unit, sep, value = text.partition("=")
    if not sep or unit not in BUDGET_UNITS:
        raise ConfigError(f"--budget {text!r}: expected UNIT=AMOUNT with UNIT one of {', '.join(BUDGET_UNITS)}",
                          fix="e.g. --budget trials=40, --budget steps=20000 or --budget device_hours=2")
    try:
        amount = float(value)
    except ValueError:
        raise ConfigError(f"--budget {text!r}: {value!r} is not a number") from None
    return {unit: int(amount) if unit != "device_hours" else amount}


def prepare(config: Path, space: Path, out: Path, storage: str | None = None, budget: str | None = None,
            overrides: list[str] | None = None, backend: str = "optuna") -> StudyDir:
    """Write base.yaml, space.yaml and study.json into `out` (or check an existing study matches)."""
    cfg = load_config(config, overrides or [])
    _, raw_search = read_space_file(space)  # validates before anything is written
    text = Path(space).read_text(encoding="utf-8")
    if budget:
        doc = yaml.safe_load(text)
        doc.setdefault("search", {})["budget"] = parse_budget(budget)
        text = yaml.safe_dump(doc, sort_keys=False)
        raw_search = doc["search"]
    parse_search(raw_search, f"{space}:search")
    sd = StudyDir(Path(out))
    if (sd.root / "study.json").is_file():
        if sd.space_file.read_text(encoding="utf-8") != text:
            raise ConfigError(f"{sd.root} holds a study with a different space or budget",
                              fix="rerun with the same space file to resume it, or choose a new --out")
        return sd
    sd.root.mkdir(parents=True, exist_ok=True)
    save_config(cfg, sd.base)
    atomic_write_text(sd.space_file, text)
    url = storage or f"sqlite:///{(sd.root / 'study.db').resolve()}"
    sd.write_meta({"name": sd.root.resolve().name, "storage": url, "backend": backend})
    return sd


def tune(config: Path, space: Path, out: Path, backend: str = "optuna", storage: str | None = None,
         workers: int = 1, budget: str | None = None, overrides: list[str] | None = None,
         ray_address: str | None = None, resources: dict[str, float] | None = None) -> dict:
    """Run (or resume) the study; returns the summary (`summary.json`)."""
    sd = prepare(config, space, out, storage, budget, overrides, backend)
    if backend == "ray":
        from spanlab.search.ray_backend import run_ray

        return run_ray(sd, workers=workers, address=ray_address, resources=resources or {"cpu": 1})
    from spanlab.search.stages import run_study

    return run_study(sd, workers=workers)
