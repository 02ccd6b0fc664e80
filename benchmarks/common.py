"""Shared by the benchmark scripts: machine facts and result files (JSON + Markdown)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine_info(**extra) -> dict:
    import torch
    import transformers

    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True).stdout)
    except OSError:
        commit, dirty = "unknown", False
    if torch.cuda.is_available():
        extra = {"gpu": torch.cuda.get_device_name(), **extra}
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit + ("+dirty" if dirty else ""),
        "machine": {"nproc": os.cpu_count(), "cpu": cpu, "platform": platform.platform(), **extra},
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__},
    }


def write_results(out_dir: Path, stem: str, doc: dict, table: str) -> None:
    """`<stem>.json` and `<stem>.md` (the table plus machine, versions and date), atomically."""
    from spanlab.io import atomic_write_json, atomic_write_text

    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out_dir / f"{stem}.json", doc)
    m, v = doc.get("machine", {}), doc.get("versions", {})
    footer = (
        f"\n\nMachine: {m.get('nproc')} cores ({m.get('cpu')})"
        + "".join(f", {k} {val}" for k, val in m.items() if k not in ("nproc", "cpu", "platform"))
        + f". Versions: {', '.join(f'{k} {val}' for k, val in v.items())}. Date: {doc.get('date')}. "
        f"Commit: {doc.get('commit')}.\n"
    )
    atomic_write_text(out_dir / f"{stem}.md", f"# {stem}\n\n{table}{footer}")
    print(f"wrote {out_dir / stem}.json and .md")
