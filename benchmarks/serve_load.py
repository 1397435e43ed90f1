"""`python -m benchmarks.serve_load` (make bench-serve): `rnnkit serve` under load on 127.0.0.1.

A classifier trained on the bundled Rotten Tomatoes reviews (a 1x128 BiLSTM, 300 steps) is
served by a real `rnnkit serve` process; 2,000 classify requests of one review each are sent,
16 at a time, batched as they come (0 ms: a request runs with whatever is waiting while the
model is busy, the default) and waiting 2 ms to gather more. Prints throughput and the
p50 / p99 latency of each, and checks that every request was answered with the label the
model gives that review alone. About 3 minutes on 2 CPU cores.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rnnkit.run import open_run, train

REQUESTS, CONCURRENT = 2000, 16


def post(url: str, body: dict) -> tuple[int, dict, float]:
    started = time.perf_counter()
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
        return response.status, answer, time.perf_counter() - started


def load(run_dir: Path, wait_ms: float, texts: list[str], expected: list[str]) -> dict:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "rnnkit", "serve", str(run_dir), "--port",
                               str(port), "--device", "cpu", "--batch-wait-ms", str(wait_ms)],
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/models/{run_dir.name}/classify"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = list(pool.map(lambda i: post(url, {"texts": [texts[i % len(texts)]]}),
                                    range(REQUESTS)))
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = sorted(latency for _, _, latency in answers)
    correct = sum(status == 200 and answer["results"][0]["label"] == expected[i % len(texts)]
                  for i, (status, answer, _) in enumerate(answers))
    return {"batch_wait_ms": wait_ms, "requests": REQUESTS, "concurrent": CONCURRENT,
            "answered_correctly": correct, "requests_per_s": REQUESTS / seconds,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(0.99 * len(latencies))]}


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        run_dir = Path(scratch) / "reviews"
        train("classify", {"dataset": "rotten-tomatoes", "hidden_size": 128, "bidirectional": True,
                           "max_steps": 300, "eval_every": 300, "out": str(run_dir),
                           "device": "cpu"})
        run = open_run(run_dir, device="cpu")
        texts = ["a superb, moving film with great acting", "dull, far too long and boring",
                 "the plot is thin but the cast is charming", "an awful mess from start to end",
                 "funny, warm and surprising", "i wanted to leave after twenty minutes"]
        expected = [record["label"] for record in run.predict(texts)]
        rows = [load(run_dir, wait, texts, expected) for wait in (0.0, 2.0)]
    print("| batching wait | requests | concurrent | answered correctly | requests/s | p50 ms "
          "| p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['batch_wait_ms']:g} ms | {row['requests']} | {row['concurrent']} | "
              f"{row['answered_correctly']} | {row['requests_per_s']:.0f} | {row['p50_ms']:.1f} | "
              f"{row['p99_ms']:.1f} |")


if __name__ == "__main__":
    main()
