"""Scenario specs: the examples load; malformed files fail naming the key and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.scenario.spec import ScenarioSpecError, load_spec, parse_spec

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "scenarios").glob("*.toml"))

GOOD = """\
[scenario]
name = "t"
start = "2025-01"
months = 6

[[restriction]]
issuer = "China"
commodity = "rare-earths"
stage = "refining"
targets = ["USA"]
start = "2025-01"
duration = 3
"""


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_are_valid(path: Path) -> None:
    assert load_spec(path).restriction


def test_unknown_key_is_named_with_its_line() -> None:
    with pytest.raises(ScenarioSpecError, match=r"<spec>:13: restriction\.0\.colour: unknown key"):
        parse_spec(GOOD + 'colour = "red"\n')


def test_impossible_value_is_named_with_its_line() -> None:
    text = GOOD.replace("duration = 3", "duration = 3\nseverity = 1.5")
    with pytest.raises(
        ScenarioSpecError, match=r"<spec>:13: restriction\.0\.severity: severity must lie in \[0, 1\]"
    ):
        parse_spec(text)


def test_bad_distribution_is_named() -> None:
    text = GOOD + '\n[response]\nspare_capacity = {dist = "uniform", low = 0.2, high = 0.1}\n'
    with pytest.raises(
        ScenarioSpecError, match=r":15: response\.spare_capacity: low \(0\.2\) must not exceed high"
    ):
        parse_spec(text)


def test_missing_key_and_bad_toml() -> None:
    with pytest.raises(ScenarioSpecError, match=r"restriction\.0\.issuer: missing key"):
        parse_spec(GOOD.replace('issuer = "China"\n', ""))
    with pytest.raises(ScenarioSpecError, match="not valid TOML"):
        parse_spec("[scenario\n")


def test_new_keys_are_checked_with_their_line() -> None:
    text = GOOD.replace("months = 6", "months = 6\nnetwork_year = 1800")
    with pytest.raises(ScenarioSpecError, match=r"<spec>:5: scenario\.network_year"):
        parse_spec(text)
    text = GOOD + "\n[response]\nrerouting = 1.5\n"
    with pytest.raises(ScenarioSpecError, match=r":15: response\.rerouting: a share per year must lie in"):
        parse_spec(text)


def test_response_and_prices_left_out_stay_unset_until_completed() -> None:
    spec = parse_spec(GOOD)
    assert spec.response.ramp is None and spec.prices.demand_elasticity is None
    # a spec that sets only one elasticity is checked once the other is filled (parameters.complete)
    text = GOOD + "\n[prices]\nsupply_elasticity = 0.0\ndemand_elasticity = 0.0\n"
    with pytest.raises(ScenarioSpecError, match="must be positive in every draw"):
        parse_spec(text)


def test_a_licence_delay_longer_than_the_restriction_is_refused() -> None:
    text = GOOD.replace("duration = 3", "duration = 3\nlicence_delay = 4")
    with pytest.raises(
        ScenarioSpecError, match=r"restriction\.0: licence_delay \(4\) must not exceed duration"
    ):
        parse_spec(text)
