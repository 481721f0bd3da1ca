"""The operating subsidies a plan locks in after its last year, as people read them (report and workbook).

Numbers from ``tables/commitments.csv`` (:mod:`tuoyu_model.allocation.commitments`), the sentence
from :func:`tuoyu_model.presentation.sentences.commitment_sentence`.
"""

from __future__ import annotations

import pandas as pd

from tuoyu_model.presentation.sentences import commitment_sentence
from tuoyu_model.presentation.vocabulary import BUDGET_ITEM_ZH, WAN
from tuoyu_model.results import Results


def commitments_table_for_people(results: Results) -> pd.DataFrame:
    """Return the subsidies committed after the plan by year and item, in 万元: city, district and total.

    Beside the plan years' budget (``budget_table``); empty when no year after the plan is counted.
    """
    c = results.tables.get("commitments")
    cols = ["年份", "项目", "市级（万元）", "区级（万元）", "合计（万元）"]
    if c is None or not len(c):
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(
        {
            "年份": c.year.astype(int),
            "项目": c["item"].map(lambda v: BUDGET_ITEM_ZH.get(v, v)),
            "市级（万元）": c.city_yuan / WAN,
            "区级（万元）": c.district_yuan / WAN,
            "合计（万元）": c.amount_yuan / WAN,
        }
    )
    return out.reset_index(drop=True)[cols]


def commitments_markdown(results: Results) -> str:
    """Return the report's lines on the money committed after the plan (empty when none is counted)."""
    sentence = commitment_sentence(results.summary)
    if not sentence:
        return ""
    horizon = max(int(y) for y in results.summary["subsidy_commitment_by_year"])
    return (
        f"{sentence}。规划期内建成或转化的普惠托位在规划期后仍需每年补贴运营；"
        f"资金测算计入规划期及其后至{horizon}年各年的运营补贴（参数 costing_horizon），"
        "下表为规划期后各年的承诺额，不计入规划年度预算。"
    )
