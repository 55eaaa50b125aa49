"""The documented parameter set: checked against the rows it cites, and the default of every scenario."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources

import pytest

from critmin.scenario import Scenario
from critmin.scenario.parameters import KEYS, ParameterError, check, complete, documented
from critmin.scenario.spec import parse_spec
from critmin.store import Store

pytestmark = pytest.mark.usefixtures("built_store")

SPEC = """
[scenario]
name = "test"
start = "2025-01"
months = 6

[[restriction]]
issuer = "China"
commodity = "gallium"
stage = "refining"
targets = ["all"]
start = "2025-01"
duration = 6

[response]
ramp = 0.2
"""


def _raw() -> dict:  # type: ignore[type-arg]
    text = resources.files("critmin.data").joinpath("scenario/parameters.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def test_every_key_has_a_source_or_a_stated_assumption(built_store: Store) -> None:
    doc = documented()
    for section, keys in KEYS.items():
        for key in keys:
            assert key in doc.values[section]
            assert doc.why[key].strip()
    # the sourced ones name where the number comes from
    assert "Sprecher" in doc.why["ramp"] or "http" in doc.why["ramp"]


def test_a_number_that_differs_from_its_source_is_refused(built_store: Store) -> None:
    raw = copy.deepcopy(_raw())
    raw["response"]["ramp"] = 0.05
    with pytest.raises(ParameterError, match=r"sources\.ramp"):
        check(raw)
    raw = copy.deepcopy(_raw())
    raw["prices"]["cap_multiple"] = 30.0
    with pytest.raises(ParameterError, match=r"sources\.cap_multiple"):
        check(raw)


def test_an_unsourced_key_must_say_why(built_store: Store) -> None:
    raw = copy.deepcopy(_raw())
    del raw["assumptions"]["rerouting"]
    with pytest.raises(ParameterError, match="rerouting"):
        check(raw)


def test_keys_left_out_are_filled_and_noted_keys_given_are_kept(built_store: Store) -> None:
    spec, notes = complete(parse_spec(SPEC))
    assert spec.response.ramp == 0.2  # given in the file
    doc = documented().values
    assert spec.response.spare_capacity == doc["response"]["spare_capacity"]
    assert spec.prices.cap_multiple == doc["prices"]["cap_multiple"]
    noted = {n["item"] for n in notes}
    assert "response.ramp" not in noted
    assert {"response.rerouting", "response.stocks_months", "prices.demand_elasticity"} <= noted
    # and a run says so in its notes table
    result = Scenario(parse_spec(SPEC)).run(draws=0)
    items = set(result.notes["item"])
    assert "response.rerouting" in items and "response.ramp" not in items
