"""Demo rows of the energy pack's datasets (``demo_rows`` of its [[catalog.datasets]]): energy use
of key energy-consuming enterprises. Synthetic but plausible: real names of places, stations and
institutions with made-up figures. Each public function is a pure function of the seeded
``random.Random`` it is given and returns the dataset's rows as dicts by field name."""

from __future__ import annotations

import math
import random

from yiwang.core import demo_fixtures as syn
from yiwang.core.demo_fixtures import (
    YEAR,
    Row,
    clamp,
    draw_place,
    firm_place,
    named,
)

_ENERGY_INDUSTRIES = (
    ("化纤", "化学纤维制造业", 120000),
    ("印染", "纺织业", 30000),
    ("热电", "电力、热力生产和供应业", 250000),
    ("水泥", "非金属矿物制品业", 180000),
    ("纸业", "造纸和纸制品业", 90000),
    ("特钢", "黑色金属冶炼和压延加工业", 300000),
    ("化工", "化学原料和化学制品制造业", 150000),
    ("玻璃", "非金属矿物制品业", 80000),
)


def _energy_users(rng: random.Random) -> list[Row]:
    """单位名称, 统一社会信用代码, 所属行业, 城市, 区县, 统计年度, 年综合能耗(吨标准煤),
    能耗限额(吨标准煤), 是否超限额: key energy users of last year."""
    taken: set[str] = set()
    rows: list[Row] = []
    for _ in range(120):
        city, county, code = draw_place(rng)
        word, industry, typical = rng.choice(_ENERGY_INDUSTRIES)
        name = syn.firm_name(rng, firm_place(city, county), word, taken=taken)
        used = round(clamp(rng.lognormvariate(math.log(typical), 0.6), 5000, 2_000_000), 1)
        quota = round(used * rng.uniform(0.95, 1.3), -1)
        rows.append(
            (
                name,
                syn.credit_code(rng, code, founded=rng.randint(1995, 2016)),
                industry,
                city,
                county,
                YEAR - 1,
                used,
                quota,
                used > quota,
            )
        )
    return rows


# --- the datasets' rows ----------------------------------------------------------------------


def energy_users(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zj-key-energy-users`` (重点用能单位能耗情况)."""
    return named(
        _energy_users(rng),
        "单位名称",
        "统一社会信用代码",
        "所属行业",
        "城市",
        "区县",
        "统计年度",
        "年综合能耗(吨标准煤)",
        "能耗限额(吨标准煤)",
        "是否超限额",
    )
