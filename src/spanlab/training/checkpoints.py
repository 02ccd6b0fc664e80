"""Crash-safe checkpoints: a checkpoint counts only once it is complete.

The Trainer writes `checkpoint-N/` file by file (weights, optimizer, scheduler, RNG
states, trainer state), so a run killed while saving leaves a half folder that
`--resume` would pick up. Here:

- `CheckpointGuard` (a callback, listed after every callback that writes into the
  folder) writes `spanlab_checkpoint.json` atomically once the folder is complete, and
  only then deletes old checkpoints beyond `train.save_total_limit` (the Trainer's own
  rotation is switched off, as it would delete the previous checkpoint before the new
  one is known to be whole);
- `resume_checkpoint` picks the newest complete checkpoint and removes newer,
  incomplete ones;
- a failed save (disk full, read-only folder) becomes an `OutputError` naming the folder
  and the last complete checkpoint, which is left untouched.
"""

from __future__ import annotations

import errno
import logging
import pickle
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

from transformers import TrainerCallback
from transformers.trainer_utils import rotate_checkpoints

from spanlab.errors import ModelLoadError, OutputError
from spanlab.io import atomic_write_json

logger = logging.getLogger(__name__)

MARKER = "spanlab_checkpoint.json"
_WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def checkpoints(run_dir: Path) -> list[tuple[int, Path, bool]]:
    """(step, folder, complete) of every `checkpoint-N/` in `run_dir`, oldest first."""
    found = []
    for folder in run_dir.iterdir() if run_dir.is_dir() else []:
        match = _CHECKPOINT.match(folder.name)
        if match and folder.is_dir():
            found.append((int(match.group(1)), folder, (folder / MARKER).is_file()))
    return sorted(found)


def last_complete(run_dir: Path) -> Path | None:
    complete = [folder for _, folder, ok in checkpoints(run_dir) if ok]
    return complete[-1] if complete else None


def resume_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint; incomplete ones (a save cut short) are removed with a warning."""
    last = last_complete(run_dir)
    for _, folder, ok in checkpoints(run_dir):
        if not ok:
            logger.warning("%s: incomplete checkpoint (the save was cut short); removing it", folder)
            shutil.rmtree(folder, ignore_errors=True)  # another rank may be removing it too
    return last


class CheckpointGuard(TrainerCallback):
    """Marks finished checkpoints, rotates old ones, and remembers which save is under way."""

    def __init__(self, save_total_limit: int | None):
        self.save_total_limit = save_total_limit
        self.saving: int | None = None  # the step whose checkpoint is being written

    def on_step_end(self, args, state, control, **kwargs):
        # DefaultFlowCallback (always first) has set the flags; evaluation, then the save, follow.
        self.saving = state.global_step if control.should_save else None

    def on_save(self, args, state, control, **kwargs):
        self.saving = None
        if not state.is_world_process_zero:
            return
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        atomic_write_json(folder / MARKER, {"step": state.global_step})
        rotate_checkpoints(args.output_dir, self.save_total_limit, state.best_model_checkpoint)


@contextmanager
def output_errors(run_dir: Path, guard: CheckpointGuard, resume_from: str | None = None):
    """Turns a failed checkpoint save or an unsafe checkpoint file into a SpanlabError.

    A save can fail as an OSError (ENOSPC, EROFS, EACCES) or as torch.save's RuntimeError
    ("PytorchStreamWriter failed writing file"); while `guard.saving` is set, either is a
    write failure. An UnpicklingError comes from `torch.load(weights_only=True)` refusing
    an optimizer, scheduler or RNG file that would run code.
    """
    try:
        yield
    except pickle.UnpicklingError as e:
        # torch's message also suggests weights_only=False, which is exactly what must not be done.
        lines = [line for line in str(e).splitlines() if "GLOBAL" in line] or str(e).splitlines()[:1]
        raise ModelLoadError(
            f"refused to load a checkpoint file: it holds objects other than tensors and plain values, "
            f"which unpickling would run as code ({lines[0].strip() if lines else 'unsafe pickle'})",
            where=resume_from or str(run_dir),
            fix="resume only from checkpoints written by spanlab; delete this checkpoint to resume from an older one",
        ) from None
    except (OSError, RuntimeError) as e:
        if guard.saving is None:
            if isinstance(e, OSError) and e.errno in _WRITE_ERRNOS:
                raise OutputError(
                    f"could not write: {e.strerror}", where=str(e.filename or run_dir),
                    fix="free disk space or make train.output_dir writable",
                ) from None
            raise
        folder = run_dir / f"checkpoint-{guard.saving}"
        previous = last_complete(run_dir)
        raise OutputError(
            f"could not write checkpoint {folder}: {type(e).__name__}: {e}; the last complete checkpoint is "
            f"{previous or 'none'} (left untouched)",
            where=str(getattr(e, "filename", None) or folder),
            fix="free disk space or make train.output_dir writable, then rerun with --resume",
        ) from None
