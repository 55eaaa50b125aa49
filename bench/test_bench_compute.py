"""Throughput of the execution layer on this machine: news archive extraction (articles/s) and scenario
sweeps (Monte Carlo draws/s) in one process, in 2 local processes and on a 2-worker Dask ``LocalCluster``
on loopback, and the overhead of one Dask task. docs/scale.md extrapolates these figures to 100 workers.

Articles are composed like bench/test_bench_news.py's (~500 words: a measure statement among background
paragraphs). Each run follows a warm-up run (workers import critmin and build the spaCy pipeline or the network
once); a process pool is started per run, so its figures include spawning two interpreters. Cluster start-up
is measured separately.
"""

from __future__ import annotations

import json
import operator
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from critmin.compute import Target, run_units
from critmin.events import archive
from critmin.scenario import parse_spec
from critmin.scenario import sweep as sw

DATA = Path(__file__).parent.parent / "tests" / "events" / "data" / "news_dev.jsonl"
ARTICLES = 1200
WORDS = 500
DRAWS = 1000
SPEC = """
[scenario]
name = "bench sweep"
start = "2025-01"
months = 12

[[restriction]]
issuer = "China"
commodity = "rare-earths"
stage = "refining"
targets = ["all"]
start = "2025-01"
duration = 12
severity = {dist = "uniform", low = 0.3, high = 0.7}

[response]
ramp = {dist = "uniform", low = 0.0, high = 0.1}
spare_capacity = {dist = "uniform", low = 0.0, high = 0.2}
"""
GRID = {"target": ["all", "USA", "JPN", "DEU"], "severity": [0.25, 0.5, 0.75, 1.0], "duration": [6, 12]}
TARGETS = {"1 process": "local", "2 processes": "pool", "LocalCluster 2 workers": "cluster"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    start = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as started:
        print(f"\nLocalCluster(2) start-up: {time.perf_counter() - start:.2f} s")
        yield started


def _target(kind: str, cluster: Any) -> Target:
    return {
        "local": Target(),
        "pool": Target(processes=2),
        "cluster": Target(scheduler=cluster.scheduler_address),
    }[kind]


@pytest.fixture(scope="module")
def shard(tmp_path_factory: pytest.TempPathFactory) -> str:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    lead = [r for r in rows if r["events"]]
    fiction = ("comic", "novel", "film", "game", "satirical", "thriller")
    filler = [r["text"] for r in rows if not r["events"] and not any(w in r["text"] for w in fiction)]
    rng = random.Random(8)
    path = tmp_path_factory.mktemp("bench") / "archive.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(ARTICLES):
            row = lead[i % len(lead)]
            parts = [row["text"]]
            while sum(len(p.split()) for p in parts) < WORDS:
                parts.append(rng.choice(filler))
            text = "\n\n".join(parts)
            out.write(json.dumps({"text": text, "url": f"u{i}", "published": row["published"]}) + "\n")
    return str(path)


@pytest.mark.parametrize("label", list(TARGETS))
def test_archive_articles_per_second(benchmark: Any, shard: str, cluster: Any, label: str) -> None:
    parts = archive.plan([shard], block_bytes=Path(shard).stat().st_size // 16 + 1)
    target = _target(TARGETS[label], cluster)

    def run() -> int:
        return sum(r.articles for _, r in run_units(archive.extract_part, parts, None, target))

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=1)  # workers import and build once
    rate = ARTICLES / benchmark.stats.stats.median
    benchmark.extra_info.update(articles_per_s=round(rate), partitions=len(parts))
    print(
        f"\narchive, {label}: {rate:,.0f} articles/s ({len(parts)} partitions of ~{ARTICLES // len(parts)})"
    )


@pytest.mark.parametrize("label", list(TARGETS))
def test_sweep_draws_per_second(benchmark: Any, cluster: Any, label: str, tmp_path: Path) -> None:
    grid = sw.Grid(tmp_path / "grid.toml", GRID)
    context = sw.SweepContext(parse_spec(SPEC), grid, DRAWS, 0)
    units = sw.batches(len(grid.points()), 4)
    target = _target(TARGETS[label], cluster)

    def run() -> int:
        return sum(len(r.rows) for _, r in run_units(sw.run_unit, units, context, target))

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=1)
    points = len(grid.points())
    rate = points * DRAWS / benchmark.stats.stats.median
    benchmark.extra_info.update(draws_per_s=round(rate), scenarios=points)
    print(f"\nsweep, {label}: {rate:,.0f} draws/s ({points / benchmark.stats.stats.median:.2f} scenarios/s)")


def test_overhead_per_dask_task(benchmark: Any, cluster: Any) -> None:
    target = Target(scheduler=cluster.scheduler_address)
    tasks = 400

    def run() -> int:  # an empty task: operator.is_not(None, unit), importable on every worker
        return sum(r for _, r in run_units(operator.is_not, list(range(tasks)), None, target))

    benchmark.pedantic(run, rounds=1, iterations=1)
    connect = time.perf_counter()
    run_units_connect = sum(1 for _ in run_units(operator.is_not, [0], None, target))
    connect = time.perf_counter() - connect
    per_task = (benchmark.stats.stats.median - connect) / tasks
    benchmark.extra_info.update(ms_per_task=round(per_task * 1000, 2), connect_s=round(connect, 2))
    print(f"\nDask: {per_task * 1000:.2f} ms per empty task; client connect + scatter {connect:.2f} s")
    assert run_units_connect == 1
