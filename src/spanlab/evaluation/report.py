"""Suite results as a terminal table, a Markdown table and JSON."""

from __future__ import annotations

from rich.table import Table

from spanlab.evaluation.zeroshot import SuiteResult


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def rich_table(result: SuiteResult, title: str = "Zero-shot F1") -> Table:
    p = result.protocol
    caption = (
        f"protocol: {p['name']} · threshold {p['threshold']} · {p['decoding']} decoding · "
        f"95% CI from {p['bootstrap_resamples']} bootstrap resamples · seed {p['seed']}"
    )
    table = Table(title=title, caption=caption)
    columns = ["set", "P", "R", "F1", "95% CI", "span-only F1", "sentences"]
    if result.label_order:
        columns.append("label-order F1 (mean ± std)")
    for col in columns:
        table.add_column(col, justify="left" if col == "set" else "right")
    for s in result.sets:
        m = s.typed.micro
        row = [
            s.name, _pct(m.precision), _pct(m.recall), _pct(m.f1), f"{_pct(s.ci[0])}–{_pct(s.ci[1])}",
            _pct(s.span_only.micro.f1), str(s.sentences),
        ]
        if result.label_order:
            o = result.label_order[s.name]
            row.append(f"{_pct(o['mean'])} ± {_pct(o['std'])}")
        table.add_row(*row)
    table.add_row("average", "", "", _pct(result.f1_avg), "", _pct(result.span_f1_avg), "", style="bold")
    return table


def markdown(result: SuiteResult) -> str:
    p = result.protocol
    lines = [
        f"Protocol: {p['name']}; threshold {p['threshold']}; {p['decoding']} decoding; labels lower-cased: "
        f"{p['lowercase']}; 95% CI: {p['bootstrap_resamples']} bootstrap resamples of sentences; seed {p['seed']}.",
        "",
        "| set | P | R | F1 | 95% CI | span-only F1 | tp | fp | fn |"
        + (" label-order F1 mean ± std |" if result.label_order else ""),
        "|---|---|---|---|---|---|---|---|---|" + ("---|" if result.label_order else ""),
    ]
    for s in result.sets:
        m = s.typed.micro
        row = (
            f"| {s.name} | {_pct(m.precision)} | {_pct(m.recall)} | {_pct(m.f1)} | {_pct(s.ci[0])}–{_pct(s.ci[1])} "
            f"| {_pct(s.span_only.micro.f1)} | {m.tp} | {m.fp} | {m.fn} |"
        )
        if result.label_order:
            o = result.label_order[s.name]
            row += f" {_pct(o['mean'])} ± {_pct(o['std'])} |"
        lines.append(row)
    lines.append(f"| **average** | | | **{_pct(result.f1_avg)}** | | {_pct(result.span_f1_avg)} | | | |")
    return "\n".join(lines) + "\n"
