"""The files the report's map of the units is drawn from: schematic tiles, and boundaries when supplied.

``data/towns_tiles.csv`` places each unit on a grid at its approximate relative position (a
schematic, not a boundary); ``data/units.geojson``, when the user supplies it, holds the real
boundaries. Both are checked against the units of ``data/towns.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tuoyu_model.csv_reader import read_csv_strict
from tuoyu_model.data import load_towns
from tuoyu_model.errors import DataError
from tuoyu_model.paths import data_dir, display, read_bounded

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
