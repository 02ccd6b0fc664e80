"""`python -m spanlab.search.worker STUDY_DIR STAGE [INDEX]`: one worker process of a parallel study
(INDEX, from 0, offsets its sampler's seed)."""

from __future__ import annotations

import sys

from spanlab.search.optuna_backend import worker_main

if __name__ == "__main__":
    worker_main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
