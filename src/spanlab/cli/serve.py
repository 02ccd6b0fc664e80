"""`spanlab serve MODEL_DIR [--host 127.0.0.1] [--port 8000] [--backend torch|onnx|onnx-int8]`: HTTP API + web page."""

from __future__ import annotations

from pathlib import Path

import typer

from spanlab.cli import app


@app.command("serve")
def serve_command(
    model_dir: Path = typer.Argument(..., help="A model folder (`spanlab train`) or ONNX folder (`spanlab export`)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    backend: str = typer.Option("torch", help="torch, onnx or onnx-int8 (the last two need `spanlab export`)."),
    threads: int = typer.Option(0, help="Threads for the model (0: the library's default)."),
    max_wait_ms: float = typer.Option(5.0, help="How long a request waits for others to share its model call."),
    max_texts: int = typer.Option(64, help="Most texts per request (more: 413)."),
    max_text_chars: int = typer.Option(10_000, help="Most characters per text (more: 413)."),
    max_labels: int = typer.Option(100, help="Most labels per request (more: 413)."),
) -> None:
    """Serve a model: POST /v1/extract, GET /healthz, a web page at /, the OpenAPI docs at /docs."""
    import uvicorn

    from spanlab.inference.onnx_model import load_model
    from spanlab.serving.app import create_app
    from spanlab.serving.schemas import Limits

    model = load_model(model_dir, backend, threads or None)
    limits = Limits(max_texts=max_texts, max_text_chars=max_text_chars, max_labels=max_labels)
    uvicorn.run(create_app(model, backend, limits, max_wait_ms), host=host, port=port, log_level="info")
