"""The public data API over the embedded store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import pytest

import critmin
from critmin.query import NoDataError, OutOfRangeError
from critmin.store import Store


def test_production_never_mixes_editions(built_store: Store) -> None:
    frame = critmin.production("rare-earths")
    assert frame["edition"].nunique() == 1
    assert set(frame["year"]) == {2024, 2025}


def test_production_picks_newest_edition_holding_the_year(built_store: Store) -> None:
    frame = critmin.production("rare-earths", year=2023)
    assert set(frame["edition"]) == {2025}


def test_missing_edition_is_an_error_naming_editions(built_store: Store) -> None:
    with pytest.raises(
        OutOfRangeError, match=r"edition 2026 \(USGS MCS editions with germanium: 2024–2025\)"
    ) as err:
        critmin.production("germanium", edition=2026)
    assert err.value.suggestions == [2025]


@pytest.mark.parametrize(
    ("call", "scope"),
    [
        (lambda: critmin.production("rare-earths", year=2099), "years of rare-earths in USGS MCS"),
        (lambda: critmin.production("rare-earths", edition=2024, year=2025), "in USGS MCS 2024"),
        (lambda: critmin.production("rare-earths", year=1990, source="wmd"), "World Mining Data"),
        (lambda: critmin.reserves("rare-earths", edition=2019), "USGS MCS editions with rare-earths"),
        (lambda: critmin.trade(commodity="rare-earths", year=2099), "years of BACI trade"),
        (lambda: critmin.governance(country="China", year=1990), "years of WGI estimates"),
    ],
)
def test_years_and_editions_outside_the_store_are_errors(
    built_store: Store, call: Callable[[], pd.DataFrame], scope: str
) -> None:
    with pytest.raises(OutOfRangeError, match=scope) as err:
        call()
    assert err.value.suggestions and set(err.value.suggestions) <= set(err.value.valid)


def test_group_member_without_its_own_table_points_to_the_group(built_store: Store) -> None:
    with pytest.raises(NoDataError, match=r"only as part of rare-earths: use 'rare-earths'"):
        critmin.production("Nd")


def test_brief_edition_check_falls_back_to_every_edition_for_group_members(built_store: Store) -> None:
    newest = critmin.query.usgs_editions()[0]
    assert critmin.query.check_usgs_edition("neodymium", newest) == newest
    with pytest.raises(OutOfRangeError, match=r"USGS MCS editions: "):
        critmin.query.check_usgs_edition("neodymium", 2019)


def test_spans_and_nearest_suggestions() -> None:
    assert critmin.query.spans([2015, 2010, 2011, 2012, 2017, 2018]) == "2010–2012, 2015, 2017–2018"
    err = OutOfRangeError("year", 2014, [2010, 2012, 2016, 2018], "years held")
    assert err.suggestions == [2012, 2016]
    assert str(err) == "no year 2014 (years held: 2010, 2012, 2016, 2018); did you mean 2012 or 2016?"
    assert critmin.query.check_years(None, [2010], "x") is None


def test_withheld_values_stay_missing(built_store: Store) -> None:
    ge = critmin.production("germanium", edition=2024)
    assert ge["value"].isna().any()
    assert ge.loc[ge["value"].isna(), "note"].str.len().gt(0).all()


def test_wmd_production_series(built_store: Store) -> None:
    wmd = critmin.production("rare-earths", source="wmd", country="China")
    assert sorted(wmd["year"]) == list(range(2018, 2025))
    assert wmd.set_index("year").loc[2024, "value"] == 270_000
    assert wmd["source"].str.contains("World Mining Data").all()


def test_trade_by_commodity_and_countries(built_store: Store) -> None:
    flows = critmin.trade(commodity="rare-earths", year=2024, exporter="China", importer="Japan")
    assert set(flows["hs"]) <= {"280530", "284610", "284690"}
    assert (flows["exporter"] == "CHN").all() and (flows["importer"] == "JPN").all()
    assert flows["value_kusd"].gt(0).all()
    eu = critmin.trade(hs="284690", year=2024, importer="EU27")
    assert set(eu["importer"]) <= set(critmin.vocab.eu27())
    assert len(set(eu["importer"])) > 5


def test_governance_mean_needs_all_six(built_store: Store) -> None:
    wgi = critmin.governance(country=["China", "Myanmar"], year=2023).set_index("iso3")
    six = wgi.loc["CHN", critmin.query.WGI_ESTIMATES]
    assert wgi.loc["CHN", "mean_estimate"] == pytest.approx(six.mean())
    assert wgi.loc["MMR", "political_stability"] < -1.5


def test_stage_shares_with_china_in_magnets(built_store: Store) -> None:
    magnets = critmin.stage_shares("rare-earths", stage="magnet")
    assert (magnets["stage"] == "magnet").all()
    assert magnets[magnets["iso3"] == "CHN"]["share_pct"].max() >= 80


def test_stage_shares_leave_out_projections_unless_asked(built_store: Store) -> None:
    observed = critmin.stage_shares("rare-earths", stage="refining")
    assert not observed["projection"].any()
    assert observed[observed["iso3"] == "CHN"]["year"].max() == 2023
    assert 2030 in set(critmin.stage_shares("rare-earths", stage="refining", projections=True)["year"])


def test_events_for_rare_earths_include_element_measures(built_store: Store) -> None:
    ev = critmin.events(commodity="rare-earths")
    assert ev["commodity_ids"].str.contains("dysprosium").any()
    assert ev["commodity_ids"].str.contains("rare-earths").any()
    assert not ev["commodity_ids"].str.fullmatch("gallium;germanium").any()


def test_events_as_of_drops_later_measures(built_store: Store) -> None:
    early = critmin.events(commodity="rare-earths", as_of="2012-01-01")
    assert len(early) >= 2
    assert (
        early["effective_from"].where(early["effective_from"] != "", early["announced"]) <= "2012-01-01"
    ).all()
    assert "in_force_on_as_of" in early
    later = critmin.events(commodity="rare-earths", as_of="2026-11-28")
    assert len(later) > len(early)


def test_past_in_force_follows_end_dates(built_store: Store) -> None:
    past = critmin.events(commodity="rare-earths", as_of="2011-03-01").set_index("event_id")
    assert past.loc["CHN-20101228-RE-QUOTA-2011H1", "in_force_on_as_of"]  # the first-half 2011 quota
    assert not past.loc["CHN-20100708-RE-QUOTA-H2", "in_force_on_as_of"]  # ended 2010-12-31
    today = critmin.events(commodity="rare-earths", as_of=date.today()).set_index("event_id")
    assert not today.loc["CHN-20101228-RE-QUOTA-2011H1", "in_force_on_as_of"]
    assert today.loc["CHN-20231221-RE-TECH-BAN", "in_force_on_as_of"]


def test_missing_dates_give_na_with_a_reason(built_store: Store) -> None:
    ev = critmin.events(as_of="2025-12-01", provenance="critmin").set_index("event_id")
    assert pd.isna(ev.loc["IND-202506-IREL-JAPAN-SUSPENSION", "in_force_on_as_of"])
    assert "effective_from unknown" in ev.loc["IND-202506-IREL-JAPAN-SUSPENSION", "in_force_reason"]
    known = ev[ev["effective_from"] != ""]
    unknown = known[known["in_force_on_as_of"].isna()]
    assert set(unknown.index) <= {"TZA-20170302-CONCENTRATE-BAN", "COD-20130405-CU-CO-CONCENTRATE-BAN"}


def test_suspension_pauses_measures_it_points_at(built_store: Store) -> None:
    during = critmin.events(commodity="holmium", as_of="2026-03-01").set_index("event_id")
    assert not during.loc["CHN-20251009-5-REE-LICENCE", "in_force_on_as_of"]
    assert (
        "suspended by CHN-20251107-SUSPENSION-OCT-CONTROLS"
        in during.loc["CHN-20251009-5-REE-LICENCE", "in_force_reason"]
    )
    only = critmin.events(commodity="holmium", as_of="2026-03-01", in_force=True)
    assert "CHN-20251009-5-REE-LICENCE" not in set(only["event_id"])


def test_bad_as_of_date_is_named(built_store: Store) -> None:
    with pytest.raises(ValueError, match="not an ISO date"):
        critmin.events(as_of="yesterday-ish")


def test_sources_cover_every_table(built_store: Store) -> None:
    src = critmin.sources()
    assert set(built_store.tables()) == set(src["name"])
    assert src["citation"].str.len().gt(0).all()


def test_supply_chain_tables_filter_by_commodity(built_store: Store) -> None:
    for frame in (
        critmin.end_uses("rare-earths"),
        critmin.prices("gallium"),
        critmin.import_sources("rare-earths"),
    ):
        assert len(frame) > 0
        assert frame["commodity"].nunique() == 1
    assert critmin.prices()["commodity"].nunique() > 1
    eu = critmin.eu_parameters("Natural graphite")
    assert eu["commodity"].tolist() == ["graphite"]
