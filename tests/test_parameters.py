"""Parameters with provenance, scenarios as diffs over them, and ``--set`` overrides."""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuoyu_model.cli import main
from tuoyu_model.data_status import STATUS_ZH
from tuoyu_model.errors import DataError, ScenarioError, TuoyuError
from tuoyu_model.parameter_schema import CONFIDENCE, ENTRY_REQUIRED, MAX_MULTIPLE, STATUS, _leaves, load_parameter_files
from tuoyu_model.parameters import apply_overrides, default_parameters, list_scenarios, load_scenario, parse_set_options
from tuoyu_model.yaml_reader import MAX_YAML_BYTES, MAX_YAML_DEPTH, parse_yaml, read_yaml


def _load_shipped():
    """Load the shipped parameters and scenario names; a broken file fails a test, never collection.

    The parametrised tests below need the names at collection time; when loading fails they get
    none and :func:`test_shipped_parameter_files_load` reports the loader's own message.
    """
    try:
        return default_parameters(), list_scenarios(), None
    except TuoyuError as exc:
        return None, [], exc


DEFAULTS, SCENARIOS, LOAD_ERROR = _load_shipped()
META = DEFAULTS.meta if DEFAULTS is not None else {}


def test_shipped_parameter_files_load():
    if LOAD_ERROR is not None:
        pytest.fail(f"the shipped parameters do not load: {LOAD_ERROR}")


# --- every shipped parameter carries its provenance ---


@pytest.mark.parametrize("name", sorted(META))
def test_shipped_parameter_has_full_metadata(name):
    m = META[name]
    for key in ENTRY_REQUIRED:
        assert key in m, key
    for key in ("description", "unit", "source"):
        assert isinstance(m[key], str) and m[key].strip(), key
    assert set(m["label"]) == {"zh", "en"}
    assert re.search(r"[\u4e00-\u9fff]", m["label"]["zh"]), "the zh label is for Chinese readers"
    assert m["label"]["en"].strip()
    assert m["status"] in STATUS
    assert m["confidence"] in CONFIDENCE
    assert isinstance(m["year"], int) and 1949 <= m["year"] <= 2100
    if "min" in m and "max" in m:
        assert m["min"] <= m["max"]


def test_parameter_names_are_unique_across_files_and_every_file_contributes():
    files = {m["file"] for m in META.values()}
    assert all(f.startswith("data/parameters/") or "/parameters/" in f for f in files)
    assert len(files) >= 5


def test_assumptions_are_flagged_in_the_table():
    table = DEFAULTS.table()
    assert set(table.status) <= set(STATUS)
    # The closing note of the foundation issue lists these; there must be some, and no silent ones.
    assert (table.status == "assumption").sum() > 0
    assert table.source.str.len().min() > 0


# --- strict loading of parameter files, beyond the broken-input fixtures ---

GOOD_ENTRY = """\
good_share:
  description: A share.
  label: {zh: 测试比例, en: Test share}
  unit: share
  value: 0.2
  source: test
  year: 2024
  confidence: high
  status: sourced
  min: 0
  max: 1
"""


@pytest.mark.parametrize(
    "change, words",
    [
        (("  max: 1\n", "  max: 1\n  nullable: maybe\n"), ["'good_share.nullable'", "应为 true 或 false"]),
        (("  min: 0\n", "  min: 2\n"), ["min 2 大于 max 1", "请交换两者"]),
        (("  year: 2024\n", "  year: 2024年\n"), ["'good_share.year'", "'2024年'", "如 2024"]),
        (("en: Test share}", "en: Test share, fr: Part}"), ["'good_share.label'", "应恰好有 'zh' 和 'en' 两段文字"]),
        (("  unit: share\n", "  unit: [share]\n"), ["'good_share.unit'", "应为文字"]),
        (("  value: 0.2\n", "  value: .nan\n"), ["'good_share' = nan", "不是有限的数"]),
        (("  value: 0.2\n", "  value: true\n"), ["'good_share' = True", "不是数字"]),
        (("  value: 0.2\n", "  value:\n"), ["'good_share' 是空的"]),
        (("good_share:", "Good-Share:"), ["'Good-Share'", "应为小写字母加下划线", "lower_case_with_underscores"]),
    ],
)
def test_malformed_entry_is_named(tmp_path, change, words):
    (tmp_path / "p.yaml").write_text(GOOD_ENTRY.replace(*change), encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_parameter_files(tmp_path)
    for word in ["p.yaml", *words]:
        assert word in str(exc.value)


def test_good_entry_loads_and_same_name_in_two_files_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD_ENTRY, encoding="utf-8")
    assert load_parameter_files(tmp_path)["good_share"]["value"] == 0.2
    (tmp_path / "b.yaml").write_text(GOOD_ENTRY, encoding="utf-8")
    with pytest.raises(DataError, match=r"b.yaml: 参数 'good_share' 已在 .*a.yaml 中定义；只保留一处定义"):
        load_parameter_files(tmp_path)


