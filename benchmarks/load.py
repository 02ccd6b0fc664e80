"""Load test: N concurrent clients against `spanlab serve` on loopback for 60 s.

    python benchmarks/load.py --model benchmarks/.work/zeroshot/spanlab/model --backend onnx --clients 8

The server runs as its own process (`spanlab serve`, as a user would start it). Each client
loops without pause: most requests are valid (1–4 CrossNER_AI test sentences with the set's
labels); every 10th is oversized (too many texts → 413) and every 10th+5 malformed (bad JSON or
a wrong field → 422). A valid request that does not get 200, or a bad one that does not get a
4xx, counts as an error. Latency percentiles are over the valid requests; the server's RSS is
sampled every second. Writes benchmarks/results/LOAD-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine_info, write_results  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request_for(n: int, rng: random.Random, sentences: list[str], labels: list[str]) -> tuple[str, bytes]:
    """(kind, JSON body) for the n-th request of a client: valid, oversized or malformed."""
    if n % 10 == 9:
        return "oversized", json.dumps({"texts": ["a short text"] * 1000, "labels": labels}).encode()
    if n % 10 == 4:
        return "malformed", rng.choice([b'{"texts": ["unterminated', json.dumps({"texts": "not a list",
                                        "labels": labels}).encode(), json.dumps({"labels": labels}).encode()])
    texts = rng.sample(sentences, rng.randint(1, 4))
    return "valid", json.dumps({"texts": texts, "labels": labels, "threshold": 0.5}).encode()


async def client(k: int, url: str, until: float, sentences, labels, log: list) -> None:
    import httpx

    rng = random.Random(k)
    async with httpx.AsyncClient(timeout=60) as http:
        n = 0
        while time.monotonic() < until:
            kind, body = request_for(n, rng, sentences, labels)
            start = time.perf_counter()
            try:
                r = await http.post(f"{url}/v1/extract", content=body, headers={"content-type": "application/json"})
                status = r.status_code
            except httpx.HTTPError as e:
                status = f"{type(e).__name__}"
            log.append((kind, status, time.perf_counter() - start))
            n += 1


async def sample_memory(pid: int, until: float, samples: list) -> None:
    while time.monotonic() < until:
        samples.append(rss_mb(pid))
        await asyncio.sleep(1)


async def drive(url: str, pid: int, args, sentences, labels) -> tuple[list, list]:
    log, memory = [], []
    until = time.monotonic() + args.seconds
    await asyncio.gather(sample_memory(pid, until, memory),
                         *(client(k, url, until, sentences, labels, log) for k in range(args.clients)))
    return log, memory


def wait_ready(url: str, server: subprocess.Popen, timeout: float = 180) -> dict:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            return httpx.get(f"{url}/healthz", timeout=2).json()
        except httpx.HTTPError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {url}/healthz within {timeout:.0f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, required=True, help="a spanlab model folder, or an ONNX folder for onnx*")
    p.add_argument("--backend", default="torch", choices=["torch", "onnx", "onnx-int8"])
    p.add_argument("--server-threads", type=int, default=2)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "zeroshot" / "CrossNER_AI")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()

    sentences = [r["sentence"] for r in json.loads((args.data / "test.json").read_text(encoding="utf-8"))]
    labels = [label.lower() for label in json.loads((args.data / "labels.json").read_text(encoding="utf-8"))]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [sys.executable, "-m", "spanlab", "serve", str(args.model), "--port", str(port), "--backend", args.backend,
         "--threads", str(args.server_threads)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(url, server)
        log, memory = asyncio.run(drive(url, server.pid, args, sentences, labels))
        import httpx

        health = httpx.get(f"{url}/healthz", timeout=10).json()
    finally:
        server.terminate()
        server.wait(timeout=30)

    answers = collections.Counter(f"{kind} {status}" for kind, status, _ in log)
    valid = [(s, t) for kind, s, t in log if kind == "valid"]
    bad = [(kind, s) for kind, s, _ in log if kind != "valid"]
    latencies = sorted(1000 * t for s, t in valid if s == 200)
    errors = sum(s != 200 for s, _ in valid) + sum(not (isinstance(s, int) and 400 <= s < 500) for _, s in bad)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    third = max(len(memory) // 3, 1)
    doc = {
        "protocol": "load test, loopback", **machine_info(server_threads=args.server_threads),
        "model": str(args.model), "backend": args.backend,
        "seconds": args.seconds, "clients": args.clients, "requests": len(log), "errors": errors,
        "requests_per_s": len(log) / args.seconds, "valid_requests": len(valid),
        "valid_requests_per_s": len(valid) / args.seconds,
        "p50_ms": q[49], "p90_ms": q[89], "p99_ms": q[98],
        "answers": dict(sorted(answers.items())),  # "<kind> <status>" → count
        "server_rss_mb": {"first_third_mean": statistics.mean(memory[:third]), "last_third_mean":
                          statistics.mean(memory[-third:]), "max": max(memory), "samples": len(memory)},
        "server_model_calls": health["batches"], "server_requests": health["requests"],
    }
    table = "\n".join([
        f"`spanlab serve` ({args.backend}, {args.server_threads} threads) with {args.clients} concurrent clients on "
        f"loopback for {args.seconds:.0f} s; 1 in 5 requests oversized (413) or malformed (422).",
        "", "| requests | errors | requests/s | valid requests/s | p50 ms | p90 ms | p99 ms | server RSS MiB (first → last third, max) | model calls per valid request |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {doc['requests']:,} | {errors} | {doc['requests_per_s']:.1f} | {doc['valid_requests_per_s']:.1f} | "
        f"{doc['p50_ms']:.0f} | {doc['p90_ms']:.0f} | {doc['p99_ms']:.0f} | "
        f"{doc['server_rss_mb']['first_third_mean']:.0f} → {doc['server_rss_mb']['last_third_mean']:.0f}, "
        f"{doc['server_rss_mb']['max']:.0f} | {health['batches'] / max(health['requests'], 1):.2f} |",
        "", f"Answers by request kind: {json.dumps(doc['answers'])}.",
    ])
    print(table)
    write_results(args.out, f"LOAD-{datetime.date.today()}", doc, table)


if __name__ == "__main__":
    main()
