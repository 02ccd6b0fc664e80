"""The web page in real headless Chromium (Debian's `chromium`, driven by Playwright; no browser download).

Skipped, saying why, when Playwright or a Chromium binary is missing (`.ci/run` installs both when it can).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

from spanlab.model import SpanModel
from spanlab.serving.app import create_app
from spanlab.serving.schemas import Limits

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

TEXT = "Alice met Bob in Paris on Monday ."
LABELS = ["person", "city"]


def chromium_path() -> str | None:
    """SPANLAB_CHROMIUM, else the first Chromium-family browser on PATH."""
    candidates = [os.environ.get("SPANLAB_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]
    return next((shutil.which(c) for c in candidates if c and shutil.which(c)), None)


@pytest.fixture(scope="module")
def server(tiny_model_dir):
    """The app on a free loopback port, served by uvicorn in a background thread."""
    import uvicorn

    model = SpanModel.from_pretrained(tiny_model_dir)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(model, limits=Limits(max_text_chars=500))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start within 30 s"
    yield f"http://127.0.0.1:{port}", model
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server):
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found on PATH (apt-get install chromium, or set SPANLAB_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def set_threshold(page, value: float) -> None:
    page.eval_on_selector(
        "#threshold", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", str(value)
    )


def test_page_highlights_the_entities_the_api_returns(server, page):
    url, model = server
    page.goto(url)
    page.fill("#text", TEXT)
    page.fill("#labels", " person , city ")
    set_threshold(page, 0.2)
    assert page.text_content("#threshold-value") == "0.20"
    page.click("#extract")
    page.wait_for_selector("mark.entity")

    expected = model.predict([TEXT], LABELS, threshold=0.2)[0]
    assert expected, "the tiny model finds entities at threshold 0.2"
    marks = page.eval_on_selector_all(
        "mark.entity", "ms => ms.map(m => [m.firstChild.textContent, m.dataset.label, m.dataset.score])"
    )
    assert [(m[0], m[1]) for m in marks] == [(e["text"], e["label"]) for e in expected]
    assert [float(m[2]) for m in marks] == pytest.approx([e["score"] for e in expected], abs=0.006)
    # The highlighted text reads as the original (tags aside), and the table lists every entity.
    shown = page.eval_on_selector(
        "#result", "r => Array.from(r.childNodes).map(n => n.nodeType === 3 ? n.textContent : n.firstChild.textContent).join('')"
    )
    assert shown == TEXT
    assert page.locator("#entities tbody tr").count() == len(expected)
    assert "entit" in page.text_content("#status")


def test_page_shows_the_servers_error_for_an_oversized_text(server, page):
    url, _ = server
    page.goto(url)
    page.fill("#text", "word " * 200)  # 1,000 characters; the server allows 500
    page.fill("#labels", "person")
    page.click("#extract")
    page.wait_for_selector("#status.error")
    assert "at most 500" in page.text_content("#status")
    assert page.locator("mark.entity").count() == 0