def test_yaml_reads_exponent_notation_as_numbers(tmp_path):
    # YAML 1.1 would read 5e6 as the text '5e6'; people write budgets that way.
    f = tmp_path / "x.yaml"
    f.write_text("a: 5e6\nb: 1.5E-3\nc: '5e6'\nd: 2024\ne: -2e+2\n", encoding="utf-8")
    assert read_yaml(f) == {"a": 5e6, "b": 1.5e-3, "c": "5e6", "d": 2024, "e": -200.0}


# --- the one YAML reader: no aliases, bounded nesting and size (issue 14) ---


def _alias_bomb(levels: int = 9) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _nested(levels: int, kind: str = "list") -> str:
    return ("[" * levels + "1" + "]" * levels) if kind == "list" else ("{a: " * levels + "1" + "}" * levels)


@pytest.mark.parametrize(
    "text, words",
    [
        (_alias_bomb(), ["第 1 行", "YAML 别名", "不支持锚点和别名"]),
        ("a: &x 1\nb: *x\n", ["YAML 别名"]),  # even one alias: the formats never need them
        ("a: &x {k: 1}\nb: {<<: *x}\n", ["YAML 别名"]),  # a merge key is an alias too
        ("value: " + _nested(400) + "\n", ["第 1 行", f"嵌套超过 {MAX_YAML_DEPTH} 层"]),
        ("value: " + _nested(400, "map") + "\n", [f"嵌套超过 {MAX_YAML_DEPTH} 层"]),
        ("value: " + _nested(100_000) + "\n", [f"嵌套超过 {MAX_YAML_DEPTH} 层"]),  # past libyaml's own 1,000
        ("a: " + "9" * 5000 + "\n", ["超过 4,300 位"]),
    ],
    ids=["billion-laughs", "one-alias", "merge-key", "400-lists", "400-mappings", "100k-lists", "5000-digits"],
)
def test_hostile_yaml_is_refused_in_one_line_at_once(text, words):
    t0 = time.perf_counter()
    with pytest.raises(DataError) as exc:
        parse_yaml(text, "data/parameters/x.yaml")
    assert time.perf_counter() - t0 < 2.0  # the bomb expanded would take hours; the refusal is instant
    message = str(exc.value)
    assert message.startswith("data/parameters/x.yaml: ") and "\n" not in message
    for word in words:
        assert word in message, message


def test_nesting_up_to_the_limit_is_read_and_one_more_is_refused():
    assert parse_yaml(_nested(MAX_YAML_DEPTH - 1), "x.yaml") is not None  # the leaf is the last level
    with pytest.raises(DataError, match="嵌套超过"):
        parse_yaml(_nested(MAX_YAML_DEPTH), "x.yaml")


def test_the_depth_limit_leaves_room_over_every_shipped_file():
    from tuoyu_model.paths import PROJECT_ROOT

    for f in sorted((PROJECT_ROOT / "data").rglob("*.yaml")):
        read_yaml(f)  # raises if a shipped file came near the limit


