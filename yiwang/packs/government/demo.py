"""Demo rows of the government pack's datasets (``demo_rows`` of its [[catalog.datasets]]): Yinzhou
District's minimum living allowance register and the statistics of Ningbo's open-data catalogue.
Synthetic but plausible: real names of places, stations and institutions with made-up figures.
Each public function is a pure function of the seeded ``random.Random`` it is given and returns
the dataset's rows as dicts by field name."""

from __future__ import annotations

import datetime as dt
import random

from yiwang.core import demo_fixtures as syn
from yiwang.core.demo_fixtures import (
    YEAR,
    Row,
    named,
)

# Streets and towns of Yinzhou District, Ningbo: name, urban (True) or rural.
YINZHOU_STREETS = (
    ("钟公庙街道", True),
    ("下应街道", True),
    ("首南街道", True),
    ("中河街道", True),
    ("东柳街道", True),
    ("百丈街道", True),
    ("明楼街道", True),
    ("白鹤街道", True),
    ("潘火街道", True),
    ("福明街道", True),
    ("邱隘镇", False),
    ("五乡镇", False),
    ("咸祥镇", False),
    ("塘溪镇", False),
    ("瞻岐镇", False),
    ("东吴镇", False),
    ("云龙镇", False),
    ("横溪镇", False),
    ("姜山镇", False),
)


YINZHOU_ROADS = "天童南路 鄞州大道 四明中路 宁南南路 钱湖北路 日丽中路 嵩江中路 中山东路 百丈东路"


# Departments of Ningbo that open data, with the size of their catalogue (datasets).
NINGBO_DEPARTMENTS = (
    ("宁波市公安局", 58),
    ("宁波市市场监督管理局", 96),
    ("宁波市自然资源和规划局", 74),
    ("宁波市生态环境局", 66),
    ("宁波市交通运输局", 81),
    ("宁波市卫生健康委员会", 62),
    ("宁波市教育局", 45),
    ("宁波市人力资源和社会保障局", 53),
    ("宁波市民政局", 39),
    ("宁波市住房和城乡建设局", 70),
    ("宁波市农业农村局", 48),
    ("宁波市文化广电旅游局", 57),
    ("宁波市商务局", 31),
    ("宁波市统计局", 88),
    ("宁波市气象局", 24),
    ("宁波市水利局", 42),
    ("宁波市应急管理局", 36),
    ("宁波市医疗保障局", 22),
    ("宁波市体育局", 19),
    ("宁波市司法局", 27),
    ("宁波市财政局", 33),
    ("宁波市发展和改革委员会", 41),
    ("宁波市经济和信息化局", 47),
    ("宁波市科学技术局", 29),
    ("宁波市综合行政执法局", 35),
    ("宁波市公共资源交易中心", 18),
    ("宁波市大数据发展管理局", 25),
    ("宁波市港航管理中心", 21),
)


_LOW_INCOME_LINE = 1265.0  # 元/人/月 (synthetic, near the cities' 2025 lines)


def _low_income(rng: random.Random) -> list[Row]:
    """姓名, 身份证号码, 联系电话, 户籍地址, 街道（乡镇）, 保障类别, 保障人数, 月保障金(元),
    纳入日期, 最近复核日期: households of Yinzhou District receiving minimum living allowance."""
    rows: list[Row] = []
    reviewed_by = dt.date(YEAR, 11, 20)
    for _ in range(150):
        street, urban = rng.choice(YINZHOU_STREETS)
        name, male = syn.person_name(rng)
        born = syn.birth_date(rng, oldest=88, youngest=22, on=reviewed_by)
        if urban:
            road = rng.choice(YINZHOU_ROADS.split())
            address = (
                f"浙江省宁波市鄞州区{street}{road}{rng.randint(1, 999)}弄"
                f"{rng.randint(1, 40)}号{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
            )
        else:
            address = f"浙江省宁波市鄞州区{street}{syn.village(rng)}{rng.randint(1, 300)}号"
        people = rng.choices((1, 2, 3, 4, 5), weights=(40, 25, 18, 12, 5))[0]
        income = rng.uniform(0, 900)
        since = syn.day_between(rng, dt.date(2012, 1, 1), dt.date(YEAR, 9, 30))
        rows.append(
            (
                name,
                syn.resident_id(rng, "330212", born, male=male),
                syn.mobile(rng),
                address,
                street,
                "城镇低保" if urban else "农村低保",
                people,
                float(round(people * (_LOW_INCOME_LINE - income))),
                since,
                max(since, syn.day_between(rng, dt.date(YEAR, 1, 5), reviewed_by)),
            )
        )
    return rows


def _catalogue_statistics(rng: random.Random) -> list[Row]:
    """部门名称, 统计季度, 截止日期, 开放数据集, 无条件开放, 有条件开放, 数据项, 数据量(万条),
    API接口, 累计下载次数, 累计调用次数: Ningbo's open-data catalogue, quarter by quarter."""
    quarters = (
        ("第一季度", dt.date(YEAR, 3, 31)),
        ("第二季度", dt.date(YEAR, 6, 30)),
        ("第三季度", dt.date(YEAR, 9, 30)),
        ("第四季度", dt.date(YEAR, 12, 31)),
    )
    rows: list[Row] = []
    for department, size in NINGBO_DEPARTMENTS:
        datasets = round(size * rng.uniform(0.8, 0.9))
        conditional = round(datasets * rng.uniform(0.15, 0.3))
        items_each = rng.randint(9, 16)
        apis = round(datasets * rng.uniform(0.2, 0.4))
        volume = size * rng.uniform(8, 60)
        downloads = size * rng.randint(80, 400)
        calls = size * rng.randint(2000, 20000)
        for quarter, end in quarters:
            added = rng.randint(0, max(1, size // 15))
            datasets += added
            conditional += rng.randint(0, added)
            apis += rng.randint(0, added)
            volume *= rng.uniform(1.02, 1.12)
            downloads += rng.randint(size * 20, size * 90)
            calls += rng.randint(size * 500, size * 4000)
            rows.append(
                (
                    department,
                    f"{YEAR}年{quarter}",
                    end,
                    datasets,
                    datasets - conditional,
                    conditional,
                    datasets * items_each,
                    round(volume, 2),
                    apis,
                    downloads,
                    calls,
                )
            )
    return rows


# --- the datasets' rows ----------------------------------------------------------------------


def low_income(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``yz-minimum-living-allowance`` (鄞州区最低生活保障对象名册)."""
    return named(
        _low_income(rng),
        "姓名",
        "身份证号码",
        "联系电话",
        "户籍地址",
        "街道（乡镇）",
        "保障类别",
        "保障人数",
        "月保障金(元)",
        "纳入日期",
        "最近复核日期",
    )


def catalogue_statistics(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``nb-open-data-statistics`` (宁波市公共数据开放目录统计)."""
    return named(
        _catalogue_statistics(rng),
        "部门名称",
        "统计季度",
        "截止日期",
        "开放数据集",
        "无条件开放",
        "有条件开放",
        "数据项",
        "数据量(万条)",
        "API接口",
        "累计下载次数",
        "累计调用次数",
    )
