"""The annex as data, checked against a second, independent copy typed from the plan."""

import pytest

from tuoyu_model import data
from tuoyu_model.data import (
    TARGET_SETS,
    load_targets,
    load_towns,
    target_for_year,
    target_set_for_year,
    target_set_years,
    targets_wide,
)
from tuoyu_model.errors import DataError, ScenarioError
from tuoyu_model.parameters import load_scenario

# Typed again from ../shared/seed/000_d707bbbaf5485868.txt (附件), in the printed order:
# name, 2024 floor total/inclusive, 2025 high-quality total/inclusive, 2025 plan total/inclusive.
ANNEX = [
    ("兴丰街道", 210, 63, 210, 126, 370, 225),
    ("林校路街道", 220, 66, 220, 132, 380, 225),
    ("清源街道", 380, 114, 380, 228, 690, 415),
    ("观音寺街道", 290, 87, 290, 174, 520, 310),
    ("天宫院街道", 240, 69, 240, 138, 410, 245),
    ("高米店街道", 260, 78, 260, 156, 470, 280),
    ("黄村镇", 460, 138, 460, 276, 830, 498),
    ("西红门镇", 470, 140, 470, 280, 840, 507),
    ("旧宫镇", 490, 147, 490, 294, 880, 530),
    ("青云店镇", 180, 54, 180, 108, 330, 198),
    ("采育镇", 150, 45, 150, 90, 260, 155),
    ("安定镇", 90, 24, 90, 48, 140, 85),
    ("礼贤镇", 100, 30, 100, 60, 190, 110),
    ("榆垡镇", 180, 54, 180, 108, 330, 200),
    ("庞各庄镇", 90, 27, 90, 54, 350, 210),
    ("北臧村镇", 90, 27, 90, 54, 160, 99),
    ("魏善庄镇", 120, 36, 120, 72, 220, 132),
    ("长子营镇", 90, 27, 90, 54, 160, 95),
    ("瀛海镇", 270, 80, 270, 160, 480, 288),
    ("亦庄镇", 280, 84, 280, 168, 510, 305),
    ("生物医药基地", 20, 10, 20, 20, 40, 24),
    ("大兴经开区", 20, 10, 20, 20, 40, 24),
]
PRINTED_TOTALS = (4700, 1410, 4700, 2820, 8600, 5160)  # the annex's 合计 row


@pytest.fixture(scope="module")
def wide():
    return targets_wide(load_targets())


@pytest.mark.parametrize("seq, row", list(enumerate(ANNEX, start=1)), ids=[r[0] for r in ANNEX])
def test_annex_row_matches_printed_plan(wide, seq, row):
    got = wide[wide.seq == seq].iloc[0]
    assert got.town == row[0]
    figures = []
    for ts in TARGET_SETS:
        figures += [got[f"{ts}_total"], got[f"{ts}_inclusive"]]
    assert tuple(int(x) for x in figures) == row[1:]


def test_independent_copy_adds_up_to_printed_totals():
    sums = tuple(sum(r[i] for r in ANNEX) for i in range(1, 7))
    assert sums == PRINTED_TOTALS


def test_loaded_annex_adds_up_to_printed_totals(wide):
    cols = [f"{ts}_{k}" for ts in TARGET_SETS for k in ("total", "inclusive")]
    assert tuple(int(wide[c].sum()) for c in cols) == PRINTED_TOTALS


def test_per_unit_shares_are_kept_as_printed(wide):
    # The plan's rows deviate from 30%/60%; the data must not be "fixed" to round shares.
    assert wide.loc["tiangongyuan", "floor_2024_inclusive"] == 69
    assert wide.loc["anding", "floor_2024_inclusive"] == 24
    assert wide.loc["daxing_edz", "high_quality_2025_inclusive"] == 20


def test_ids_are_unique_ascii_and_names_unique(wide):
    assert len(wide) == 22
    assert wide.index.is_unique and all(i.isascii() for i in wide.index)
    assert wide.town.is_unique


def test_towns_agree_with_annex_and_carry_sources():
    towns = load_towns()
    assert list(towns.town) == [r[0] for r in ANNEX]
    for col in [c for c in towns.columns if c.endswith("_source")]:
        assert (towns[col].str.len() > 0).all(), col


def test_census_populations_and_proxy_rule():
    towns = load_towns()
    assert towns.loc["jiugong", "population"] == 189_300
    assert towns.loc["yizhuang", "population"] == 108_255
    # The proxy splits the rest of the census total in proportion to the 2025 plan targets.
    proxy = towns[towns.population_source.str.startswith("PROXY")]
    assert len(proxy) == 20
    plan = targets_wide(load_targets())["plan_2025_total"]
    rest = 1_993_591 - 189_300 - 108_255
    expected = rest * plan[proxy.index] / plan[proxy.index].sum()
    assert (proxy.population - expected).abs().max() <= 0.5
    assert towns.population.sum() == pytest.approx(1_993_591, abs=22)


