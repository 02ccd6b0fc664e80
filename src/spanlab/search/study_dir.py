"""The study folder: everything a worker, a resumed run or `spanlab report` needs.

    STUDY_DIR/
      study.json        name, storage URL, backend
      base.yaml         the resolved base config every trial starts from
      space.yaml        the space file as given
      stages/<s>.json   a stage's space (focus: narrowed) and budget
      study.db          the Optuna storage (SQLite default)
      trials/<s>-NNNN/  one run folder per trial (config.yaml, metrics.jsonl, checkpoints, trial.json)
      summary.json      stages, costs, verify table and the winner
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from spanlab.errors import ConfigError
from spanlab.io import atomic_write_json
from spanlab.search.settings import SearchConfig, parse_search
from spanlab.search.space import Param, read_space_file


@dataclass
class StudyDir:
    root: Path

    @property
    def base(self) -> Path:
        return self.root / "base.yaml"

    @property
    def space_file(self) -> Path:
        return self.root / "space.yaml"

    def meta(self) -> dict[str, Any]:
        path = self.root / "study.json"
        if not path.is_file():
            raise ConfigError(f"{path}: not found", fix="point to a folder written by `spanlab tune`")
        return json.loads(path.read_text(encoding="utf-8"))

    def write_meta(self, meta: dict[str, Any]) -> None:
        atomic_write_json(self.root / "study.json", meta)

    def storage_url(self) -> str:
        return self.meta()["storage"]

    def study_name(self, stage: str) -> str:
        return f"{self.meta()['name']}-{stage}"

    def settings(self) -> tuple[list[Param], SearchConfig]:
        params, raw = read_space_file(self.space_file)
        return params, parse_search(raw, f"{self.space_file}:search")

    def trial_dir(self, stage: str, number: int) -> Path:
        return self.root / "trials" / f"{stage}-{number:04d}"

    def stage_file(self, stage: str) -> Path:
        return self.root / "stages" / f"{stage}.json"

    def save_stage(self, stage: str, params: list[Param], budget: float, done: bool = False) -> None:
        atomic_write_json(self.stage_file(stage), {"params": [asdict(p) for p in params], "budget": budget, "done": done})

    def load_stage(self, stage: str) -> tuple[list[Param], float, bool]:
        d = json.loads(self.stage_file(stage).read_text(encoding="utf-8"))
        params = [Param(**{**p, "values": tuple(p["values"])}) for p in d["params"]]
        return params, d["budget"], d["done"]
