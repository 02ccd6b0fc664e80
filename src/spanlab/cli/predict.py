"""`spanlab predict MODEL_DIR --labels person,award [TEXT ...] [--input FILE]`: entities as tables or JSON lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from spanlab.cli import app
from spanlab.data.readers import text_lines
from spanlab.errors import DataError, SpanlabError, location

BATCH_SIZE = 8
COLORS = ["cyan", "magenta", "green", "yellow", "blue", "red", "bright_cyan", "bright_magenta"]


def parse_labels(labels: str) -> list[str]:
    found = [label.strip() for label in labels.split(",") if label.strip()]
    if not found:
        raise SpanlabError(
            f"--labels: found {labels!r}, expected at least one label", fix='pass e.g. --labels "person,award"'
        )
    return found


def read_inputs(path: Path) -> list[dict[str, Any]]:
    """Records with a "text" field: JSONL (`.jsonl`, `.jsonl.gz`) records as they are, other files one
    text per non-empty line. Gzip, CRLF endings and bad UTF-8 are handled as by the data readers."""
    lines = text_lines(path)
    if ".jsonl" not in path.suffixes:
        return [{"text": line} for _, line in lines if line.strip()]
    records = []
    for n, line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"found invalid JSON ({e.msg} at column {e.colno})", where=location(path, n)) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            found = record.get("text") if isinstance(record, dict) else record
            raise DataError(
                f"found {found!r}, expected a string", where=location(path, n, "text"),
                fix='write one JSON object per line, e.g. {"text": "Ada Lovelace was born in London."}',
            )
        records.append(record)
    return records


def predict_records(model, records, labels, threshold=None, nested=False, multi_label=False, console=None):
    """`model.predict` in batches of BATCH_SIZE; a progress bar (stderr) when there are several batches."""
    texts = [r["text"] for r in records]
    found: list[list[dict[str, Any]]] = []
    with Progress(console=console or Console(stderr=True), transient=True, disable=len(texts) <= BATCH_SIZE) as p:
        task = p.add_task("predicting", total=len(texts))
        for i in range(0, len(texts), BATCH_SIZE):
            batch = texts[i : i + BATCH_SIZE]
            found += model.predict(batch, labels, threshold, not nested, multi_label, BATCH_SIZE)
            p.advance(task, len(batch))
    return found


def render(text: str, entities: list[dict[str, Any]], n: int, colors: dict[str, str]) -> list[Any]:
    """A table of the entities and the text with them highlighted; user text never goes through markup."""
    table = Table(title=f"text {n}", title_justify="left")
    for col, justify in (("entity", "left"), ("label", "left"), ("score", "right"), ("chars", "right")):
        table.add_column(col, justify=justify)
    highlighted = Text(text)
    for e in entities:
        color = colors.setdefault(e["label"], COLORS[len(colors) % len(COLORS)])
        highlighted.stylize(f"bold {color} underline", e["start"], e["end"])
        table.add_row(escape(e["text"]), Text(e["label"], style=color), f"{e['score']:.3f}", f"{e['start']}–{e['end']}")
    return [highlighted, table] if entities else [highlighted, Text("no entities", style="dim")]


@app.command("predict")
def predict_command(
    model_dir: Path = typer.Argument(..., help="A model folder written by `spanlab train`."),
    texts: list[str] | None = typer.Argument(None, help="Texts to tag (or use --input)."),
    labels: str = typer.Option(..., "--labels", help='Comma-separated entity types, e.g. "person,award".'),
    input_file: Path | None = typer.Option(
        None, "--input", help="JSONL with a 'text' field per line, or plain text, one per line."
    ),
    threshold: float | None = typer.Option(None, help="Decoding threshold; default: the one saved with the model."),
    nested: bool = typer.Option(False, "--nested", help="Allow nested entities (default: flat, no overlaps)."),
    multi_label: bool = typer.Option(False, "--multi-label", help="Let one span carry several labels."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line per text: the record plus 'entities'."),
) -> None:
    """Find entities of any types in texts with a zero-shot model."""
    from spanlab.model import SpanModel  # torch: imported here so that --help stays fast

    label_list = parse_labels(labels)
    if texts and input_file is not None:
        raise SpanlabError("found TEXT arguments and --input, expected one of them", fix="pass texts or --input FILE")
    records = read_inputs(input_file) if input_file is not None else [{"text": t} for t in texts or []]
    if not records:
        raise SpanlabError("found no text to tag", fix='pass texts as arguments or --input FILE (e.g. "texts.jsonl")')
    model = SpanModel.from_pretrained(model_dir)
    found = predict_records(model, records, label_list, threshold, nested, multi_label)
    if as_json:
        for record, entities in zip(records, found):
            sys.stdout.write(json.dumps({**record, "entities": entities}, ensure_ascii=False) + "\n")
        return
    console, colors = Console(), {}
    for n, (record, entities) in enumerate(zip(records, found), 1):
        console.print(*render(record["text"], entities, n, colors), sep="\n")
        console.print()
