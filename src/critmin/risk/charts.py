"""Charts of the risk methods (Altair): the EU criticality matrix and rankings, saved offline.

``save_chart`` writes self-contained HTML (Vega JavaScript inlined by vl-convert, so it opens without a
network), PNG, SVG or the Vega-Lite JSON, by the file's suffix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from critmin.risk.eu import EI_THRESHOLD, SR_THRESHOLD

__all__ = ["criticality_matrix", "ranking_chart", "save_chart"]


def criticality_matrix(table: pd.DataFrame, title: str = "Criticality matrix (EU method)") -> Any:
    """Supply risk (y) against economic importance (x) with the EU thresholds SR = 1.0 and EI = 2.8.

    ``table`` has columns material, sr, ei, and optionally series (e.g. "critmin" / "EU 2023 published")
    and critical. Points in the upper-right quadrant are critical.
    """
    import altair as alt

    df = table.dropna(subset=["sr", "ei"]).copy()
    if "series" not in df.columns:
        df["series"] = "critmin"
    if "critical" not in df.columns:
        df["critical"] = (df["sr"] >= SR_THRESHOLD) & (df["ei"] >= EI_THRESHOLD)
    df["critical"] = df["critical"].map({True: "critical", False: "not critical"})
    x_max = max(10.0, float(df["ei"].max()) * 1.05) if len(df) else 10.0
    y_max = max(6.0, float(df["sr"].max()) * 1.1) if len(df) else 6.0
    base = alt.Chart(df)
    points = base.mark_point(filled=True, size=70, opacity=0.85).encode(
        x=alt.X("ei:Q", title="Economic importance (EI)", scale=alt.Scale(domain=[0, x_max])),
        y=alt.Y("sr:Q", title="Supply risk (SR)", scale=alt.Scale(domain=[0, y_max])),
        color=alt.Color(
            "critical:N",
            title=None,
            scale=alt.Scale(domain=["critical", "not critical"], range=["#c0392b", "#7f8c8d"]),
        ),
        shape=alt.Shape("series:N", title=None),
        tooltip=[
            alt.Tooltip("material:N", title="material"),
            alt.Tooltip("series:N", title="basis"),
            alt.Tooltip("sr:Q", title="SR", format=".2f"),
            alt.Tooltip("ei:Q", title="EI", format=".2f"),
        ],
    )
    labels = base.mark_text(align="left", dx=6, dy=-4, fontSize=9).encode(
        x="ei:Q", y="sr:Q", text="material:N", color=alt.value("#333333")
    )
    rules = pd.DataFrame({"x": [EI_THRESHOLD], "y": [SR_THRESHOLD]})
    vrule = alt.Chart(rules).mark_rule(strokeDash=[6, 4], color="#555555").encode(x="x:Q")
    hrule = alt.Chart(rules).mark_rule(strokeDash=[6, 4], color="#555555").encode(y="y:Q")
    ei_text = (
        alt.Chart(pd.DataFrame({"x": [EI_THRESHOLD], "y": [y_max], "text": [f"EI = {EI_THRESHOLD}"]}))
        .mark_text(align="left", dx=4, dy=8, fontSize=10, color="#555555")
        .encode(x="x:Q", y="y:Q", text="text:N")
    )
    sr_text = (
        alt.Chart(pd.DataFrame({"x": [x_max], "y": [SR_THRESHOLD], "text": [f"SR = {SR_THRESHOLD}"]}))
        .mark_text(align="right", dx=-4, dy=-6, fontSize=10, color="#555555")
        .encode(x="x:Q", y="y:Q", text="text:N")
    )
    return (
        alt.layer(points, labels, vrule, hrule, ei_text, sr_text)
        .properties(title=title, width=640, height=440)
        .configure_legend(orient="bottom")
    )


def ranking_chart(table: pd.DataFrame, label: str, value: str, title: str, x_title: str) -> Any:
    """Horizontal bars of ``value`` per ``label``, largest first."""
    import altair as alt

    df = table.dropna(subset=[value])[[label, value]].copy()
    df[label] = df[label].astype(str)
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", title=x_title),
            tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=".3f")],
        )
        .properties(title=title, width=560, height=max(120, 16 * len(df)))
    )


def save_chart(chart: Any, path: Path | str) -> Path:
    """Write ``chart`` to ``path``: ``.html`` (self-contained, vega bundled), ``.png``, ``.svg`` or ``.json``."""
    import json

    import vl_convert as vlc

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    spec = chart.to_dict()
    suffix = target.suffix.lower()
    if suffix in (".html", ".htm"):
        target.write_text(vlc.vegalite_to_html(spec, bundle=True), encoding="utf-8")
    elif suffix == ".png":
        target.write_bytes(vlc.vegalite_to_png(spec, scale=2))
    elif suffix == ".svg":
        target.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
    elif suffix == ".json":
        target.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    else:
        raise ValueError(f"unknown chart format {suffix!r}; use .html, .png, .svg or .json")
    return target
