"""Fixtures of the report tests: small frames in the shapes of the data API."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest


def usgs_rows(rows: list[tuple[Any, ...]], *, edition: int, unit: str = "t REO") -> pd.DataFrame:
    """USGS-shaped frame from (year, country, iso3, value, estimated) tuples."""
    return pd.DataFrame(
        [
            {
                "dataset": "usgs_mcs",
                "commodity": "rare-earths",
                "product": "",
                "stage": "mining",
                "edition": edition,
                "year": year,
                "country": country,
                "iso3": iso3,
                "value": value,
                "unit": unit,
                "estimated": est,
                "note": "",
                "source": f"USGS MCS {edition} data release, doi:10.5066/TEST{edition}",
            }
            for year, country, iso3, value, est in rows
        ]
    )


class FakeAPI:
    """A stand-in for :mod:`critmin.query` serving small fixed frames (rare earths only)."""

    def __init__(self, *, with_reserves: bool = True, with_trade: bool = True) -> None:
        self.with_reserves = with_reserves
        self.with_trade = with_trade

    def reserves(self, commodity: str, edition: int | None = None) -> pd.DataFrame:
        if not self.with_reserves:
            from critmin.query import NoDataError

            raise NoDataError("no reserves")
        return usgs_rows(
            [
                (2024, "China", "CHN", 44_000_000, False),
                (2024, "Brazil", "BRA", 21_000_000, False),
                (2024, "India", "IND", 6_900_000, False),
                (2024, "Other countries", None, 1_000_000, False),
                (2024, "World total", "WLD", 90_000_000, False),
            ],
            edition=2025,
        )

    def production(
        self, commodity: str, edition: int | None = None, source: str = "usgs", **_: Any
    ) -> pd.DataFrame:
        if source == "wmd":
            df = usgs_rows(
                [(y, "China", "CHN", 200_000 + 10_000 * (y - 2018), False) for y in range(2018, 2025)]
                + [(y, "Myanmar", "MMR", 30_000, False) for y in range(2018, 2025)],
                edition=0,
                unit="metr. t",
            )
            return df.assign(dataset="wmd", edition=pd.NA, source="World Mining Data test")
        if edition not in (None, 2024, 2025):
            from critmin.query import NoDataError

            raise NoDataError("no such edition")
        ed = 2025 if edition is None else edition
        return usgs_rows(
            [
                (ed - 2, "China", "CHN", 240_000 if ed == 2024 else 255_000, False),
                (ed - 2, "Burma", "MMR", 38_000, False),
                (ed - 2, "World total", "WLD", 350_000, False),
                (ed - 1, "China", "CHN", 270_000, True),
                (ed - 1, "Burma", "MMR", 31_000, True),
                (ed - 1, "United States", "USA", 45_000, True),
                (ed - 1, "World total", "WLD", 390_000, True),
            ],
            edition=ed,
        )

    def usgs_editions(self, commodity: str) -> list[int]:
        return [2025, 2024]

    def stage_shares(self, commodity: str, stage: str | None = None) -> pd.DataFrame:
        rows = [
            ("mining", "mining", "China", "CHN", 68.5, 2024, "derived from USGS Mineral Commodity Summaries 2025"),
            ("mining", "mining", "United States", "USA", 11.4, 2024, "derived from USGS Mineral Commodity Summaries 2025"),
            ("mining", "mining", "Other", None, 20.1, 2024, "derived from USGS Mineral Commodity Summaries 2025"),
            ("mining", "mining", "China", "CHN", 67.8, 2023, "derived from USGS Mineral Commodity Summaries 2025"),
            ("refining", "refining (IEA)", "China", "CHN", 92.0, 2023, "IEA Global Critical Minerals Outlook 2024"),
            ("refining", "refining (IEA)", "Malaysia", "MYS", 5.0, 2023, "IEA Global Critical Minerals Outlook 2024"),
            ("refining", "refining (IEA base-case projection)", "China", "CHN", 77.0, 2030, "IEA projection"),
            ("magnet", "NdFeB magnets", "China", "CHN", 87.0, 2022, "MacroPolo 2022"),
        ]  # fmt: skip
        cols = ["stage", "stage_detail", "country", "iso3", "share_pct", "year", "source"]
        return pd.DataFrame(rows, columns=cols).assign(commodity="rare-earths")

    def trade(self, commodity: str | None = None, **_: Any) -> pd.DataFrame:
        if not self.with_trade:
            return pd.DataFrame(columns=["year", "exporter", "importer", "hs", "value_kusd", "quantity_t"])
        rows = []
        for year in (2023, 2024):
            rows += [
                (year, "CHN", "USA", "284690", 100_000.0),
                (year, "CHN", "JPN", "280530", 50_000.0),
                (year, "MMR", "CHN", "284690", 800_000.0),
                (year, "JPN", "USA", "284690", 20_000.0),
                (year, "EST", "USA", "280530", 5_000.0),
                (year, "VNM", "JPN", "280530", 190_000.0),
            ]
        df = pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs", "value_kusd"])
        return df.assign(quantity_t=1.0, edition="V202401b", source="CEPII BACI HS92 V202401b (test)")

    def events(self, commodity: str | None = None, as_of: str | None = None, **_: Any) -> pd.DataFrame:
        rows = [
            ("CHN-1", "2010-07-08", "2010-07", "China", "CHN", "export_quota", "lifted", False),
            ("CHN-2", "2025-04-04", "2025-04-04", "China", "CHN", "export_licence", "in_force", True),
            ("MYS-1", "2024-01-01", None, "Malaysia", "MYS", "export_ban", "in_force", True),
            ("XXX-1", None, None, "Nowhere", "CHN", "other", "announced", False),
        ]
        cols = [
            "event_id",
            "announced",
            "effective_from",
            "country",
            "iso3",
            "measure",
            "status",
            "in_force_on_as_of",
        ]
        df = pd.DataFrame(rows, columns=cols)
        return df.assign(
            commodities="rare earths;samarium",
            commodity_ids="rare-earths;samarium",
            hs_codes="2846",
            target="all",
            summary="A measure.",
            source_url="https://example.org/news",
            source="critmin export-control registry (test)",
        )

    def sources(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                ("usgs_mcs", "USGS MCS", "2025", "U.S. Geological Survey, MCS 2025", "https://doi.org/x", "public domain"),
                ("baci_trade", "BACI", "V202401b", "CEPII BACI", "http://www.cepii.fr", "Etalab 2.0"),
                ("wgi", "WGI", "2024", "World Bank WGI", "https://wb.org", "CC BY 4.0"),
            ],
            columns=["name", "title", "edition", "citation", "url", "licence"],
        )  # fmt: skip


@pytest.fixture()
def fake_api() -> FakeAPI:
    """The default stand-in API."""
    return FakeAPI()


@pytest.fixture()
def make_api() -> type[FakeAPI]:
    """The stand-in API class, for tests that need a variant (no reserves, no trade)."""
    return FakeAPI
