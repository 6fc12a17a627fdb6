"""Load on ``evidex serve``: many concurrent askers against POST /api/ask.

    .venv/bin/python benchmarks/load.py [--users 50] [--seconds 60] [--workers 2] [--url URL]

Method: unless ``--url`` names a running server, the script copies a
prepared data directory (the built-in corpus, built on first use), starts
``evidex serve`` on 127.0.0.1 with the rate limit off and ``--workers``
processes, and waits until it answers.  Each simulated user then asks, one
after another, questions from a fixed list of 40 clinical questions in both
audiences (so most asks find an existing article and re-check it, as on a
live site), for ``--seconds``.  Every request runs the whole pipeline for
both audiences.  Reported: requests/s, latency p50/p95/p99 and the error
count (any non-200 or transport error).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from measure import machine, percentile

from evidex.corpus import Corpus
from evidex.settings import Settings

QUESTIONS = [
    "What are the most evidence-backed exercises for a herniated disc with sciatica?",
    "Do epidural steroid injections help sciatica?",
    "Does exercise help chronic low back pain?",
    "Is spinal manipulation effective for acute low back pain?",
    "What dose of colchicine for an acute gout flare?",
    "Is allopurinol safe in chronic kidney disease?",
    "What is the first-line treatment for mild persistent asthma?",
    "Should adults be screened for lung cancer with low-dose CT?",
    "Should women aged 40 to 49 have screening mammography?",
    "Is aspirin recommended for primary prevention of cardiovascular disease?",
    "What is the target blood pressure for older adults with hypertension?",
    "Does metformin reduce cardiovascular events in type 2 diabetes?",
    "Which antidepressant is first-line for major depression?",
    "Does cognitive behavioural therapy help insomnia?",
    "Are statins effective for primary prevention in older adults?",
    "What is the best treatment for plantar fasciitis?",
    "Does physical therapy help knee osteoarthritis?",
    "Should pregnant women be screened for gestational diabetes?",
    "Is vitamin D supplementation useful to prevent falls?",
    "What are the treatments for migraine prevention?",
    "Does smoking cessation counselling work?",
    "How should community-acquired pneumonia be treated in adults?",
    "Is colonoscopy or FIT better for colorectal cancer screening?",
    "What is the management of atrial fibrillation in older adults?",
    "Does acupuncture help chronic neck pain?",
    "Which treatments help fibromyalgia?",
    "What causes sciatica?",
    "Is paracetamol effective for low back pain?",
    "What are the red flags in low back pain?",
    "How is osteoporosis treated in postmenopausal women?",
    "Should children be screened for obesity?",
    "What is the treatment of iron deficiency anaemia in pregnancy?",
    "Do probiotics prevent antibiotic-associated diarrhoea?",
    "Is exercise helpful for depression?",
    "What are the treatments for rheumatoid arthritis?",
    "How is chronic obstructive pulmonary disease managed?",
    "What is the best treatment for acute otitis media in children?",
    "Does weight loss improve knee osteoarthritis pain?",
    "What is the recommended screening for abdominal aortic aneurysm?",
    "Are opioids effective for chronic non-cancer pain?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDEX_")}
    env.update({"EVIDEX_DATA_DIR": str(data_dir), "EVIDEX_SERVICE__ASK_PER_MINUTE": "0"})
    process = subprocess.Popen(
        [sys.executable, "-m", "evidex", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("evidex serve did not start within 300 s")


async def user(client: httpx.AsyncClient, number: int, stop_at: float, latencies: list[float], errors: list[str]) -> None:
    i = number
    while time.monotonic() < stop_at:
        question = QUESTIONS[i % len(QUESTIONS)]
        audience = "patient" if i % 3 == 0 else "clinician"
        i += 7
        started = time.perf_counter()
        try:
            response = await client.post("/api/ask", json={"question": question, "audience": audience})
            if response.status_code != 200:
                errors.append(f"{response.status_code}: {response.text[:100]}")
                continue
        except httpx.HTTPError as error:
            errors.append(f"{type(error).__name__}: {error}")
            continue
        latencies.append(time.perf_counter() - started)


async def run_load(url: str, users: int, seconds: float) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
        started = time.monotonic()
        await asyncio.gather(*(user(client, n, started + seconds, latencies, errors) for n in range(users)))
        elapsed = time.monotonic() - started
    return latencies, errors, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", help="A running evidex serve (its rate limit must allow the load)")
    parser.add_argument("--limit", type=int, help="N users for N seconds on one worker (a quick check)")
    args = parser.parse_args()
    if args.limit:
        args.users, args.seconds, args.workers = args.limit, float(args.limit), 1

    process = None
    with tempfile.TemporaryDirectory(prefix="evidex-load-") as tmp:
        url = args.url
        if url is None:
            data_dir = Path(tmp) / "data"
            prepared = Path(tempfile.gettempdir()) / "evidex-bench-builtin"
            with Corpus.open(Settings(data_dir=prepared)) as corpus:
                corpus.prepare()
            shutil.copytree(prepared, data_dir, ignore=shutil.ignore_patterns("articles.db*"))
            process, url = start_server(data_dir, args.workers)
        try:
            latencies, errors, elapsed = asyncio.run(run_load(url, args.users, args.seconds))
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=30)

    print(f"machine: {machine()}; load average after: {open('/proc/loadavg').read().split()[:3]}")
    print(f"{args.users} concurrent askers for {elapsed:.0f} s against {args.workers} worker(s)")
    print(f"requests completed: {len(latencies)}  ({len(latencies) / elapsed:.2f} requests/s)")
    if latencies:
        print(
            f"latency: p50 {percentile(latencies, 0.5):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
            f"p99 {percentile(latencies, 0.99):.2f} s, mean {statistics.mean(latencies):.2f} s"
        )
    print(f"errors: {len(errors)}")
    for error in errors[:10]:
        print(f"  {error}")
    if errors or not latencies:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
