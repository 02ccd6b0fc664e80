"""Parallel workers sharing a SQLite study must not both take the same queued trial.

Optuna pops an enqueued (WAITING) trial by reading it and then marking it RUNNING; its
SELECT … FOR UPDATE means nothing to SQLite, so two processes that read at the same moment
both mark it and both train it, and the second to finish crashes on `tell`. The storage that
`make_storage` builds opens every SQLite transaction with BEGIN IMMEDIATE, which serialises
the read and the write.
"""

from __future__ import annotations

import multiprocessing as mp
import time

import optuna

from spanlab.search.optuna_backend import make_storage
from spanlab.search.settings import SearchConfig

WORKERS = 6
ROUNDS = 2


def _pop(url: str, name: str, start_at: float, out) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = make_storage(url, SearchConfig())
    check = storage.check_trial_is_updatable  # runs between reading the trial and marking it

    def slow_check(*args):
        time.sleep(0.5)  # widen the read→write window, so a race shows every time instead of rarely
        return check(*args)

    storage.check_trial_is_updatable = slow_check
    study = optuna.load_study(study_name=name, storage=storage)
    time.sleep(max(0.0, start_at - time.time()))  # every process reads the queue at the same moment
    out.put(study._pop_waiting_trial_id())


def test_each_queued_trial_is_taken_by_one_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    ctx = mp.get_context("spawn")
    for round_ in range(ROUNDS):
        name = f"race-{round_}"
        study = optuna.create_study(study_name=name, storage=make_storage(url, SearchConfig()))
        study.enqueue_trial({"x": 1.0})
        out = ctx.Queue()
        start_at = time.time() + 4.0  # after every process has imported and opened the study
        procs = [ctx.Process(target=_pop, args=(url, name, start_at, out)) for _ in range(WORKERS)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        popped = [out.get(timeout=10) for _ in procs]
        assert all(p.exitcode == 0 for p in procs)
        assert sum(t is not None for t in popped) == 1, f"round {round_}: queued trial taken by {popped}"