def test_parameter_file_over_the_size_cap_is_refused_before_it_is_parsed(tmp_path):
    padding = "# " + "x" * 98 + "\n"
    big = tmp_path / "big.yaml"
    big.write_text(GOOD_ENTRY + padding * (MAX_YAML_BYTES // len(padding) + 1), encoding="utf-8")
    assert big.stat().st_size > MAX_YAML_BYTES
    t0 = time.perf_counter()
    with pytest.raises(DataError) as exc:
        load_parameter_files(tmp_path)
    assert time.perf_counter() - t0 < 1.0
    for word in ("big.yaml", f"超过上限 {MAX_YAML_BYTES:,} 字节", "1 MiB", "16 KB"):
        assert word in str(exc.value)
    # Just under the cap it is read (the cap refuses only what no real file is).
    big.write_text(GOOD_ENTRY + padding * ((MAX_YAML_BYTES - len(GOOD_ENTRY)) // len(padding)), encoding="utf-8")
    assert load_parameter_files(tmp_path)["good_share"]["value"] == 0.2


def test_the_size_cap_is_far_above_every_shipped_file():
    from tuoyu_model.paths import PROJECT_ROOT

    largest = max(f.stat().st_size for f in (PROJECT_ROOT / "data").rglob("*.yaml"))
    assert largest * 20 < MAX_YAML_BYTES


def test_scenario_and_set_value_over_the_cap_are_scenario_errors(data_copy):
    (data_copy / "scenarios" / "big.yaml").write_text(
        "title: 大\ndescription: d\nnot_modelled: []\noverrides: {}\n" + "#" * MAX_YAML_BYTES, encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match="big.yaml: 文件有 .* 字节，超过上限"):
        load_scenario("big")
    with pytest.raises(ScenarioError, match="--set household_size: 内容有 .* 字节，超过上限"):
        parse_set_options(["household_size=" + "1" * (MAX_YAML_BYTES + 1)])


@pytest.mark.parametrize(
    "item, words",
    [
        ("take_up_rate=" + _nested(400), ["--set take_up_rate", "嵌套超过"]),
        ("take_up_rate={a: &x [1], b: *x}", ["--set take_up_rate", "YAML 别名"]),
    ],
)
def test_set_values_go_through_the_same_reader(item, words):
    with pytest.raises(ScenarioError) as exc:
        parse_set_options([item])
    for word in words:
        assert word in str(exc.value)


# --- every number has an upper bound with a reason (issue 14) ---

NUMERIC = sorted(n for n, m in META.items() if m.get("type", "number") in ("number", "integer"))


@pytest.mark.parametrize("name", NUMERIC)
def test_every_number_has_an_upper_bound_by_the_documented_rule(name):
    m = META[name]
    assert "min" in m and "max" in m
    largest = max((abs(v) for _, v in _leaves(m["value"]) if v is not None), default=0)
    if "max_reason" in m:
        assert re.search(r"[\u4e00-\u9fff]", m["max_reason"]), "the reason appears in a Chinese message"
    else:
        assert 0 < largest and m["max"] <= MAX_MULTIPLE * largest, (
            f"{name}: max {m['max']} is over {MAX_MULTIPLE}x the largest shipped value {largest}; "
            "lower it or say why in max_reason"
        )


def test_no_product_of_parameters_within_their_bounds_can_overflow():
    # The model multiplies parameters with each other and with counts from the CSVs (at most
    # 10^12): with every parameter at its ceiling, the product of all of them is still finite.
    from tuoyu_model.csv_reader import MAX_COUNT

    # Years (unit "year": plan, demand, census, centre, costing horizon, cost price year) index the
    # data and are never multiplied; a difference of years is only an exponent of a growth factor.
    # Parameters of one unit (the three budgets, the four penalties) are added to or compared
    # with each other, never multiplied (no quantity of the model is in yuan² or slots²): each
    # unit counts once, at its largest ceiling.
    by_unit: dict = {}
    for n in NUMERIC:
        unit = META[n].get("unit")
        if unit != "year":
            by_unit[unit] = max(by_unit.get(unit, 0.0), math.log10(max(abs(META[n]["max"]), 1)))
    digits = sum(by_unit.values())
    assert digits + 3 * math.log10(MAX_COUNT) < math.log10(sys.float_info.max)


def test_a_number_without_max_is_refused(tmp_path):
    (tmp_path / "p.yaml").write_text(GOOD_ENTRY.replace("  max: 1\n", ""), encoding="utf-8")
    with pytest.raises(DataError, match="'good_share' 缺少 'max'"):
        load_parameter_files(tmp_path)


@pytest.mark.parametrize(
    "override, words",
    [
        ({"rent": 1e308}, ["'rent' = 1e+308", "超出取值范围 [0, 100]"]),
        ({"capital_cost": {"social": 1e308}}, ["'capital_cost.social' = 1e+308", "[0, 1000000]"]),
        ({"budget": {2024: 1e11}}, ["'budget.2024'", "上限依据：随附为空"]),
        ({"budget": {2024: math.inf}}, ["'budget.2024' = inf", "不是有限的数"]),
        ({"household_size": math.nan}, ["'household_size' = nan", "不是有限的数"]),
        ({"highs_ipm_min_variables": 10**400}, ["'highs_ipm_min_variables'", "超出取值范围"]),
        ({"plan_years": {"first": 2025, "last": 2024}}, ["'plan_years' 的 first = 2025 晚于 last = 2024"]),
        ({"plan_years": {"first": 2026}}, ["first = 2026 晚于 last = 2025"]),
        ({"demand_years": {"last": 2022}}, ["'demand_years'", "晚于 last = 2022"]),
    ],
)
def test_huge_non_finite_and_reversed_values_are_refused_at_load(override, words):
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(DEFAULTS, override, "data/scenarios/x.yaml")
    message = str(exc.value)
    for word in ["data/scenarios/x.yaml", *words]:
        assert word in message, message


def test_a_span_of_one_year_is_accepted():
    assert apply_overrides(DEFAULTS, {"plan_years": {"last": 2024}}, "x")["plan_years"] == {"first": 2024, "last": 2024}


def test_unknown_parameter_name_suggests_the_close_one():
    with pytest.raises(ScenarioError, match="未知参数 'fee_cap_shar'（是否想写 'fee_cap_share'？）"):
        DEFAULTS["fee_cap_shar"]


# --- by_year ---


@pytest.mark.parametrize(
    "name, year, expected",
    [
        ("income_per_capita_all", 2023, 81752),
        ("income_per_capita_all", 2024, 85415),
        ("inclusive_share_target", 2024, 0.30),
        ("inclusive_share_target", 2025, 0.60),
        ("household_size", 2031, 2.39),  # a single value holds for every year
    ],
)
def test_by_year_reads_the_year(name, year, expected):
    assert DEFAULTS.by_year(name, year) == pytest.approx(expected)


def test_by_year_names_the_missing_year_and_the_file():
    with pytest.raises(DataError) as exc:
        DEFAULTS.by_year("income_per_capita_all", 2019)
    message = str(exc.value)
    for word in ("pricing.yaml", "'income_per_capita_all'", "没有 2019 年的值", "2022, 2023, 2024"):
        assert word in message


# --- overrides ---


def test_year_indexed_override_merges_by_key():
    p = apply_overrides(DEFAULTS, {"inclusive_share_target": {2025: 0.7}}, "test")
    assert p["inclusive_share_target"] == {2024: 0.30, 2025: 0.7}
    # A new year may be added to a year-indexed value; other keyed values refuse new keys.
    p = apply_overrides(DEFAULTS, {"inclusive_share_target": {2026: 0.8}}, "test")
    assert p.by_year("inclusive_share_target", 2026) == 0.8 and p.by_year("inclusive_share_target", 2024) == 0.3
    assert p.overridden == {"inclusive_share_target": "test"}
    assert DEFAULTS["inclusive_share_target"] == {2024: 0.30, 2025: 0.60}, "the defaults are not mutated"


def test_nested_override_keeps_the_other_keys():
    p = apply_overrides(DEFAULTS, {"age_mix": {"community": {"age_1_2": 0.5, "age_2_3": 0.5}}}, "test")
    assert p["age_mix"]["community"] == {"age_0_1": 0.0, "age_1_2": 0.5, "age_2_3": 0.5}
    assert p["age_mix"]["kindergarten"] == DEFAULTS["age_mix"]["kindergarten"]


@pytest.mark.parametrize(
    "override, words",
    [
        ({"take_up_rate": 0.5}, ["'take_up_rate' = 0.5", "形式不对", "按 age_band 分项"]),
        ({"household_size": {2024: 3}}, ["'household_size'", "形式不对", "单个值"]),
        ({"take_up_rate": {"age_3_4": 0.5}}, ["没有键 'age_3_4'", "可用的键：age_0_1, age_1_2, age_2_3"]),
        ({"inclusive_share_target": {"2025x": 0.5}}, ["'2025x'", "2024 这样的年份"]),
        ({"operating_subsidy_rule": "flt"}, ["'flt'", "是否想写 'flat'"]),
        ({"integer_classes": "yes please"}, ["应为 true 或 false"]),
    ],
)
def test_bad_override_is_a_scenario_error(override, words):
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(DEFAULTS, override, "data/scenarios/x.yaml")
    for word in ["data/scenarios/x.yaml", *words]:
        assert word in str(exc.value)


# --- --set parsing ---


@pytest.mark.parametrize(
    "items, expected",
    [
        (["household_size=3"], {"household_size": 3}),
        (["household_size = 3"], {"household_size": 3}),
        (["inclusive_share_target.2024=0.35"], {"inclusive_share_target": {"2024": 0.35}}),
        (["budget.2024=1e7", "budget.2025=2e7"], {"budget": {"2024": 1e7, "2025": 2e7}}),
        (["integer_classes=true"], {"integer_classes": True}),
        (["operating_subsidy_rule=flat"], {"operating_subsidy_rule": "flat"}),
        (["take_up_rate={age_2_3: 0.8}"], {"take_up_rate": {"age_2_3": 0.8}}),
        (["age_mix.community.age_2_3=0.6"], {"age_mix": {"community": {"age_2_3": 0.6}}}),
        (["x=a=b"], {"x": "a=b"}),  # only the first '=' separates
        ([], {}),
        (None, {}),
    ],
)
def test_parse_set_options(items, expected):
    assert parse_set_options(items) == expected


def test_set_with_a_year_reaches_by_year():
    s = load_scenario("baseline", parse_set_options(["inclusive_share_target.2024=0.35"]))
    # The text key '2024' from the command line is matched to the integer year of the defaults.
    assert s.parameters.by_year("inclusive_share_target", 2024) == 0.35
    assert s.parameters.by_year("inclusive_share_target", 2025) == 0.60
    assert s.parameters.overridden["inclusive_share_target"] == "--set"


def test_set_can_add_a_year():
    s = load_scenario("baseline", parse_set_options(["inclusive_share_target.2026=0.8"]))
    assert s.parameters["inclusive_share_target"] == {2024: 0.30, 2025: 0.60, 2026: 0.8}


def test_set_is_applied_after_the_scenario():
    s = load_scenario("household_3", {"household_size": 2.5})
    assert s.parameters["household_size"] == 2.5


# --- scenario hash ---


def test_scenario_hash_is_stable_and_sensitive():
    h = load_scenario("baseline").hash
    assert re.fullmatch(r"[0-9a-f]{16}", h)
    assert load_scenario("baseline").hash == h
    assert load_scenario("baseline", {"household_size": 3}).hash != h
    # The hash is of the resolved parameters: restating a default changes nothing.
    assert load_scenario("baseline", {"household_size": DEFAULTS["household_size"]}).hash == h


def test_scenario_hash_does_not_depend_on_where_the_data_live(data_copy, monkeypatch):
    copied = load_scenario("baseline").hash  # read from the copy under TUOYU_DATA_DIR
    monkeypatch.delenv("TUOYU_DATA_DIR")
    assert load_scenario("baseline").hash == copied


def test_shipped_scenarios_have_distinct_hashes():
    hashes = {load_scenario(n, defaults=DEFAULTS).hash for n in SCENARIOS}
    assert len(hashes) == len(SCENARIOS)


# --- every shipped scenario ---


@pytest.mark.parametrize("name", SCENARIOS)
def test_shipped_scenario_loads_and_overrides_existing_parameters(name):
    s = load_scenario(name, defaults=DEFAULTS)
    assert s.name == name and s.title.strip() and s.description.strip()
    assert s.not_modelled, "a scenario says what it does not model"
    assert set(s.overrides) <= set(META)
    assert set(s.parameters.overridden) == set(s.overrides)
    for key in s.overrides:
        assert s.parameters[key] != DEFAULTS[key], f"{name}: override of {key} restates the default"


def test_baseline_is_first_and_overrides_nothing():
    assert SCENARIOS[0] == "baseline"
    assert load_scenario("baseline", defaults=DEFAULTS).overrides == {}


# --- tuoyu params lists every parameter with its unit and source ---


def test_params_lists_every_parameter_with_unit_and_source(capsys):
    assert main(["params", "baseline"]) == 0
    lines = capsys.readouterr().out.splitlines()
    by_name = {line.split(" ", 1)[0]: line for line in lines}
    for name, m in META.items():
        assert name in by_name, name
        assert f"[{m['unit']}]" in by_name[name]
        assert m["source"] in by_name[name]
        assert f"— {STATUS_ZH[m['status']]}，可信度" in by_name[name]


# --- property: override -> table -> value round-trips within bounds ---

NUMERIC_SCALARS = sorted(
    n
    for n, m in META.items()
    if m.get("type", "number") in ("number", "integer") and not isinstance(m["value"], Mapping)
)
YEAR_INDEXED = sorted(
    n
    for n, m in META.items()
    if m.get("index") == "year" and m.get("type", "number") == "number" and isinstance(m["value"], Mapping)
)


def _value_in_bounds(meta: dict) -> st.SearchStrategy:
    lo = meta.get("min", -1e9)
    hi = meta.get("max", 1e9)
    if meta.get("type") == "integer":
        return st.integers(math.ceil(lo), math.floor(hi))
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(NUMERIC_SCALARS).flatmap(lambda n: st.tuples(st.just(n), _value_in_bounds(META[n]))))
def test_numeric_override_round_trips_through_set_and_table(case):
    name, value = case
    # Through the command line's text, as a user would type it.
    overrides = parse_set_options([f"{name}={value!r}"])
    p = apply_overrides(DEFAULTS, overrides, "--set")
    assert p[name] == value
    row = p.table().set_index("name").loc[name]
    assert float(row["value"]) == value
    assert row["overridden"] == "--set"


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(YEAR_INDEXED).flatmap(
        lambda n: st.tuples(st.just(n), st.sampled_from(sorted(META[n]["value"])), _value_in_bounds(META[n]))
    )
)
def test_year_override_round_trips_and_leaves_other_years(case):
    name, year, value = case
    p = apply_overrides(DEFAULTS, parse_set_options([f"{name}.{year}={value!r}"]), "--set")
    assert p.by_year(name, year) == value
    for other, v in DEFAULTS[name].items():
        if other != year:
            assert p.by_year(name, other) == v


# --- property: no override, however wrong, escapes as anything but a ScenarioError ---

ANY_YAML_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(META)), ANY_YAML_VALUE)
def test_any_override_is_applied_or_refused_with_a_scenario_error(name, value):
    try:
        p = apply_overrides(DEFAULTS, {name: value}, "data/scenarios/x.yaml")
    except ScenarioError as exc:
        assert "data/scenarios/x.yaml" in str(exc) and "\n" not in str(exc)
    else:
        assert p.overridden == {name: "data/scenarios/x.yaml"}


def test_yaml_is_read_only_through_the_one_reader():
    # A second loader would miss the alias, depth and size bounds (issue 14).
    from tuoyu_model.paths import PACKAGE_DIR

    readers = sorted(
        p.relative_to(PACKAGE_DIR).as_posix()
        for p in PACKAGE_DIR.rglob("*.py")
        if re.search(r"^\s*(import yaml|from yaml import)", p.read_text("utf-8"), re.MULTILINE)
    )
    assert readers == ["yaml_reader.py"]
