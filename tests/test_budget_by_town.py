"""Public money by street/town (``tables/budget_by_town.csv``) against the budget, every shipped scenario.

Read from the golden files, which :mod:`tests.test_golden` keeps byte-identical to what a run
writes: the units must add up to ``budget.csv`` to the yuan for every year and item, and each
unit's construction money must be its own new slots times the public capital per slot of
``capital_costs.csv`` (worked out here from the allocation, not by the code under test).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tuoyu_model.data import load_towns
from tuoyu_model.parameters import list_scenarios

GOLDEN = Path(__file__).parent / "golden"


def _read(scenario: str, name: str) -> pd.DataFrame:
    return pd.read_csv(GOLDEN / scenario / "tables" / f"{name}.csv", encoding="utf-8-sig")


@pytest.mark.parametrize("scenario", sorted(list_scenarios()))
def test_units_add_up_to_budget_to_the_yuan(scenario):
    by_town = _read(scenario, "budget_by_town")
    budget = _read(scenario, "budget").set_index(["year", "item"])["amount_yuan"]
    sums = by_town.groupby(["year", "item"])["amount_yuan"].sum().reindex(budget.index)
    assert (sums - budget).abs().max() < 0.5, (sums - budget).abs().idxmax()
    assert set(by_town.town_id) == set(load_towns().index)  # every unit, with its zeros
    assert by_town.groupby(["year", "item"]).size().eq(len(load_towns())).all()


@pytest.mark.parametrize("scenario", sorted(list_scenarios()))
def test_unit_capital_is_its_new_slots_times_public_capital(scenario):
    alloc = _read(scenario, "allocation")
    caps = _read(scenario, "capital_costs").set_index("channel")
    rate = [
        caps.loc[c, "public_capital_inclusive_yuan" if k == "inclusive" else "public_capital_market_yuan"]
        for c, k in zip(alloc.channel, alloc.kind, strict=True)
    ]
    expected = (alloc.new_slots * rate).groupby([alloc.town_id, alloc.year]).sum()
    by_town = _read(scenario, "budget_by_town")
    got = by_town[by_town.item == "capital_subsidy"].set_index(["town_id", "year"])["amount_yuan"]
    expected = expected.reindex(got.index, fill_value=0.0)
    assert (got - expected).abs().max() < 0.5


def test_every_unit_has_one_schematic_tile_and_a_geojson_is_read_when_supplied(tmp_path):
    from tuoyu_model.data import load_unit_boundaries, load_unit_tiles
    from tuoyu_model.errors import DataError

    tiles = load_unit_tiles()
    assert list(tiles.index) == list(load_towns().index)
    assert not tiles.duplicated(["col", "row"]).any()
    assert tiles["source"].str.startswith("SCHEMATIC").all()  # labelled as a sketch, not a map
    assert load_unit_boundaries(tmp_path / "units.geojson") is None  # none shipped: tiles are drawn
    square = {"type": "Polygon", "coordinates": [[[116.3, 39.7], [116.4, 39.7], [116.4, 39.8], [116.3, 39.7]]]}
    doc = {"type": "FeatureCollection", "features": [{"properties": {"town_id": "huangcun"}, "geometry": square}]}
    path = tmp_path / "units.geojson"
    path.write_text(json.dumps(doc), "utf-8")
    assert load_unit_boundaries(path) == {"huangcun": [[(116.3, 39.7), (116.4, 39.7), (116.4, 39.8), (116.3, 39.7)]]}
    from tuoyu_model.presentation.figures import plot_units_map

    values = pd.DataFrame({"town": ["黄村镇"], "shortfall": [3.0], "inclusive_share": [0.5], "money_wan": [10.0]})
    fig = plot_units_map(values.set_index(pd.Index(["huangcun"])), tiles, load_unit_boundaries(path), 2025)
    assert "边界" in fig.get_suptitle()  # boundaries drawn, not the schematic
    path.write_text("{not json", "utf-8")
    with pytest.raises(DataError, match="GeoJSON"):
        load_unit_boundaries(path)
