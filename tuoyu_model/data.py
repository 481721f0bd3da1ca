"""Load and validate the plan's annex (``data/targets.csv``) and the unit attributes.

The unit attributes are ``data/towns.csv``.

Both are read strictly: UTF-8 (with or without BOM), the expected columns, whole non-negative
numbers where numbers belong, 22 unique units whose ids and names agree across files, and the
annex's printed column totals (``data/targets_totals.csv``, the 合计 row as printed).
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from tuoyu_model.errors import DataError, ScenarioError, did_you_mean
from tuoyu_model.paths import data_dir, display, read_bounded

TARGET_SETS = ("floor_2024", "high_quality_2025", "plan_2025")
# Which year-end each target set is due is read from the annex's ``year`` column
# (:func:`target_set_years`), never written here; later years follow ``target_after_plan``.
UNIT_KINDS = {"street": "街道", "town": "镇", "zone": "园区"}
N_UNITS = 22
# A row the annex prints under the units (its 合计), kept by mistake when the table was copied.
_TOTAL_ROW = re.compile(r"^(合\s*计|总\s*计|小\s*计|全区(合计)?|total|sum)$", re.IGNORECASE)

TARGET_COLUMNS = ["seq", "town_id", "town", "kind", "target_set", "year", "total_slots", "inclusive_slots", "source"]
TOTALS_COLUMNS = ["target_set", "total_slots", "inclusive_slots", "source"]
# The one place that knows the starting stock: towns.csv holds the slots in service at the end of
# STOCK_YEAR in these two columns (their names say the year); readers use :func:`starting_stock`.
STOCK_TOTAL, STOCK_INCLUSIVE = "existing_slots_2023", "existing_inclusive_2023"
STOCK_YEAR = int(STOCK_TOTAL.rsplit("_", 1)[1])
# Figures in towns.csv; each has a companion ``<name>_source`` column.
TOWN_FIGURES = [
    "population",
    STOCK_TOTAL,
    STOCK_INCLUSIVE,
    "kindergartens",
    "spare_kindergarten_rooms",
    "idle_premises",
    "employers",
]
TOWN_COLUMNS = ["town_id", "town", "kind"] + [c for f in TOWN_FIGURES for c in (f, f"{f}_source")]


def _decode(raw: bytes, where: str) -> str:
    """Decode a CSV's bytes as UTF-8 (BOM or not), naming the encoding a user most likely used."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{where}: saved as 'Unicode Text' (UTF-16); re-save it as 'CSV UTF-8' in Excel or WPS")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{where}: not UTF-8 text (at byte position {exc.start}); it looks saved as GBK/ANSI — "
            "re-save it as 'CSV UTF-8' in Excel or WPS"
        ) from None


# Excel writes 87037 formatted as "#,##0" as "87,037"; accept that grouping, nothing looser.
_GROUPED = r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"
# The shipped CSVs are at most 24 KB (towns.csv); 1 MiB is 40 times that. A bigger file is not
# the annex or the unit table (a pasted export), and would cost seconds of row-by-row checks.
MAX_CSV_BYTES = 1 << 20
# Counts beyond this are typing errors, and they would not survive int64 arithmetic anyway.
_MAX_COUNT = 10**12


