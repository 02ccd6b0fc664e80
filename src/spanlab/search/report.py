"""`write_report(STUDY_DIR)`: an HTML page with PNG plots that opens without a server.

Plots: optimisation history, parallel coordinates and parameter importance (Optuna's
matplotlib backend, on the study's main search stage), F1 against step for every trial,
and device cost per stage; tables: stages, verify seeds, trials.
"""

from __future__ import annotations

import html
import json
import logging
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import optuna

from spanlab.io import atomic_write_text
from spanlab.search.stages import load
from spanlab.search.study_dir import StudyDir

logger = logging.getLogger(__name__)


def write_report(root: str | Path, out: str | Path | None = None) -> Path:
    """Write `report/index.html` + PNGs; returns the HTML path."""
    sd = StudyDir(Path(root))
    summary_path = sd.root / "summary.json"
    if not summary_path.is_file():
        from spanlab.errors import ConfigError

        raise ConfigError(f"{summary_path}: not found", fix="run (or resume) `spanlab tune` to the end first")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    out = Path(out) if out else sd.root / "report"
    out.mkdir(parents=True, exist_ok=True)
    plots: list[tuple[str, str]] = []
    if summary.get("backend") != "ray":
        _, s = sd.settings()
        main_stage = "search" if not s.stages.enabled else "explore"
        plots += optuna_plots(load(sd, main_stage, s), out, main_stage)
        if s.stages.enabled:
            plots += optuna_plots(load(sd, "focus", s), out, "focus")
    plots.append(("F1 against training step, every trial", learning_curves(summary, out)))
    plots.append(("Device cost per stage", cost_per_stage(summary, out)))
    page = render(summary, [(t, f) for t, f in plots if f])
    atomic_write_text(out / "index.html", page)
    return out / "index.html"


def optuna_plots(study: optuna.Study, out: Path, stage: str) -> list[tuple[str, str]]:
    done = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
    makers = [
        ("optimisation history", optuna.visualization.matplotlib.plot_optimization_history, 1),
        ("parallel coordinates", optuna.visualization.matplotlib.plot_parallel_coordinate, 1),
        ("parameter importance", optuna.visualization.matplotlib.plot_param_importances, 2),
    ]
    plots = []
    for title, make, needs in makers:
        if len(done) < needs or (needs > 1 and len({json.dumps(t.params, sort_keys=True) for t in done}) < 2):
            continue  # importance needs two distinct completed trials
        name = f"{stage}-{title.replace(' ', '-')}.png"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna marks its matplotlib backend experimental
            try:
                ax = make(study)
            except (ValueError, RuntimeError) as e:  # e.g. importance of a parameter that never varied
                logger.warning("%s plot skipped: %s", title, e)
                continue
        fig = (ax.flat[0] if hasattr(ax, "flat") else ax).figure
        fig.set_size_inches(8, 5)
        fig.tight_layout()
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        plots.append((f"{stage}: {title}", name))
    return plots


def learning_curves(summary: dict, out: Path) -> str:
    fig, ax = plt.subplots(figsize=(8, 5))
    colors = {"explore": "tab:blue", "focus": "tab:orange", "verify": "tab:green", "search": "tab:blue"}
    for row in summary["trials"]:
        curve = sorted((int(k), v) for k, v in row["curve"].items())
        if curve:
            ax.plot(*zip(*curve), marker=".", alpha=0.6, color=colors.get(row["stage"], "gray"),
                    linestyle="--" if row["state"] == "PRUNED" else "-")
    for stage, color in colors.items():
        if stage in summary["stages"]:
            ax.plot([], [], color=color, label=stage)
    ax.set_xlabel("training step")
    ax.set_ylabel("dev F1")
    ax.set_title("dev F1 at every evaluation (dashed: pruned)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "learning-curves.png", dpi=90)
    plt.close(fig)
    return "learning-curves.png"


def cost_per_stage(summary: dict, out: Path) -> str:
    stages = list(summary["stages"])
    hours = [summary["stages"][s]["device_seconds"] / 3600 for s in stages]
    fig, ax = plt.subplots(figsize=(6, 4))
    bars = ax.bar(stages, hours, color="tab:purple")
    price = summary.get("price_per_hour", 0.0)
    labels = [f"{h:.3f} h" + (f"\n{summary['stages'][s]['cost']:.2f}" if price else "") for s, h in zip(stages, hours)]
    ax.bar_label(bars, labels=labels)
    ax.set_ylabel("device-hours")
    ax.set_title(f"device time per stage (price {price}/h)")
    fig.tight_layout()
    fig.savefig(out / "cost-per-stage.png", dpi=90)
    plt.close(fig)
    return "cost-per-stage.png"


def render(summary: dict, plots: list[tuple[str, str]]) -> str:
    e = html.escape
    total = summary["total"]
    parts = [
        "<!doctype html><meta charset='utf-8'><title>spanlab study report</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style>",
        "<h1>Study report</h1>",
        f"<p>budget: {e(str(summary['budget']['amount']))} {e(summary['budget']['unit'])} · trials: {total['trials']} · "
        f"steps: {total['steps']} · device-hours: {total['device_seconds'] / 3600:.4f} · "
        f"cost: {total['cost']:.2f} (at {summary.get('price_per_hour', 0)}/device-hour)</p>",
    ]
    if summary.get("winner"):
        w = summary["winner"]
        parts.append(f"<p><b>winner</b>: {e(json.dumps(w['overrides']))} — {w['mean']:.4f} ± {w['std']:.4f} (n={w['n']})</p>")
    parts.append(table(["stage", "trials", "complete", "pruned", "cached", "steps", "device-s", "cost", "best"],
                       [[s, *(st[k] for k in ("trials", "complete", "pruned", "cached", "steps")),
                         f"{st['device_seconds']:.1f}", f"{st['cost']:.3f}", _fmt(st["best_value"])]
                        for s, st in summary["stages"].items()]))
    if summary.get("verify"):
        parts.append("<h2>Verify: seeds</h2>")
        parts.append(table(["config", "seeds", "values", "mean ± std"],
                           [[json.dumps(r["overrides"]), r["seeds"], [round(v, 4) for v in r["values"]],
                             f"{r['mean']:.4f} ± {r['std']:.4f}"] for r in summary["verify"]]))
    for title, name in plots:
        parts.append(f"<h2>{e(title)}</h2><img src='{e(name)}' alt='{e(title)}'>")
    parts.append("<h2>Trials</h2>")
    parts.append(table(["stage", "#", "state", "value", "steps", "device-s", "cost", "cached", "overrides"],
                       [[r["stage"], r["number"], r["state"], _fmt(r["value"]), r["steps"], f"{r['device_seconds']:.1f}",
                         f"{r['cost']:.3f}", r["cached"], json.dumps(r["overrides"])] for r in summary["trials"]]))
    return "\n".join(parts) + "\n"


def table(head: list[str], rows: list[list]) -> str:
    e = html.escape
    out = ["<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows]
    return "".join(out) + "</table>"


def _fmt(v) -> str:
    return "" if v is None else f"{v:.4f}"
