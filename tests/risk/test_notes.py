"""Row notes speak of their own row, and only critmin's warnings (never a library's) become notes."""

from __future__ import annotations

import importlib
import re
import threading
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from critmin import risk
from critmin.risk import MissingInputWarning

#: a library warning raised inside a calculation must fail the test, not pass into a note
LIBRARY_WARNINGS_ARE_ERRORS = [
    "error::FutureWarning",
    "error::DeprecationWarning",
    "error::PendingDeprecationWarning",
    "error::RuntimeWarning",
]


@pytest.mark.filterwarnings(*LIBRARY_WARNINGS_ARE_ERRORS)
@pytest.mark.parametrize(
    "run",
    [
        lambda: risk.concentration(source="usgs"),
        lambda: risk.concentration(source="wmd"),
        lambda: risk.concentration("rare-earths", source="trade"),
        lambda: risk.eu_supply_risk(["cobalt", "gallium", "lithium", "rare-earths"]),
        lambda: risk.geopolrisk("cobalt", ["USA", "EU27"], [2012, 2024]),
        lambda: risk.usgs_supply_risk(["gallium", "rare-earths", "lithium"], ["USA", "JPN"]),
        lambda: risk.summary("rare-earths"),
        lambda: risk.summary("gallium"),
    ],
    ids=["hhi-usgs", "hhi-wmd", "hhi-trade", "eu", "geopolrisk", "usgs", "summary-ree", "summary-ga"],
)
def test_risk_methods_raise_no_library_warning(built_store: Any, run: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = run()
    assert len(out)


def test_a_library_warning_inside_summary_is_not_a_note(built_store: Any, monkeypatch: Any) -> None:
    """The brief's old defect: summary() turned every warning it saw into every row's notes, pandas'
    FutureWarnings included (and those of other threads, since the warnings filters are process-wide)."""
    module = importlib.import_module(
        "critmin.risk.concentration"
    )  # the package exports a function of that name
    real = module.concentration

    def noisy(*args: Any, **kwargs: Any) -> pd.DataFrame:
        warnings.warn("Downcasting object dtype arrays on .fillna is deprecated", FutureWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "concentration", noisy)
    started, stop = threading.Event(), threading.Event()

    def other_thread() -> None:  # another part of the program warning while summary() runs
        started.set()
        while not stop.is_set():
            warnings.warn("invalid value encountered in divide", RuntimeWarning, stacklevel=1)
            stop.wait(0.001)

    worker = threading.Thread(target=other_thread)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        worker.start()
        started.wait()
        try:
            out = risk.summary("gallium")
        finally:
            stop.set()
            worker.join()
    notes = " ".join(out["notes"])
    assert "Downcasting" not in notes and "invalid value" not in notes
    assert (out["method"] == "concentration").any()


def test_summary_passes_critmin_warnings_to_the_caller(built_store: Any) -> None:
    with pytest.warns(MissingInputWarning):
        risk.summary("gallium")


def _borrowed(note: str) -> set[int]:
    """The years a note says were borrowed from another year (``2024←2023`` → 2024)."""
    return {int(y) for y in re.findall(r"(\d{4})←\d{4}", note)}


def test_geopolrisk_rows_name_only_their_own_borrowed_year(built_store: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = risk.geopolrisk("cobalt", "USA", [2012, 2020, 2024])
    notes = out.set_index("year")["notes"]
    assert _borrowed(notes[2024]) == {2024}
    assert _borrowed(notes[2012]) == {2012}
    assert _borrowed(notes[2020]) == set()


def test_summary_geopolrisk_rows_do_not_carry_other_years_notes(built_store: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = risk.summary("rare-earths")
    gpr = out[out["method"] == "geopolrisk"]
    assert len(gpr)
    for rec in gpr.to_dict("records"):
        assert _borrowed(rec["notes"]) <= {rec["year"]}, rec["notes"]
        assert "2010–2017" not in rec["notes"]  # the years without world production are not this row's
        parts = [p.strip() for p in rec["notes"].split(";")]
        assert len(parts) == len(set(parts))  # no note twice


def test_usgs_rows_name_only_their_own_borrowed_wgi_year(built_store: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = risk.usgs_supply_risk("rare-earths", "USA", [2023, 2024], edition=2025)
    notes = out.set_index("year")["notes"]
    assert _borrowed(notes[2024]) == {2024}
    assert _borrowed(notes[2023]) == set() and "borrowed" not in notes[2023]


def test_eu_rows_note_what_was_left_out_of_their_own_stage(built_store: Any) -> None:
    with pytest.warns(MissingInputWarning) as record:
        out = risk.eu_supply_risk("cobalt")
    no_wgi = [str(w.message) for w in record if "no WGI" in str(w.message)]
    assert no_wgi
    for message in no_wgi:
        stage = "processing" if " processing " in message else "extraction"
        rows = out[out["stage"] == stage]
        assert all(message in n for n in rows["notes"]), (message, list(rows["notes"]))
        assert not any(message in n for n in out.loc[out["stage"] != stage, "notes"])


def test_concentration_rows_name_their_own_missing_producers(built_store: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = risk.concentration(source="usgs")
    with_missing = out[out["n_missing"] > 0]
    assert len(with_missing) and (out["n_missing"] == 0).any()
    for rec in with_missing.to_dict("records"):
        assert all(m in rec["notes"] for m in rec["missing"].split(";")), rec
    assert not out.loc[out["n_missing"] == 0, "notes"].str.contains("withheld").any()
    assert out.loc[~(out["total"] > 0), "notes"].str.contains("undefined").all()
    assert np.isfinite(out.loc[out["total"] > 0, "hhi"]).all()


def test_warnings_carry_a_topic_for_summaries(built_store: Any) -> None:
    with pytest.warns(MissingInputWarning) as record:
        risk.eu_supply_risk(["aluminium", "antimony", "beryllium"])
    skipped = [w.message for w in record if "stage skipped" in str(w.message)]
    assert len(skipped) >= 2
    assert len({m.topic for m in skipped}) == 1  # type: ignore[union-attr]
    assert len({m.subject for m in skipped}) == len(skipped)  # type: ignore[union-attr]
