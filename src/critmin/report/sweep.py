"""The offline HTML ranking of a scenario sweep: ``critmin scenario sweep … --out DIR`` writes
``DIR/ranking.html``.

Which importers and sectors are most exposed to which measures: a heat map of the importers' unserved share
of demand across the grid's combinations (shares, because combinations of different commodities have
volumes in different units), ranked tables of importer × measure and sector × measure with the Monte Carlo
bands, and the grid itself. Rendered with the brief's page machinery
(:func:`critmin.report.brief.render_page`: Vega inlined, nothing loaded from the network).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd

from critmin.report import charts
from critmin.report.brief import Figure, Section, Table, render_page
from critmin.report.scenario import _name

if TYPE_CHECKING:
    from critmin.scenario.spec import Spec
    from critmin.scenario.sweep import Grid

#: measures (combinations) and importers drawn in the heat map
TOP_MEASURES = 20
TOP_IMPORTERS = 15
#: rows of each ranked table
TOP_ROWS = 25


@dataclass
class SweepRanking:
    """Everything the ranking page shows: title, header items and sections."""

    title: str
    meta: list[str]
    sections: list[Section]

    @property
    def figures(self) -> list[Figure]:
        """All figures of all sections, in page order."""
        return [f for s in self.sections for f in s.figures]


def _measure_labels(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """A label per row naming its combination by the grid keys that vary (``#point`` if none does)."""
    varying = [k for k in keys if frame[k].nunique(dropna=False) > 1]
    if not varying:
        return "#" + frame["point"].astype(str)
    return frame[varying].astype(str).agg(" · ".join, axis=1)


def _number(value: Any) -> str:
    return "" if pd.isna(value) else f"{value:,.{0 if abs(value) >= 100 else 2}f}"


def heatmap(importers: pd.DataFrame) -> Any:
    """Unserved share of demand (%) by importer (rows) and measure (columns), the most exposed first."""
    order_m = (
        importers.groupby("measure")["unserved_share"].max().sort_values(ascending=False).head(TOP_MEASURES)
    )
    rows = importers[importers["measure"].isin(order_m.index)]
    order_i = rows.groupby("name")["unserved_share"].max().sort_values(ascending=False).head(TOP_IMPORTERS)
    rows = rows[rows["name"].isin(order_i.index)]
    chart = (
        alt.Chart(rows)
        .mark_rect()
        .encode(
            x=alt.X(
                "measure:N",
                sort=list(order_m.index),
                title=None,
                axis=alt.Axis(labelAngle=-40, labelLimit=220),
            ),
            y=alt.Y("name:N", sort=list(order_i.index), title=None),
            color=alt.Color(
                "unserved_share:Q",
                title="Unserved (% of demand)",
                scale=alt.Scale(scheme="oranges", domain=[0, max(1.0, float(rows["unserved_share"].max()))]),
            ),
            tooltip=[
                alt.Tooltip("name:N", title="Importer"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("unserved_share:Q", title="Unserved (% of demand)", format=".1f"),
                alt.Tooltip("unserved:Q", title="Unserved over the run", format=",.1f"),
                alt.Tooltip("unit:N", title="Unit"),
            ],
        )
        .properties(
            width=max(160, 28 * len(order_m)),
            height=max(60, 20 * len(order_i)),
            title=charts._title(
                "Importers most exposed, by measure",
                "Share of each importer's demand at the restricted stage left unserved over the run (run at"
                " median parameters).",
                "Model output (critmin.scenario sweep).",
            ),
        )
    )
    return charts._config(chart)


def _ranked_table(rows: pd.DataFrame, kind: str) -> Table:
    cols = ["Measure", "Commodity", kind, "Unserved", "5 %", "median", "95 %", "Unit"]
    if kind == "Importer":
        cols.insert(7, "% of demand")
    body = []
    for r in rows.itertuples(index=False):
        cells = [str(r.measure), str(r.commodity), str(r.name), *(_number(getattr(r, c)) for c in ("unserved", "unserved_p05",
                 "unserved_median", "unserved_p95"))]  # fmt: skip
        if kind == "Importer":
            cells.append(_number(r.share_pct))
        cells.append(str(r.unit))
        body.append(cells)
    return Table(
        cols,
        body,
        caption=f"The {len(body)} largest volumes unserved over the run, {kind.lower()} × measure (run at median"
        " parameters; 5/50/95 % of the Monte Carlo draws, summed over the months).",
        classes=[
            "mid",
            "nowrap",
            "",
            "num",
            "num",
            "num",
            "num",
            *(["num"] if kind == "Importer" else []),
            "nowrap",
        ],
        title=f"Ranking by {kind.lower()}",
    )


def build_ranking(
    frame: pd.DataFrame, grid: Grid, spec: Spec, draws: int, seed: int, skipped: pd.DataFrame
) -> SweepRanking:
    """The ranking page of a sweep's results ``frame`` (the rows of ``sweep.parquet``)."""
    from altair.utils.schemapi import debug_mode

    keys = list(grid.values)
    frame = frame.copy()
    frame["measure"] = _measure_labels(frame, keys)
    importers = frame[frame["kind"] == "importer"].copy()
    importers["name"] = importers["exposed"].map(_name)
    importers["unserved_share"] = importers["share_pct"].fillna(0.0)
    sectors = frame[frame["kind"] == "sector"].copy()
    sectors["name"] = sectors["exposed"]
    ranking = Section("ranking", "Who is most exposed to which measure")
    ranking.intro.append(
        f"{frame['point'].nunique():,} combinations of the grid applied to {spec.scenario.name!r}, each with"
        f" {draws:,} Monte Carlo draws and its own seed (derived from its keys and --seed {seed}). A measure is"
        " named by the grid keys that vary."
    )
    with debug_mode(False):
        if not importers.empty:
            ranking.figures.append(
                Figure(
                    "importers",
                    heatmap(importers),
                    "Unserved share of demand by importer and measure; darker is more exposed.",
                    ["Model output of critmin.scenario from the store's production and trade data."],
                )
            )
    top_i = importers.sort_values(["unserved", "point"], ascending=[False, True]).head(TOP_ROWS)
    ranking.tables.append(_ranked_table(top_i, "Importer"))
    top_s = sectors.sort_values(["unserved", "point"], ascending=[False, True]).head(TOP_ROWS)
    ranking.tables.append(_ranked_table(top_s, "Sector"))
    grid_section = Section("grid", "The grid")
    grid_section.tables.append(
        Table(
            ["Key", "Values"],
            [[k, ", ".join(str(v) for v in vals)] for k, vals in grid.values.items()],
            compact=True,
            caption=f"From {grid.path.name}; every combination of these values was run.",
        )
    )
    if not skipped.empty:
        grid_section.tables.append(
            Table(
                ["Combination", "Why it was not run"],
                [[c, r] for c, r in zip(skipped["combination"], skipped["reason"], strict=True)][:TOP_ROWS],
                caption=f"{len(skipped)} combination(s) could not run (all in skipped.csv).",
                title="Skipped combinations",
                collapsed=True,
            )
        )
    meta = [
        f"Grid {grid.path.name}",
        f"{frame['point'].nunique():,} combinations",
        f"{draws:,} draws each, seed {seed}",
        f"Generated {dt.datetime.now().replace(microsecond=0).isoformat(sep=' ')} by critmin",
    ]
    return SweepRanking(f"Sweep: {spec.scenario.name}", meta, [ranking, grid_section])


def write_ranking(ranking: SweepRanking, out: Path) -> Path:
    """Write the ranking page to ``out`` (one self-contained HTML file); returns ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_page("sweep.html.j2", ranking.figures, report=ranking), encoding="utf-8")
    return out


__all__ = ["SweepRanking", "build_ranking", "write_ranking"]
