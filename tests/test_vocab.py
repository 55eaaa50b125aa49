"""Name resolution: commodities, stages, HS codes and countries, with suggestions for unknown names."""

from __future__ import annotations

import pytest

from critmin import vocab


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rare-earths", "rare-earths"),
        ("Rare Earths (REO)", "rare-earths"),
        ("rare_earths", "rare-earths"),
        ("REE", "rare-earths"),
        ("Nd", "neodymium"),
        ("graphite (natural)", "graphite"),
        ("Gemanium", "germanium"),
        ("Tungsten (W)", "tungsten"),
    ],
)
def test_commodity_synonyms_resolve(name: str, expected: str) -> None:
    assert vocab.resolve_commodity(name) == expected


def test_rare_earth_group_has_light_and_heavy_members() -> None:
    members = vocab.expand_commodity("rare-earths")
    assert {"neodymium", "dysprosium", "terbium", "yttrium", "light-rare-earths"} <= set(members)
    assert "dysprosium" in vocab.commodity("heavy-rare-earths").members
    assert "dysprosium" not in vocab.commodity("light-rare-earths").members


def test_unknown_commodity_error_suggests_close_names() -> None:
    with pytest.raises(vocab.UnknownNameError) as err:
        vocab.resolve_commodity("galium")
    assert "gallium" in err.value.suggestions
    assert "did you mean" in str(err.value)


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Burma", "MMR"),
        ("Congo, Dem. Rep.", "COD"),
        ("Congo (Kinshasa)", "COD"),
        ("Turkiye", "TUR"),
        ("Taiwan, China", "TWN"),
        ("Korea, Republic of", "KOR"),
        ("World total (rounded)", "WLD"),
        ("Other Asia, nes", "TWN"),
        ("USA", "USA"),
    ],
)
def test_country_spellings_of_our_sources(name: str, iso3: str) -> None:
    assert vocab.resolve_country(name) == iso3


def test_unknown_country_suggests() -> None:
    with pytest.raises(vocab.UnknownNameError) as err:
        vocab.resolve_country("Frnace")
    assert "France" in err.value.suggestions


def test_residual_rows_are_not_countries() -> None:
    assert vocab.is_residual("Other countries")
    with pytest.raises(vocab.UnknownNameError):
        vocab.resolve_country("Other countries")


def test_hs_codes_and_stages() -> None:
    assert vocab.hs_for("rare-earths") == ["280530", "284610", "284690"]
    assert vocab.hs_for("rare-earths", stage="metal") == ["280530"]
    assert vocab.resolve_stage("separation/refining") == "refining"
    assert len(vocab.eu27()) == 27


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("U.S.", "USA"),
        ("United States of America", "USA"),
        ("Deutschland", "DEU"),
        ("Türkiye", "TUR"),
        ("México", "MEX"),
        ("deu", "DEU"),
        ("DE", "DEU"),
        ("XKX", "XKX"),
        ("TWN", "TWN"),
        ("EU27", "EU27"),
        ("WLD", "WLD"),
        ("ANT", "ANT"),
    ],
)
def test_common_forms_and_data_codes_resolve(name: str, iso3: str) -> None:
    assert vocab.resolve_country(name) == iso3


def test_ioc_code_is_refused_with_the_iso3_suggested() -> None:
    with pytest.raises(vocab.UnknownNameError) as err:
        vocab.resolve_country("GER")
    assert err.value.suggestions == ["DEU"]
    assert "IOC" in str(err.value)


@pytest.mark.parametrize("name", ["XXX", "ABC", "ZZZ", "276", "", "=1+2", "Atlantis"])
def test_codes_and_names_that_mean_nothing_are_refused(name: str) -> None:
    with pytest.raises(vocab.UnknownNameError):
        vocab.resolve_country(name)


def test_numeric_code_suggests_its_country() -> None:
    with pytest.raises(vocab.UnknownNameError) as err:
        vocab.resolve_country("276")
    assert err.value.suggestions == ["DEU"]


def test_former_codes_have_names() -> None:
    assert vocab.country_name("ANT") == "Netherlands Antilles"
    assert vocab.country_name("DEU") == "Germany"
