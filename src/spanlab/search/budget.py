"""What trials have spent, in the budget's unit, and what they cost.

Every trial records `steps` (at each evaluation, so pruned and running trials count what
they ran) and `device_seconds`; cached trials (an identical config already trained) spend 0.
A stage starts a trial only while its budget holds everything that trial may spend.
"""

from __future__ import annotations

from collections.abc import Iterable

from optuna.trial import FrozenTrial, TrialState

# Trials that hold budget: finished ones, and running ones (so parallel workers do not overshoot).
SPENDING = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


def trial_spend(t: FrozenTrial, unit: str) -> float:
    if t.user_attrs.get("cached_from") is not None or t.user_attrs.get("skipped"):
        return 0.0  # answered from an identical trial, or closed before it trained anything
    if unit == "trials":
        return 1.0
    if unit == "steps":
        return float(t.user_attrs.get("steps", 0))
    return float(t.user_attrs.get("device_seconds", 0.0)) / 3600.0  # device_hours


def spent(trials: Iterable[FrozenTrial], unit: str) -> float:
    return sum(trial_spend(t, unit) for t in trials if t.state in SPENDING)


def committed(trials: Iterable[FrozenTrial], unit: str, hold: float) -> float:
    """What finished trials spent plus what running ones may spend: each running trial holds
    `hold` (the most one trial can spend) until it ends, so a worker never starts a trial the
    budget could not pay for while other workers' trials run on."""
    return sum(max(trial_spend(t, unit), hold) if t.state == TrialState.RUNNING else trial_spend(t, unit)
               for t in trials if t.state in SPENDING)


def fits(trials: Iterable[FrozenTrial], unit: str, cap: float, budget: float) -> bool:
    """Whether a new trial that may spend `cap` fits in `budget` beside `trials` (0: cap unknown,
    then it fits while anything is left)."""
    used = committed(trials, unit, cap)
    return used + cap <= budget if cap else used < budget


def cost(device_seconds: float, price_per_hour: float) -> float:
    return device_seconds / 3600.0 * price_per_hour