def read_csv_strict(path: Path, required: list[str], integer_columns: list[str] = ()) -> pd.DataFrame:
    r"""Read a CSV that people may have edited in Excel, and fail clearly on anything wrong.

    Accepted as Excel and WPS write them: a UTF-8 byte-order mark, Windows line endings, blank
    lines and rows of empty cells (dropped), spaces around cells, and thousands separators in
    numbers (``"87,037"``). Row numbers in messages are those a spreadsheet shows (header = 1).

    Parameters
    ----------
    path : Path
        The file.
    required : list of str
        Columns that must be present (extra columns are allowed and kept).
    integer_columns : list of str, default ()
        Columns that must hold whole numbers ≥ 0 in every row.

    Returns
    -------
    pandas.DataFrame
        Text columns as ``str``, integer columns as ``int64``. The index is the file's row
        number minus 2, so ``index + 2`` is the spreadsheet row even after blank rows are dropped.

    Raises
    ------
    DataError
        Missing file, larger than :data:`MAX_CSV_BYTES`, not UTF-8 (e.g. saved as GBK), empty, a
        missing column, a blank, text or negative or fractional value in an integer column.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     f = Path(folder) / "t.csv"
    ...     _ = f.write_bytes("\ufeffunit,slots\r\n兴丰, \"1,210\"\r\n,\r\n".encode())
    ...     read_csv_strict(f, ["unit", "slots"], ["slots"]).to_dict("records")
    [{'unit': '兴丰', 'slots': 1210}]

    """
    path = Path(path)
    where = display(path)
    text = _decode(read_bounded(path, MAX_CSV_BYTES, "1 MiB；随附文件最大约 24 KB"), where)
    if not text.strip():
        raise DataError(f"{where}: the file is empty; expected a header row with {', '.join(required)}")
    try:
        df = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{where}: not a well-formed CSV ({str(exc).strip()}); check quotes and commas") from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing and len(df.columns) == 1:
        sep = next((s for s in (";", "\t") if s in df.columns[0]), None)
        if sep:
            name = "semicolons" if sep == ";" else "tabs"
            raise DataError(
                f"{where}: the columns are separated by {name}, not commas; re-save it as "
                "'CSV UTF-8 (comma delimited)' in Excel or WPS"
            )
    if missing:
        # Suggest in the user's direction: which header cell should have been this column?
        found = [c for c in df.columns if c not in required and did_you_mean(c, [missing[0]])]
        hint = f" — the header has '{found[0]}': did you mean '{missing[0]}'? Rename it" if found else ""
        raise DataError(f"{where}: missing column '{missing[0]}'{hint}; expected columns: {', '.join(required)}")
    df = df.apply(lambda s: s.str.strip())
    # Keep the index (the file's row numbers) so messages point at the row a spreadsheet shows.
    df = df[(df != "").any(axis=1)]
    if df.empty:
        raise DataError(f"{where}: no data rows under the header; expected one row per unit")
    return parse_integer_columns(df, integer_columns, where)


def parse_integer_columns(df: pd.DataFrame, columns: list[str], where: str) -> pd.DataFrame:
    """Turn the text ``columns`` of a :func:`read_csv_strict` table into whole numbers ≥ 0.

    Raises
    ------
    DataError
        A blank, text, negative, fractional or implausibly large cell, naming its row and column.

    """
    for col in columns:
        # Full-width digits (２１０) typed with a Chinese input method are the same number.
        cells = df[col].str.normalize("NFKC")
        cells = cells.where(~cells.str.match(_GROUPED), cells.str.replace(",", "", regex=False))
        values = pd.to_numeric(cells, errors="coerce")
        for i in df.index:
            cell = df.at[i, col]
            row = i + 2  # the header is row 1, as a spreadsheet shows it
            v = values[i]
            if cell == "":
                raise DataError(f"{where}: row {row}, column '{col}' is blank; expected a whole number ≥ 0")
            if pd.isna(v) or not math.isfinite(v):
                raise DataError(
                    f"{where}: row {row}, column '{col}' = '{cell}' is not a number; "
                    "expected a whole number ≥ 0 (digits only, no units or words)"
                )
            if v < 0:
                raise DataError(
                    f"{where}: row {row}, column '{col}' = {cell} is negative; slot and population counts must be ≥ 0"
                )
            if v != int(v):
                raise DataError(
                    f"{where}: row {row}, column '{col}' = {cell} is not a whole number; "
                    "counts are whole places, people or premises — correct the cell"
                )
            if v > _MAX_COUNT:
                raise DataError(
                    f"{where}: row {row}, column '{col}' = {cell} is implausibly large; "
                    "check the cell for a typing error"
                )
        df[col] = values.astype("int64")
    return df


