"""Micro-batching: concurrent requests with the same labels share one predict call; results go back per request."""

from __future__ import annotations

import asyncio
import threading

import pytest

from spanlab.serving.batcher import MicroBatcher


class RecordingPredict:
    """A stand-in model: one entity per text naming the text, the labels and the threshold; records each call."""

    def __init__(self, fail_on: str | None = None):
        self.calls: list[list[str]] = []
        self.threads: set[int] = set()
        self.fail_on = fail_on

    def __call__(self, texts, labels, threshold, flat, batch_size=8):
        self.calls.append(list(texts))
        self.threads.add(threading.get_ident())
        if self.fail_on in texts:
            raise ValueError("model failed")
        return [[{"text": t, "label": labels[0], "threshold": threshold}] for t in texts]


async def _gather(batcher, jobs):
    await batcher.start()
    try:
        return await asyncio.gather(*(batcher.submit(*job) for job in jobs), return_exceptions=True)
    finally:
        await batcher.stop()


def test_requests_arriving_together_share_one_call_and_keep_their_texts():
    predict = RecordingPredict()
    batcher = MicroBatcher(predict, max_wait_ms=50)
    jobs = [([f"text {i}", f"more {i}"], ["person"], 0.5, True) for i in range(5)]
    results = asyncio.run(_gather(batcher, jobs))
    assert len(predict.calls) == 1 and len(predict.calls[0]) == 10
    for i, found in enumerate(results):
        assert [t[0]["text"] for t in found] == [f"text {i}", f"more {i}"]
    assert batcher.requests == 5 and batcher.batches == 1
    assert threading.get_ident() not in predict.threads, "the model runs in a worker thread, not the event loop"


def test_different_labels_or_thresholds_are_separate_calls():
    predict = RecordingPredict()
    jobs = [(["a"], ["person"], 0.5, True), (["b"], ["city"], 0.5, True), (["c"], ["person"], 0.3, True),
            (["d"], ["person"], 0.5, True)]
    results = asyncio.run(_gather(MicroBatcher(predict, max_wait_ms=50), jobs))
    assert sorted(map(sorted, predict.calls)) == [["a", "d"], ["b"], ["c"]]
    assert [r[0][0]["label"] for r in results] == ["person", "city", "person", "person"]
    assert [r[0][0]["threshold"] for r in results] == [0.5, 0.5, 0.3, 0.5]


def test_max_texts_caps_a_batch():
    predict = RecordingPredict()
    jobs = [([f"t{i}"] * 3, ["person"], None, True) for i in range(4)]
    asyncio.run(_gather(MicroBatcher(predict, max_wait_ms=50, max_texts=6), jobs))
    assert [len(c) for c in predict.calls] == [6, 6]


def test_a_failing_call_fails_its_requests_only():
    predict = RecordingPredict(fail_on="bad")
    jobs = [(["bad"], ["city"], 0.5, True), (["good"], ["person"], 0.5, True)]
    results = asyncio.run(_gather(MicroBatcher(predict, max_wait_ms=50), jobs))
    assert isinstance(results[0], ValueError)
    assert results[1][0][0]["text"] == "good"


def test_submit_before_start_is_an_error():
    with pytest.raises(RuntimeError, match="start"):
        asyncio.run(MicroBatcher(RecordingPredict()).submit(["a"], ["x"], None, True))
