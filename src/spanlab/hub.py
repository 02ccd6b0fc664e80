"""The Hugging Face hub: `hf://owner/name` data sources, and errors that say what to do offline.

    data:
      train: ["hf://owner/name"]                      # every JSON / JSONL(.gz) file of a dataset repo
      train: ["hf://owner/name/data/train.jsonl@v1"]   # one file, at a revision

Files come through `huggingface_hub` (downloaded once, then read from its cache). With
`HF_HUB_OFFLINE=1` only the cache is consulted, so a missing asset fails at once instead of
waiting on the network; the error names the asset, `HF_HUB_OFFLINE`, the cache folder and
how to pass a local path instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from spanlab.errors import DataError

HF_PREFIX = "hf://"
DATA_PATTERNS = ["*.json", "*.jsonl", "*.json.gz", "*.jsonl.gz"]


def hub_offline() -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it, but at call time (it reads it once, at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def hub_cache() -> Path:
    """The hub cache folder: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def unavailable(asset: str, cause: BaseException) -> str:
    """The sentence shared by every 'the hub could not provide it' error."""
    why = "HF_HUB_OFFLINE=1 is set" if hub_offline() else f"the hub could not be reached ({type(cause).__name__})"
    return f"{asset} is not in the hub cache {hub_cache()} (HF_HOME / HF_HUB_CACHE) and {why}"


def is_hub_source(source: str) -> bool:
    return source.startswith(HF_PREFIX)


def resolve_data_source(source: str) -> list[str]:
    """Local paths of the files behind `hf://owner/name[/path][@revision]`, sorted."""
    from huggingface_hub import hf_hub_download, snapshot_download

    spec, _, revision = source[len(HF_PREFIX) :].partition("@")
    parts = [p for p in spec.split("/") if p]
    if len(parts) < 2:
        raise DataError(
            f"found {source!r}; expected hf://owner/name or hf://owner/name/path/in/repo.jsonl",
            where="data.train", fix="write the dataset's full hub name, e.g. hf://urchade/pile-mistral-v0.1",
        )
    repo_id, inner = "/".join(parts[:2]), "/".join(parts[2:])
    options = dict(repo_type="dataset", revision=revision or None, cache_dir=hub_cache(), local_files_only=hub_offline())
    try:
        if inner:
            return [hf_hub_download(repo_id, inner, **options)]
        folder = Path(snapshot_download(repo_id, allow_patterns=DATA_PATTERNS, **options))
    except Exception as e:  # huggingface_hub raises many types (HTTP, offline, not found, connection)
        raise DataError(
            unavailable(f"dataset {repo_id}" + (f" file {inner}" if inner else ""), e) + f": {str(e)[:200]}",
            where=source,
            fix="pass local files instead (data.train: [path/to/train.jsonl]), or download it where the hub is "
            f"reachable (`hf download {repo_id} --repo-type dataset`) and keep HF_HOME / HF_HUB_CACHE pointing there",
        ) from None
    files = sorted(str(p) for pattern in DATA_PATTERNS for p in folder.rglob(pattern))
    if not files:
        raise DataError(
            f"dataset {repo_id} holds no {', '.join(DATA_PATTERNS)} files", where=source,
            fix="point at one file (hf://owner/name/path/file.jsonl) or convert the data to GLiNER JSON/JSONL",
        )
    return files
