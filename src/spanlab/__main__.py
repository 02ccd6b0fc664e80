"""`python -m spanlab …` (and `torchrun -m spanlab train …`)."""

from spanlab.cli import main

if __name__ == "__main__":  # not when a spawned worker re-imports this module
    main()
