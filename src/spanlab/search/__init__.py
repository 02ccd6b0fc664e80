"""Hyperparameter search: a YAML space over any config key, Optuna (default) or Ray Tune,
staged budgets (explore → focus → verify) with device-time cost, reports and threshold
calibration. Only this package and `cli` import optuna, ray or matplotlib."""