def load_targets(path: Path | None = None, totals_path: Path | None = None) -> pd.DataFrame:
    """Load the annex (任务分解表) as a tidy table and check it against the printed totals.

    Parameters
    ----------
    path : Path, optional
        Default ``data/targets.csv``.
    totals_path : Path, optional
        Default ``data/targets_totals.csv`` (the annex's 合计 row).

    Returns
    -------
    pandas.DataFrame
        One row per unit × target set: ``seq, town_id, town, kind, target_set, year,
        total_slots, inclusive_slots, source``; 66 rows in the plan's order.

    Raises
    ------
    DataError
        On any deviation from the annex's shape or totals.

    Examples
    --------
    >>> t = load_targets()
    >>> int(t.loc[t.target_set == "plan_2025", "total_slots"].sum())
    8600

    """
    path = Path(path) if path else data_dir() / "targets.csv"
    totals_path = Path(totals_path) if totals_path else data_dir() / "targets_totals.csv"
    where = display(path)
    df = read_csv_strict(path, TARGET_COLUMNS)
    for cell in ("town", "town_id", "seq"):
        total = df.index[df[cell].str.fullmatch(_TOTAL_ROW)]
        if len(total):
            raise DataError(
                f"{where}: 第 {total[0] + 2} 行（{cell} = '{df.at[total[0], cell]}'）是附件的合计行，不是一个单位；"
                f"请删除这一行（合计由 {display(totals_path)} 核对）"
            )
    df = parse_integer_columns(df, ["seq", "year", "total_slots", "inclusive_slots"], where)
    # A target set is due at one year-end: the year most of its rows give.
    usual = df.groupby("target_set")["year"].agg(lambda y: y.mode().iloc[0])
    for i, row in df.iterrows():
        r = i + 2
        if row.target_set not in TARGET_SETS:
            raise DataError(
                f"{where}: row {r}, column 'target_set' = '{row.target_set}' is unknown"
                f"{did_you_mean(row.target_set, TARGET_SETS)}; expected one of {', '.join(TARGET_SETS)}"
            )
        if row.year != usual[row.target_set]:
            others = df.index[(df.target_set == row.target_set) & (df.year == usual[row.target_set])]
            raise DataError(
                f"{where}: 第 {r} 行（{row.town_id}，{row.target_set}）year = {row.year}，但该口径其余 "
                f"{len(others)} 行为 {usual[row.target_set]}；同一口径的目标在同一年底到期，请改正这一行"
            )
        if not 1 <= row.seq <= N_UNITS:
            raise DataError(
                f"{where}: 第 {r} 行（序号 seq = {row.seq}，{row.town_id} {row.town}，{row.target_set}）"
                f"不是附件的单位：附件的序号为 1–{N_UNITS}；请删除这一多余的行，或改正序号"
            )
        if row.kind not in UNIT_KINDS:
            zh = {v: k for k, v in UNIT_KINDS.items()}
            hint = f" (write '{zh[row.kind]}' for {row.kind})" if row.kind in zh else ""
            raise DataError(
                f"{where}: row {r}, column 'kind' = '{row.kind}' is unknown{hint}; "
                f"expected one of {', '.join(UNIT_KINDS)}"
            )
        if row.inclusive_slots > row.total_slots:
            raise DataError(
                f"{where}: row {r} ({row.town}, {row.target_set}): inclusive_slots "
                f"{row.inclusive_slots} > total_slots {row.total_slots}; inclusive slots "
                "are part of the total — check the two columns"
            )
        if not row.town:
            raise DataError(f"{where}: row {r}, column 'town' is blank; give the unit's name as the annex prints it")
        if not row.town_id.isascii() or not row.town_id.replace("_", "").isalnum():
            raise DataError(
                f"{where}: row {r}, column 'town_id' = '{row.town_id}' must be ASCII "
                "letters, digits and '_' (e.g. 'jiugong')"
            )
    dup = df[df.duplicated(["town_id", "target_set"], keep=False)]
    if not dup.empty:
        d = dup.iloc[0]
        raise DataError(
            f"{where}: unit '{d.town_id}' ({d.town}) appears more than once for target set "
            f"'{d.target_set}'; keep one row per unit and target set"
        )
    names = df.groupby("town_id")["town"].nunique()
    if (names > 1).any():
        bad = names[names > 1].index[0]
        raise DataError(
            f"{where}: unit id '{bad}' carries different names "
            f"({', '.join(sorted(df.loc[df.town_id == bad, 'town'].unique()))}); use one name"
        )
    ids = df.groupby("town")["town_id"].nunique()
    if (ids > 1).any():
        bad = ids[ids > 1].index[0]
        raise DataError(f"{where}: unit name '{bad}' carries several ids; use one id per unit")
    # One seq number names one unit, in every target set. (A unit numbered differently in two
    # sets then always shows as a number shared by two units: 22 units fill 1–22.)
    units = df.drop_duplicates(["seq", "town_id"])
    clash = units[units.duplicated("seq", keep=False)]
    if not clash.empty:
        a, b = (df.loc[i] for i in clash.index[:2])
        raise DataError(
            f"{where}: 第 {a.name + 2} 行和第 {b.name + 2} 行的序号都是 {a.seq}，却是两个单位"
            f"（{a.town_id} {a.town}、{b.town_id} {b.town}）；每个序号对应一个单位，请改正其中一行的序号"
        )
    for ts in TARGET_SETS:
        n = int((df.target_set == ts).sum())
        if n != N_UNITS:
            have = df.loc[df.target_set == ts]
            absent = sorted(set(df.town_id) - set(have.town_id))
            # A unit missing from every target set leaves no id behind; its seq number does.
            gaps = sorted(set(range(1, N_UNITS + 1)) - set(have.seq))
            extra = (
                f" (missing: {', '.join(absent)})"
                if absent
                else f" (missing seq {', '.join(map(str, gaps))})"
                if gaps
                else ""
            )
            raise DataError(
                f"{where}: target set '{ts}' has {n} units, the annex has {N_UNITS}{extra}; add the missing rows"
            )
    totals = read_csv_strict(totals_path, TOTALS_COLUMNS, ["total_slots", "inclusive_slots"])
    sums = df.groupby("target_set")[["total_slots", "inclusive_slots"]].sum()
    for _, t in totals.iterrows():
        if t.target_set not in TARGET_SETS:
            raise DataError(
                f"{display(totals_path)}: unknown target set '{t.target_set}'"
                f"{did_you_mean(t.target_set, TARGET_SETS)}; expected one of {', '.join(TARGET_SETS)}"
            )
    absent = [ts for ts in TARGET_SETS if (totals.target_set == ts).sum() != 1]
    if absent:
        raise DataError(
            f"{display(totals_path)}: target set '{absent[0]}' must appear exactly once (the annex's "
            "合计 row); without it the annex cannot be checked"
        )
    for _, t in totals.iterrows():
        for col in ("total_slots", "inclusive_slots"):
            got = int(sums.at[t.target_set, col])
            if got != int(t[col]):
                raise DataError(
                    f"{where}: column '{col}' for '{t.target_set}' adds up to {got}, but the "
                    f"annex prints 合计 {int(t[col])} ({display(totals_path)}); "
                    "a row was mistyped — compare with the plan's annex"
                )
    return df.sort_values(
        ["target_set", "seq"],
        key=lambda s: s.map({k: i for i, k in enumerate(TARGET_SETS)}) if s.name == "target_set" else s,
    ).reset_index(drop=True)


