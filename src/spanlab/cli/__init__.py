"""The `spanlab` command line: one file per verb, each a thin wrapper over plain functions.

    spanlab train configs/gliner/base.yaml --set train.steps=100
    spanlab evaluate runs/gliner/model --suite data/zeroshot --out runs/gliner/eval
    spanlab predict runs/gliner/model --labels person,award "Ada Lovelace won nothing."

Heavy modules (torch, transformers) are imported inside the commands, so `--help` is fast.
A `SpanlabError` is a mistake the user can fix: it is printed in red, without a
traceback, and the exit code is 2.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from spanlab.errors import SpanlabError

err_console = Console(stderr=True)


def report_error(e: SpanlabError) -> None:
    # Text, not markup: messages quote user input such as "['x']" that rich would parse.
    err_console.print(Text(f"error: {e}", style="red"), soft_wrap=True)


class _Group(TyperGroup):
    """Turns a SpanlabError from any command into a red message and exit code 2.

    Done here rather than only in `main()` so that `CliRunner.invoke(app, ...)` behaves
    exactly like the console script.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SpanlabError as e:
            report_error(e)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    help="Span-based NER: train, evaluate and run GLiNER-style zero-shot models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

from spanlab.cli import convert, evaluate, predict, quickstart, train  # noqa: E402  (they register their commands on `app`)
from spanlab.cli import calibrate, report, tune  # noqa: E402,F401  (search: spanlab.search)
from spanlab.cli import export, serve  # noqa: E402,F401  (inference and serving)

__all__ = ["app", "main", "convert", "evaluate", "predict", "quickstart", "train"]


def main() -> None:
    try:
        app()
    except SpanlabError as e:  # raised outside a command, e.g. while parsing
        report_error(e)
        sys.exit(2)