# --- which target set is due when: read from the annex's year column, not from code ---


def test_target_set_years_come_from_the_year_column():
    assert target_set_years(load_targets()) == {"floor_2024": 2024, "high_quality_2025": 2025, "plan_2025": 2025}
    assert not hasattr(data, "TARGET_SET_YEAR")  # no year <-> set table in code


def _retime(data_copy, target_set: str, year: int) -> None:
    f = data_copy / "targets.csv"
    lines = f.read_text("utf-8").splitlines()
    head = lines[0].split(",")
    ts, yr = head.index("target_set"), head.index("year")
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[ts] == target_set:
            cells[yr] = str(year)
        out.append(",".join(cells))
    f.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_the_rule_follows_the_annex_when_its_years_change(data_copy):
    # Were the floor targets due at the end of 2023, 2023 would take them and 2024 none.
    _retime(data_copy, "floor_2024", 2023)
    params = load_scenario("baseline").parameters
    assert target_set_for_year(params, 2023) == "floor_2024"
    assert target_for_year(params, 2024) == ("", "none")
    no_2024 = "附件没有 2024 年的目标：附件只规定了 2023、2025 年底的目标（见其 'year' 列）"
    with pytest.raises(ScenarioError, match=no_2024):
        target_set_for_year(params, 2024)
    assert target_set_for_year(params, 2025) == "high_quality_2025"
    with pytest.raises(ScenarioError, match="请让年份从 2023 年或以后开始"):
        target_set_for_year(params, 2022)


def test_a_year_due_one_set_ignores_the_choice_and_a_year_due_several_uses_it(data_copy):
    # high_quality_2025 moved to 2026: 2025 has one set (plan_2025) whatever the choice says,
    # and 2026 has one set too.
    _retime(data_copy, "high_quality_2025", 2026)
    params = load_scenario("baseline").parameters  # target_set_2025: high_quality_2025
    assert target_set_for_year(params, 2025) == "plan_2025"
    assert target_set_for_year(params, 2026) == "high_quality_2025"
    assert target_set_for_year(params, 2030) == "high_quality_2025"  # held after the last year


def test_a_choice_naming_a_set_not_due_that_year_is_refused(data_copy):
    _retime(data_copy, "high_quality_2025", 2024)  # 2024 now has two sets due: the choice picks
    assert target_set_for_year(load_scenario("baseline").parameters, 2024) == "high_quality_2025"
    with pytest.raises(ScenarioError, match=r"target_set_2025 = 'plan_2025' 不是 2024 年底到期的目标口径"):
        target_set_for_year(load_scenario("plan_2025").parameters, 2024)


def test_one_target_set_has_one_year(data_copy):
    _retime(data_copy, "plan_2025", 2025)
    f = data_copy / "targets.csv"
    f.write_text(f.read_text("utf-8").replace(",plan_2025,2025,", ",plan_2025,2026,", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"plan_2025）year = 2026，但该口径其余 21 行为 2025"):
        load_targets()


def test_rows_with_the_same_seq_in_different_sets_name_both(data_copy):
    # 林校路街道 numbered 3 in plan_2025 only: seq 3 is then 清源街道 and 林校路街道.
    f = data_copy / "targets.csv"
    text = f.read_text("utf-8")
    row = next(r for r in text.splitlines() if ",linxiaolu," in r and ",plan_2025," in r)
    f.write_text(text.replace(row, "3" + row[row.index(",") :]), encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_targets()
    message = str(exc.value)
    for word in ("序号都是 3", "qingyuan 清源街道", "linxiaolu 林校路街道", "第 4 行和第 47 行"):
        assert word in message, message


def test_a_csv_over_the_size_cap_is_refused_before_it_is_parsed(data_copy):
    from tuoyu_model.csv_reader import MAX_CSV_BYTES

    f = data_copy / "towns.csv"
    text = f.read_text("utf-8")
    assert len(text.encode()) * 20 < MAX_CSV_BYTES  # the cap is far above the real file
    f.write_text(text + "\n" * (MAX_CSV_BYTES + 1 - len(text.encode())), encoding="utf-8")
    with pytest.raises(DataError, match=r"towns.csv: 文件有 1,048,577 字节，超过上限 1,048,576 字节（1 MiB"):
        load_towns()