def targets_wide(targets: pd.DataFrame) -> pd.DataFrame:
    """Return the annex as printed: one row per unit, six target columns.

    Columns are ``<target_set>_total`` and ``<target_set>_inclusive``, indexed by ``town_id``,
    in the annex's order.
    """
    wide = targets.pivot_table(
        index=["seq", "town_id", "town", "kind"],
        columns="target_set",
        values=["total_slots", "inclusive_slots"],
        aggfunc="first",
    )
    out = pd.DataFrame(index=wide.index)
    for ts in TARGET_SETS:
        out[f"{ts}_total"] = wide[("total_slots", ts)].astype("int64")
        out[f"{ts}_inclusive"] = wide[("inclusive_slots", ts)].astype("int64")
    return out.reset_index().sort_values("seq").set_index("town_id")


def load_towns(path: Path | None = None, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load unit attributes and check they describe the same 22 units as the annex.

    Parameters
    ----------
    path : Path, optional
        Default ``data/towns.csv``.
    targets : DataFrame, optional
        The loaded annex; loaded from the default location when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``town_id`` in the annex's order; every figure has a ``<name>_source`` column
        that says where it comes from or that it is an assumption or proxy.

    Raises
    ------
    DataError
        A missing or blank source, a unit id or name that disagrees with the annex, bad numbers.

    """
    path = Path(path) if path else data_dir() / "towns.csv"
    where = display(path)
    targets = load_targets() if targets is None else targets
    df = read_csv_strict(path, TOWN_COLUMNS, TOWN_FIGURES)
    for f in TOWN_FIGURES:
        blank = df.index[df[f"{f}_source"] == ""]
        if len(blank):
            raise DataError(
                f"{where}: row {blank[0] + 2}, column '{f}_source' is blank; every figure "
                "needs its source (document, publisher, year) or the word 'assumption'"
            )
    if df.town_id.duplicated().any():
        raise DataError(
            f"{where}: unit id '{df.town_id[df.town_id.duplicated()].iloc[0]}' appears twice; keep one row per unit"
        )
    annex = targets.drop_duplicates("town_id").set_index("town_id")
    for i, row in df.iterrows():
        if row.town_id not in annex.index:
            raise DataError(
                f"{where}: row {i + 2}: unit id '{row.town_id}' is not in the annex"
                f"{did_you_mean(row.town_id, annex.index)}"
            )
        if row.town != annex.at[row.town_id, "town"]:
            raise DataError(
                f"{where}: row {i + 2}: unit '{row.town_id}' is named '{row.town}' but the annex "
                f"calls it '{annex.at[row.town_id, 'town']}'; use the annex's name"
            )
        if row.kind != annex.at[row.town_id, "kind"]:
            raise DataError(
                f"{where}: row {i + 2}: unit '{row.town_id}' kind '{row.kind}' differs from "
                f"the annex's '{annex.at[row.town_id, 'kind']}'; use the annex's kind"
            )
    absent = sorted(set(annex.index) - set(df.town_id))
    if absent:
        raise DataError(f"{where}: units missing: {', '.join(absent)}; add one row per annex unit")
    bad = df[df[STOCK_INCLUSIVE] > df[STOCK_TOTAL]]
    if not bad.empty:
        b = bad.iloc[0]
        raise DataError(
            f"{where}: row {bad.index[0] + 2} ({b.town}): {STOCK_INCLUSIVE} "
            f"{b[STOCK_INCLUSIVE]} > {STOCK_TOTAL} {b[STOCK_TOTAL]}; "
            "the inclusive slots are part of the total — check the two columns"
        )
    order = annex["seq"].to_dict()
    return df.set_index("town_id").loc[sorted(df.town_id, key=order.get)]


def target_set_years(targets: pd.DataFrame) -> dict[str, int]:
    """Return ``{target_set: year}``: the year-end each target set is due, as the annex's ``year`` column says.

    Examples
    --------
    >>> target_set_years(load_targets())
    {'floor_2024': 2024, 'high_quality_2025': 2025, 'plan_2025': 2025}

    """
    years = targets.drop_duplicates("target_set").set_index("target_set")["year"]
    return {ts: int(years[ts]) for ts in TARGET_SETS if ts in years.index}


@functools.lru_cache(maxsize=4)
def _annex_years_cached(path: str, mtime_ns: int, size: int) -> tuple[tuple[str, int], ...]:
    return tuple(target_set_years(load_targets(Path(path))).items())


def _annex_years() -> dict[str, int]:
    """Return the annex's ``{target_set: year}``, read once per version of ``data/targets.csv``."""
    path = data_dir() / "targets.csv"
    try:
        stat = path.stat()
    except OSError:
        return target_set_years(load_targets(path))  # raises the loader's one-line message
    return dict(_annex_years_cached(str(path), stat.st_mtime_ns, stat.st_size))


def _target_rule(params: Mapping, year: int, years: Mapping[str, int] | None = None) -> tuple[str, str]:
    """Apply the one rule: return ``(target_set, basis)``, with ``""`` as the set where none applies.

    A year takes the annex's target set due that year (its ``year`` column); where the annex
    has several for one year, the scenario's ``target_set_2025`` picks one. After the annex's
    last year the last target is held when ``target_after_plan`` is ``hold_2025``.
    """
    year = int(year)
    years = _annex_years() if years is None else years
    first, last = min(years.values()), max(years.values())
    if year < first:
        return "", "before_plan"
    due = [ts for ts, y in years.items() if y == year]
    if len(due) == 1:
        return due[0], "annex"
    if len(due) > 1:
        chosen = str(params["target_set_2025"])
        if chosen not in due:
            raise ScenarioError(
                f"target_set_2025 = '{chosen}' 不是 {year} 年底到期的目标口径；请选择 {' 或 '.join(due)}"
            )
        return chosen, "annex"
    if year > last and params["target_after_plan"] == "hold_2025":
        return _target_rule(params, last, years)[0], "held_2025"
    return "", "none"


def target_set_for_year(params: Mapping, year: int) -> str:
    """Return the annex target set that applies on 31 December of ``year``.

    Read from the annex's ``year`` column (:func:`target_set_years`): 2024 → ``floor_2024``
    (the only set due that year); 2025 → the scenario's ``target_set_2025`` (two sets are due
    then); later years keep the last set when ``target_after_plan`` is ``hold_2025``.
    Allocation, demand and progress all use this rule (demand through :func:`target_for_year`,
    which also covers years without a target).

    Raises
    ------
    ScenarioError
        A year before 2024 (the annex sets no target), or after 2025 with ``target_after_plan: none``.

    Examples
    --------
    >>> p = {"target_set_2025": "plan_2025", "target_after_plan": "hold_2025"}
    >>> [target_set_for_year(p, y) for y in (2024, 2025, 2027)]
    ['floor_2024', 'plan_2025', 'plan_2025']

    """
    years = _annex_years()
    first, last = min(years.values()), max(years.values())
    target_set, basis = _target_rule(params, year, years)
    if basis == "before_plan":
        raise ScenarioError(
            f"no annex target for {year}: the annex sets targets for the ends of "
            f"{' and '.join(map(str, sorted(set(years.values()))))}; start the years at {first} or later"
        )
    if not target_set and year <= last:
        raise ScenarioError(
            f"no annex target for {year}: the annex sets targets for the ends of "
            f"{' and '.join(map(str, sorted(set(years.values()))))} (its 'year' column)"
        )
    if not target_set:
        raise ScenarioError(
            f"no target for {year}: 'target_after_plan' is 'none' and the annex ends in "
            f"{last}; use --set target_after_plan=hold_2025 or end the years in {last}"
        )
    return target_set


def target_for_year(params: Mapping, year: int) -> tuple[str, str]:
    """Return ``(target_set, basis)`` for ``year``, with ``("", "none")`` where no target applies.

    The same rule as :func:`target_set_for_year`, for tables that span years without a target
    (the demand projection starts in 2023). ``basis`` is ``annex``, ``held_2025`` or ``none``.

    Examples
    --------
    >>> p = {"target_set_2025": "high_quality_2025", "target_after_plan": "hold_2025"}
    >>> target_for_year(p, 2023), target_for_year(p, 2025), target_for_year(p, 2027)
    (('', 'none'), ('high_quality_2025', 'annex'), ('high_quality_2025', 'held_2025'))

    """
    target_set, basis = _target_rule(params, year)
    return (target_set, basis) if target_set else ("", "none")


def starting_stock(towns: pd.DataFrame) -> pd.DataFrame:
    """Return the slots in service at the end of :data:`STOCK_YEAR` by unit: ``total``, ``inclusive``.

    The one reader of towns.csv's stock columns (:data:`STOCK_TOTAL`, :data:`STOCK_INCLUSIVE`):
    the allocation starts from it, progress falls back to it for units that did not report.

    Examples
    --------
    >>> s = starting_stock(load_towns())
    >>> list(s.columns), s.attrs["year"], bool((s.inclusive <= s.total).all())
    (['total', 'inclusive'], 2023, True)

    """
    out = pd.DataFrame(
        {"total": towns[STOCK_TOTAL].astype(float), "inclusive": towns[STOCK_INCLUSIVE].astype(float)},
        index=towns.index,
    )
    out.attrs["year"] = STOCK_YEAR
    return out


TILES_FILE = "towns_tiles.csv"
BOUNDARIES_FILE = "units.geojson"
MAX_GEOJSON_BYTES = 20 << 20  # a district's unit boundaries are a few MB at most


def load_unit_tiles(path: Path | None = None, units: list[str] | None = None) -> pd.DataFrame:
    """Load the schematic tile positions of the units (``data/towns_tiles.csv``: ``col``, ``row``, north up).

    Positions are approximate relative places for the report's tile map, not boundaries.

    Raises
    ------
    DataError
        A unit of ``units`` (default: those of ``towns.csv``) has no tile, or two units share one.

    """
    path = path or data_dir() / TILES_FILE
    tiles = read_csv_strict(path, ["town_id", "town", "col", "row"], ["col", "row"]).set_index("town_id")
    units = units if units is not None else list(load_towns().index)
    missing = [u for u in units if u not in tiles.index]
    if missing:
        raise DataError(f"{display(path)}: 属地 '{missing[0]}' 没有示意位置；请为它加一行（town_id,town,col,row）")
    dup = tiles.duplicated(["col", "row"])
    if dup.any():
        raise DataError(f"{display(path)}: 属地 '{tiles.index[dup][0]}' 与另一属地位置相同（col, row）；请给它一个空位")
    return tiles.loc[units]


def load_unit_boundaries(path: Path | None = None) -> dict[str, list[list[tuple[float, float]]]] | None:
    """Load unit boundaries from ``data/units.geojson`` when the user supplied it; ``None`` when absent.

    Returns ``{town_id: [ring, …]}``, each ring a list of (lon, lat) points (outer rings of
    Polygon and MultiPolygon features whose properties hold ``town_id``).

    Raises
    ------
    DataError
        The file is not GeoJSON or a feature lacks ``town_id``.

    """
    import json  # the standard library's; only the map reads GeoJSON

    path = path or data_dir() / BOUNDARIES_FILE
    if not path.is_file():
        return None
    try:
        doc = json.loads(read_bounded(path, MAX_GEOJSON_BYTES, "20 MiB").decode("utf-8-sig"))
        out: dict[str, list[list[tuple[float, float]]]] = {}
        for k, feature in enumerate(doc["features"], start=1):
            unit = (feature.get("properties") or {}).get("town_id")
            if not unit:
                raise DataError(f"{display(path)}: 第{k}个要素缺少属性 town_id；请填写 towns.csv 中的属地代码")
            geom = feature["geometry"]
            polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
            out.setdefault(str(unit), []).extend([[(float(x), float(y)) for x, y, *_ in p[0]] for p in polygons])
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"{display(path)}: 不是有效的 GeoJSON 属地边界文件（{exc}）；请另存为 GeoJSON 或移走该文件"
        ) from None
    return out
