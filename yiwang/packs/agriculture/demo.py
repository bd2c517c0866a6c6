"""Demo rows of the agriculture pack's datasets (``demo_rows`` of its [[catalog.datasets]]):
farm-product quality inspections (limits of GB 2763 and GB 31650). Synthetic but plausible: real
names of places, stations and institutions with made-up figures. Each public function is a pure
function of the seeded ``random.Random`` it is given and returns the dataset's rows as dicts by
field name."""

from __future__ import annotations

import datetime as dt
import random

from yiwang.core import demo_fixtures as syn
from yiwang.core.demo_fixtures import (
    YEAR,
    Row,
    draw_place,
    named,
)

# Agricultural products sampled, by group: (group, products, (test item, limit mg/kg) ...).
FARM_CHECKS = (
    (
        "蔬菜",
        "青菜 小白菜 芹菜 菠菜 韭菜 豇豆 黄瓜 番茄 茄子 辣椒 大白菜 芥菜 茭白",
        (
            ("毒死蜱", 0.02),
            ("克百威", 0.02),
            ("氧乐果", 0.02),
            ("甲拌磷", 0.01),
            ("腐霉利", 0.2),
            ("阿维菌素", 0.05),
            ("啶虫脒", 1.0),
        ),
    ),
    (
        "水果",
        "草莓 杨梅 葡萄 柑橘 翠冠梨 水蜜桃 猕猴桃",
        (("多菌灵", 0.5), ("吡唑醚菌酯", 2.0), ("氯氟氰菊酯", 0.2), ("克百威", 0.02)),
    ),
    ("茶叶", "绿茶 红茶 白茶", (("联苯菊酯", 5.0), ("吡虫啉", 0.5), ("草甘膦", 1.0))),
    (
        "畜禽产品",
        "猪肉 鸡肉 鸭肉 鸡蛋",
        (("克伦特罗", 0.0), ("莱克多巴胺", 0.0), ("恩诺沙星", 0.1), ("氟苯尼考", 0.1)),
    ),
    (
        "水产品",
        "鲫鱼 草鱼 南美白对虾 大黄鱼 中华鳖",
        (("孔雀石绿", 0.0), ("氯霉素", 0.0), ("硝基呋喃类代谢物", 0.0), ("恩诺沙星", 0.1)),
    ),
)


_FARM_WORDS = {"蔬菜": "果蔬", "水果": "果业", "茶叶": "茶叶", "畜禽产品": "畜牧", "水产品": "水产"}


def _farm_checks(rng: random.Random) -> list[Row]:
    """样品编号, 样品名称, 产品类别, 受检单位, 抽样地点, 检测项目, 检测值(mg/kg), 限量值(mg/kg),
    判定结果, 抽检日期: 100 samples, 3 test items each."""
    taken: set[str] = set()
    samples = []
    for _ in range(100):
        group, products, items = rng.choices(FARM_CHECKS, weights=(5, 3, 2, 2, 2))[0]
        city, county, _code = draw_place(rng)
        farm = syn.firm_name(
            rng, county.removesuffix("市"), _FARM_WORDS[group], taken=taken, form="专业合作社"
        )
        sampled = syn.day_between(rng, dt.date(YEAR, 9, 1), dt.date(YEAR, 10, 31))
        samples.append((sampled, rng.choice(products.split()), group, farm, city + county, items))
    samples.sort(key=lambda sample: sample[0])
    rows: list[Row] = []
    for number, (sampled, product, group, farm, place, items) in enumerate(samples, 1):
        for item, limit in rng.sample(items, 3):
            found: float | None = None
            if rng.random() < 0.25:  # a residue below the limit
                found = round(rng.uniform(0.1, 0.8) * (limit or 0.001), 4)
            if rng.random() < 0.01:  # over the limit, or a banned substance found
                found = round((limit or 0.001) * rng.uniform(1.3, 6.0), 4)
            failed = found is not None and (limit == 0 or found > limit)
            rows.append(
                (
                    f"NC{YEAR}{number:05d}",
                    product,
                    group,
                    farm,
                    place,
                    item,
                    found,
                    "不得检出" if limit == 0 else f"{limit:g}",
                    "不合格" if failed else "合格",
                    sampled,
                )
            )
    return rows


# --- the datasets' rows ----------------------------------------------------------------------


def farm_checks(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zj-farm-product-inspections`` (农产品质量安全监督抽检结果)."""
    return named(
        _farm_checks(rng),
        "样品编号",
        "样品名称",
        "产品类别",
        "受检单位",
        "抽样地点",
        "检测项目",
        "检测值(mg/kg)",
        "限量值(mg/kg)",
        "判定结果",
        "抽检日期",
    )
