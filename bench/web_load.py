"""Load benchmark of ``critmin serve`` (not a test): requests/s and p50/p99 latency of cached reads.

Starts ``critmin serve --workers N`` on a free loopback port for N = 1 and 2, warms every worker's cache of
the read endpoints, then drives them round robin with ``wrk`` (Debian: ``apt-get install wrk``; a C client
in its own process, so the client is not the bottleneck) for ``SECONDS`` seconds with ``CONNECTIONS``
connections. Run: ``.venv/bin/python bench/web_load.py``. The machine's other load is printed with the
figures: on a shared 2-core machine the server, wrk and other jobs compete for the same cores.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
SECONDS = 15
CONNECTIONS = 32
#: wrk's Lua hook: the next URL of the list for every request
ROUND_ROBIN = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
response = function(status, headers, body)
  if status ~= 200 then error("status " .. status) end
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(text: str, label: str) -> float:
    """A latency percentile from wrk's ``--latency`` table, in milliseconds."""
    match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no {label} line in wrk's output:\n{text}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def drive(base: str, script: Path, seconds: int, strict: bool = True) -> dict[str, float]:
    """Run wrk against ``base`` and read requests/s, p50 and p99 from its report (``strict``: every request
    answered 200 within wrk's 2 s timeout)."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if strict and ("Non-2xx" in out or "Socket errors" in out):
        raise RuntimeError(f"failed requests under load:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    assert rps and total, out
    return {
        "requests": float(total.group(1)),
        "rps": float(rps.group(1)),
        "p50_ms": _ms(out, "50%"),
        "p99_ms": _ms(out, "99%"),
    }


def run(workers: int, script: Path) -> dict[str, float]:
    """Serve with ``workers`` processes, warm every worker's cache, and drive the load with wrk."""
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
        for url in URLS:  # the first call of each endpoint runs the library; the warm-up fills the caches
            assert httpx.get(base + url, timeout=60).status_code == 200, url
        drive(base, script, 5, strict=False)  # fills the cache of every worker (a cold one may time out)
        return drive(base, script, SECONDS)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    """Print one line per worker count, and the load average the run shared the machine with."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "round_robin.lua"
        script.write_text(ROUND_ROBIN % ", ".join(f'"{u}"' for u in URLS))
        print(f"{os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.2f}")
        for workers in (1, 2):
            r = run(workers, script)
            print(
                f"workers={workers}: {r['requests']:.0f} requests in {SECONDS} s, {r['rps']:.0f} req/s, "
                f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms "
                f"(load average after: {os.getloadavg()[0]:.2f})"
            )


if __name__ == "__main__":
    main()
