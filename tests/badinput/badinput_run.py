"""Puts every bad-input case through every reader and CLI command that reads its format.

`run_corpus` returns one `Result` per (case, consumer): what happened (read / refused /
crashed), the message, and whether that is what the case expects. A crash is any
exception other than a `SpanlabError` from a reader, or a CLI run that ends in anything
but exit code 0 or 2 (a traceback). Shared by the test and benchmarks/reliability.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from badinput_corpus import Case, write_corpus
from typer.testing import CliRunner

from spanlab.cli import app
from spanlab.cli.predict import read_inputs
from spanlab.data.chinese import read_bmes, read_weibo
from spanlab.data.pile_ner import convert_pile_ner
from spanlab.data.readers import ReadReport, load_label_map, read_benchmark, read_bio, read_gliner
from spanlab.search.space import read_space_file
from spanlab.supervised.data import read_split, report_unknown_labels
from spanlab.errors import SpanlabError

CONSUMERS = {
    "gliner": ["read_gliner", "read_gliner(skip_invalid)", "spanlab train", "spanlab evaluate"],
    "benchmark": ["read_benchmark", "spanlab evaluate"],
    "bio": ["read_bio"],
    "texts": ["read_inputs", "spanlab predict"],
    "labelmap": ["load_label_map", "spanlab train"],
    "cluener": ["read_split(cluener) + type list"],
    "bmes": ["read_bmes", "read_bmes(refuse)"],
    "weibo": ["read_weibo", "read_weibo(refuse)"],
    "pilener": ["convert_pile_ner", "spanlab convert pile-ner"],
    "space": ["read_space_file", "spanlab tune"],  # tune only meets refused files: a valid one starts a study
    "charbench": ["read_split(benchmark)"],
}
TYPES = ["person", "city"]  # the type list the "cluener" consumer checks gold labels against


@dataclass
class Result:
    case: str
    consumer: str
    happened: str  # "read" | "refused" | "crashed"
    message: str
    expected: bool  # the outcome and message are what the case expects

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def run_corpus(folder: Path, model_dir: Path, encoder_dir: Path) -> list[Result]:
    """Every case × consumer. `model_dir` is a saved SpanModel; `encoder_dir` an encoder for `spanlab train`."""
    results = []
    for case in write_corpus(folder / "corpus"):
        for consumer in CONSUMERS[case.format]:
            if consumer == "spanlab tune" and case.outcome != "error":
                continue
            if consumer.startswith("spanlab"):
                results.append(_cli(case, consumer, folder, model_dir, encoder_dir))
            else:
                results.append(_reader(case, consumer))
    return results


def _reader(case: Case, consumer: str) -> Result:
    report = ReadReport()
    skip = consumer == "read_gliner(skip_invalid)"
    try:
        if case.format == "gliner":
            list(read_gliner(case.path, skip_invalid=skip, report=report))
        elif case.format == "benchmark":
            read_benchmark(case.path, report=report)
        elif case.format == "bio":
            read_bio(case.path, report=report)
        elif case.format == "labelmap":
            load_label_map(case.path)
        elif case.format == "texts":
            read_inputs(case.path)
        else:
            return _newer_reader(case, consumer, report)
    except SpanlabError as e:
        return Result(case.name, consumer, "refused", str(e), case.outcome == "error" and _names(case, str(e)))
    except Exception as e:  # noqa: BLE001 — the point is to catch what spanlab failed to
        return Result(case.name, consumer, "crashed", f"{type(e).__name__}: {e}", False)
    if skip and case.outcome == "error":
        # Skipping is the documented repair: the bad record is counted under its location.
        summary = report.summary()
        counted = sum(report.skipped.values()) == 1 and (case.where or str(case.path)) in summary
        return Result(case.name, consumer, "read", summary, counted)
    if case.outcome == "repair":
        return Result(case.name, consumer, "read", report.summary(), _names(case, report.summary(), where=False))
    return Result(case.name, consumer, "read", report.summary(), case.outcome == "ok")


def _newer_reader(case: Case, consumer: str, report: ReadReport) -> Result:
    """The readers of badinput_newer.py; their messages must also name the file."""
    message = ""
    try:
        if case.format == "cluener":
            missing = report_unknown_labels(read_split("cluener", str(case.path), report=report), TYPES, "test")
            message = ", ".join(f"{label} ×{n}" for label, n in missing.items())
        elif case.format in ("bmes", "weibo"):
            reader = read_bmes if case.format == "bmes" else read_weibo
            reader(case.path, invalid_tags="refuse" if "refuse" in consumer else "repair", report=report)
            message = report.summary()
        elif case.format == "pilener":
            message = convert_pile_ner(case.path, case.path.with_suffix(".out.jsonl")).summary()
        elif case.format == "space":
            read_space_file(case.path)
        else:
            read_split("benchmark", str(case.path), report=report)
    except SpanlabError as e:
        refuse = case.outcome == "error" or (case.outcome == "repair" and "refuse" in consumer)
        return Result(case.name, consumer, "refused", str(e), refuse and _names(case, str(e)) and str(case.path) in str(e))
    except Exception as e:  # noqa: BLE001
        return Result(case.name, consumer, "crashed", f"{type(e).__name__}: {e}", False)
    if case.outcome == "repair":
        return Result(case.name, consumer, "read", message, "refuse" not in consumer and _names(case, message))
    return Result(case.name, consumer, "read", message, case.outcome == "ok")


def _cli(case: Case, consumer: str, folder: Path, model_dir: Path, encoder_dir: Path) -> Result:
    if consumer == "spanlab train":
        out = folder / "runs" / case.name
        args = ["train", str(_train_config(folder, encoder_dir)), "--set", f"train.output_dir={json.dumps(str(out))}"]
        if case.format == "labelmap":
            args += ["--set", f"data.train=[{json.dumps(str(case.path.parent / 'good.jsonl'))}]",
                     "--set", f"data.label_map={json.dumps(str(case.path))}"]
        else:
            args += ["--set", f"data.train=[{json.dumps(str(case.path))}]"]
    elif consumer == "spanlab convert pile-ner":
        args = ["convert", "pile-ner", str(case.path), str(folder / "converted" / f"{case.name}.jsonl")]
    elif consumer == "spanlab tune":
        args = ["tune", str(_train_config(folder, encoder_dir)), "--space", str(case.path),
                "--out", str(folder / "studies" / case.name)]
    elif consumer == "spanlab evaluate":
        args = ["evaluate", str(model_dir), "--suite", str(case.path), "--bootstrap", "0"]
    else:
        args = ["predict", str(model_dir), "--labels", "person,city", "--input", str(case.path), "--json"]
    result = CliRunner().invoke(app, args)
    output = result.output.replace("\n", "")  # long paths may wrap
    expected_outcome = case.cli_outcome or case.outcome
    if result.exit_code not in (0, 2) or (result.exception and not isinstance(result.exception, SystemExit)):
        message = f"exit {result.exit_code}: {type(result.exception).__name__}: {result.exception}"
        return Result(case.name, consumer, "crashed", message, False)
    if result.exit_code == 2:
        where, words = (case.cli_where, case.cli_words) if case.cli_outcome else (case.where, case.words)
        ok = expected_outcome == "error" and "Traceback" not in output and where in output
        ok = ok and all(w in output for w in words)
        return Result(case.name, consumer, "refused", output[-600:], ok)
    return Result(case.name, consumer, "read", output[-300:], expected_outcome in ("ok", "repair"))


def _names(case: Case, message: str, where: bool = True) -> bool:
    """The message names the case's location (file:line:field) and its words."""
    return (not where or case.where in message) and all(w in message for w in case.words)


def _train_config(folder: Path, encoder_dir: Path) -> Path:
    """One training step on the tiny encoder: enough to show a file is read, prompted and trained on."""
    path = folder / "train.yaml"
    path.write_text(
        f"model: {{encoder: {json.dumps(str(encoder_dir))}, hidden_size: 32, max_width: 4, max_len: 32}}\n"
        "train: {steps: 1, batch_size: 2, threads: 1, logging_steps: 1, eval_steps: 1, save_total_limit: 1}\n",
        encoding="utf-8",
    )
    return path
