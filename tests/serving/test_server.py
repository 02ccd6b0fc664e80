"""The HTTP API on the tiny model: valid requests, validation errors (422), size limits (413), page, OpenAPI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spanlab.model import SpanModel
from spanlab.serving.app import create_app
from spanlab.serving.schemas import Limits

TEXTS = ["Alice met Bob in Paris on Monday .", "Tokyo is big ."]
LABELS = ["person", "city"]


@pytest.fixture(scope="module")
def model(tiny_model_dir) -> SpanModel:
    return SpanModel.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="module")
def client(model):
    limits = Limits(max_texts=4, max_text_chars=200, max_labels=5, max_label_chars=20)
    with TestClient(create_app(model, limits=limits)) as client:  # `with`: runs the lifespan (the batcher)
        yield client


def test_extract_returns_the_models_entities_per_text(client, model):
    r = client.post("/v1/extract", json={"texts": TEXTS, "labels": LABELS, "threshold": 0.3})
    assert r.status_code == 200
    assert r.json()["entities"] == model.predict(TEXTS, LABELS, threshold=0.3)
    assert any(r.json()["entities"])


def test_threshold_and_flat_are_optional(client, model):
    r = client.post("/v1/extract", json={"texts": TEXTS[:1], "labels": LABELS})
    assert r.status_code == 200 and r.json()["entities"] == model.predict(TEXTS[:1], LABELS)
    nested = client.post("/v1/extract", json={"texts": TEXTS[:1], "labels": LABELS, "threshold": 0.1, "flat": False})
    assert nested.json()["entities"] == model.predict(TEXTS[:1], LABELS, threshold=0.1, flat=False)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"labels": LABELS}, ["body", "texts"]),
        ({"texts": "Alice", "labels": LABELS}, ["body", "texts"]),
        ({"texts": [], "labels": LABELS}, ["body", "texts"]),
        ({"texts": TEXTS, "labels": []}, ["body", "labels"]),
        ({"texts": TEXTS, "labels": ["person", ""]}, ["body", "labels", 1]),
        ({"texts": TEXTS, "labels": LABELS, "threshold": 1.5}, ["body", "threshold"]),
        ({"texts": TEXTS, "labels": LABELS, "thresold": 0.5}, ["body", "thresold"]),
    ],
)
def test_invalid_requests_are_422_naming_the_field(client, body, field):
    r = client.post("/v1/extract", json=body)
    assert r.status_code == 422
    assert field in [e["loc"] for e in r.json()["detail"]]


def test_malformed_json_is_422(client):
    r = client.post("/v1/extract", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


@pytest.mark.parametrize(
    "body, message",
    [
        ({"texts": ["a"] * 5, "labels": LABELS}, "found 5 texts, at most 4"),
        ({"texts": ["ok", "x" * 201], "labels": LABELS}, "texts[1]: found 201 characters, at most 200"),
        ({"texts": TEXTS, "labels": [f"type {i}" for i in range(6)]}, "found 6 labels, at most 5"),
        ({"texts": TEXTS, "labels": ["y" * 21]}, "labels[0]: found 21 characters"),
    ],
)
def test_oversized_requests_are_413_saying_which_limit(client, body, message):
    r = client.post("/v1/extract", json=body)
    assert r.status_code == 413
    assert any(message in d for d in r.json()["detail"])


def test_healthz_counts_requests_and_model_calls(client):
    before = client.get("/healthz").json()
    client.post("/v1/extract", json={"texts": TEXTS, "labels": LABELS})
    after = client.get("/healthz").json()
    assert after["status"] == "ok" and after["backend"] == "torch"
    assert after["requests"] == before["requests"] + 1 and after["batches"] == before["batches"] + 1


def test_page_and_its_assets_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="threshold"' in page.text and "/static/app.js" in page.text
    assert "http" not in page.text.replace('href="/docs"', ""), "no CDN: every asset comes from this server"
    assert "/v1/extract" in client.get("/static/app.js").text


def test_openapi_describes_extract(client):
    schema = client.get("/openapi.json").json()
    assert "/v1/extract" in schema["paths"] and "413" in schema["paths"]["/v1/extract"]["post"]["responses"]
    assert set(schema["components"]["schemas"]["ExtractRequest"]["properties"]) == {"texts", "labels", "threshold", "flat"}
