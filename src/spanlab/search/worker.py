"""`python -m spanlab.search.worker STUDY_DIR STAGE`: one worker process of a parallel study."""

from __future__ import annotations

import sys

from spanlab.search.optuna_backend import worker_main

if __name__ == "__main__":
    worker_main(sys.argv[1], sys.argv[2])
