"""Load benchmark of ``critmin serve`` (not a test): requests/s and p50/p99 latency of cached reads.

Starts ``critmin serve --workers N`` on a free loopback port for N = 1 and 2, warms the read endpoints once,
then a second process drives them with an async httpx client (``CONCURRENCY`` requests in flight), bounded
by ``REQUESTS`` requests and ``SECONDS`` seconds per run. Run: ``.venv/bin/python bench/web_load.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import httpx

URLS = [
    "/api/commodities",
    "/api/production/rare-earths",
    "/api/reserves/rare-earths",
    "/api/stage-shares/rare-earths",
    "/api/concentration/rare-earths",
    "/api/events?commodity=rare-earths&as_of=2025-12-01",
    "/api/governance?country=CHN",
    "/api/sites?commodity=rare-earths&site_type=magnet_plant",
]
REQUESTS = 6000
SECONDS = 20.0
CONCURRENCY = 32


async def drive(base: str) -> dict[str, float]:
    """Send the requests (round robin over URLS) and measure each one's latency."""
    latencies: list[float] = []
    deadline = time.monotonic() + SECONDS
    counter = iter(range(REQUESTS))
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:

        async def worker() -> None:
            for i in counter:
                if time.monotonic() > deadline:
                    return
                t0 = time.perf_counter()
                res = await client.get(URLS[i % len(URLS)])
                latencies.append(time.perf_counter() - t0)
                assert res.status_code == 200, res.status_code

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(workers: int) -> dict[str, float]:
    """Serve with ``workers`` processes, warm up, and drive the load from a child process."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-c", "from critmin.cli.main import app; app()", "serve", "--port", str(port)]
    server = subprocess.Popen([*cmd, "--workers", str(workers)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                httpx.get(base + "/api/commodities", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        for _ in range(2 * workers):  # every worker's cache
            for url in URLS:
                httpx.get(base + url, timeout=60)
        out = subprocess.run(
            [sys.executable, __file__, "--drive", base],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        )
        result: dict[str, float] = json.loads(out.stdout)
        return result
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    """Print one line per worker count."""
    if len(sys.argv) == 3 and sys.argv[1] == "--drive":
        print(json.dumps(asyncio.run(drive(sys.argv[2]))))
        return
    for workers in (1, 2):
        r = run(workers)
        print(
            f"workers={workers}: {r['requests']:.0f} requests, {r['rps']:.0f} req/s, "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
