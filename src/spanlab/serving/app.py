"""The FastAPI app: POST /v1/extract, GET /healthz, the web page at / (and OpenAPI at /docs).

    app = create_app(model, backend="torch")
    uvicorn.run(app, host="127.0.0.1", port=8000)

`model` is anything with SpanModel's `predict` (a SpanModel or an OnnxSpanModel).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from spanlab.serving.batcher import MicroBatcher
from spanlab.serving.schemas import ExtractRequest, ExtractResponse, Health, Limits

STATIC = resources.files("spanlab.serving") / "static"


def create_app(model, backend: str = "torch", limits: Limits = Limits(), max_wait_ms: float = 5.0) -> FastAPI:
    batcher = MicroBatcher(model.predict, max_wait_ms=max_wait_ms, max_texts=limits.max_texts)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(
        title="spanlab", summary="Zero-shot named entity recognition: any entity type, given as a label.",
        lifespan=lifespan,
    )
    app.state.batcher = batcher

    @app.post("/v1/extract", response_model=ExtractResponse, responses={413: {"description": "Request too large"}})
    async def extract(request: ExtractRequest) -> ExtractResponse:
        """Entities of the given types in each text (character offsets, label, score)."""
        check_size(request, limits)
        entities = await batcher.submit(request.texts, request.labels, request.threshold, request.flat)
        return ExtractResponse(entities=entities)

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return Health(status="ok", backend=backend, requests=batcher.requests, batches=batcher.batches)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def check_size(request: ExtractRequest, limits: Limits) -> None:
    """413 naming the first limit the request exceeds."""
    problems = []
    if len(request.texts) > limits.max_texts:
        problems.append(f"texts: found {len(request.texts)} texts, at most {limits.max_texts} per request")
    for i, text in enumerate(request.texts):
        if len(text) > limits.max_text_chars:
            problems.append(f"texts[{i}]: found {len(text)} characters, at most {limits.max_text_chars}")
            break
    if len(request.labels) > limits.max_labels:
        problems.append(f"labels: found {len(request.labels)} labels, at most {limits.max_labels}")
    for i, label in enumerate(request.labels):
        if len(label) > limits.max_label_chars:
            problems.append(f"labels[{i}]: found {len(label)} characters, at most {limits.max_label_chars}")
            break
    if problems:
        raise HTTPException(413, detail=problems)
