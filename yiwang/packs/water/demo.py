"""Demo rows of the water pack's datasets (``demo_rows`` of its [[catalog.datasets]]): river levels
of a plum-rain flood day and Quzhou's reservoirs. Synthetic but plausible: real names of places,
stations and institutions with made-up figures. Each public function is a pure function of the
seeded ``random.Random`` it is given and returns the dataset's rows as dicts by field name."""

from __future__ import annotations

import datetime as dt
import math
import random

from yiwang.core.demo_fixtures import (
    YEAR,
    Row,
    clamp,
    local_time,
    moments,
    named,
)

# River water-level stations: name, river, city, warning level (m), guaranteed level (m).
RIVER_STATIONS = (
    ("闻家堰", "钱塘江", "杭州市", 7.20, 8.60),
    ("桐庐", "富春江", "杭州市", 9.50, 11.50),
    ("瓶窑", "东苕溪", "杭州市", 7.50, 9.10),
    ("余姚", "姚江", "宁波市", 2.33, 3.13),
    ("奉化", "奉化江", "宁波市", 3.40, 4.20),
    ("圩仁", "瓯江", "温州市", 6.50, 8.80),
    ("峃口", "飞云江", "温州市", 9.20, 11.00),
    ("嘉兴", "京杭运河", "嘉兴市", 1.50, 1.92),
    ("德清", "东苕溪", "湖州市", 4.50, 5.30),
    ("诸暨", "浦阳江", "绍兴市", 10.00, 11.80),
    ("嵊州", "剡溪", "绍兴市", 13.60, 15.20),
    ("兰溪", "兰江", "金华市", 28.00, 31.50),
    ("金华", "婺江", "金华市", 35.50, 37.20),
    ("衢州", "衢江", "衢州市", 63.00, 66.00),
    ("临海", "灵江", "台州市", 5.00, 7.00),
    ("丽水", "瓯江", "丽水市", 49.00, 52.00),
)


# Reservoirs of Quzhou: name, county, size, normal water level (m), flood-limit level (m),
# storage at the normal level (万m³).
RESERVOIRS = (
    ("湖南镇水库", "衢江区", "大型", 230.00, 226.00, 158000),
    ("黄坛口水库", "柯城区", "中型", 115.00, 113.50, 8700),
    ("铜山源水库", "衢江区", "大型", 129.00, 127.50, 13700),
    ("碗窑水库", "江山市", "大型", 179.00, 177.00, 19300),
    ("白水坑水库", "江山市", "中型", 285.00, 283.00, 6200),
    ("峡口水库", "江山市", "中型", 232.50, 231.00, 5800),
    ("芙蓉水库", "常山县", "中型", 172.00, 170.50, 7900),
    ("齐溪水库", "开化县", "中型", 354.00, 352.00, 2300),
    ("沐尘水库", "龙游县", "中型", 165.00, 163.50, 6500),
    ("社阳水库", "龙游县", "中型", 131.00, 129.50, 2800),
    ("东方红水库", "常山县", "中型", 121.00, 119.80, 1600),
    ("乌溪江引水枢纽", "衢江区", "中型", 95.00, 94.00, 1200),
)


def _river_levels(rng: random.Random) -> list[Row]:
    """站点名称, 河流, 城市, 观测时间, 水位(m), 警戒水位(m), 保证水位(m), 超警戒: a day of
    plum-rain flood in June, hourly."""
    times = moments(local_time(YEAR, 6, 20, 0), 24)
    rows: list[Row] = []
    for station, river, city, warning, guaranteed in RIVER_STATIONS:
        start = warning - rng.uniform(0.3, 2.0)
        rise = rng.uniform(0.2, 2.4)
        crest = rng.uniform(10, 20)
        for moment in times:
            wave = rise * math.exp(-((moment.hour - crest) ** 2) / 40)
            level = round(start + wave + rng.gauss(0, 0.02), 2)
            rows.append((station, river, city, moment, level, warning, guaranteed, level > warning))
    return rows


def _reservoirs(rng: random.Random) -> list[Row]:
    """水库名称, 所在区县, 规模, 日期, 库水位(m), 正常蓄水位(m), 汛限水位(m), 蓄水量(万m³),
    蓄水率(%): October, daily, as the dry season begins."""
    days = [dt.date(YEAR, 10, 1) + dt.timedelta(days=i) for i in range(30)]
    rows: list[Row] = []
    for name, county, size, normal, flood_limit, storage in RESERVOIRS:
        depth = 45.0 if size == "大型" else 22.0  # from the dead level to the normal one
        level = normal - rng.uniform(0.5, 4.0)
        rain_day = rng.randrange(8, 22)
        for day in days:
            level += rng.uniform(-0.1, -0.02)
            if (day - days[0]).days == rain_day:
                level += rng.uniform(0.2, 0.8)
            fill = clamp((level - (normal - depth)) / depth, 0, 1.05) ** 1.5
            volume = round(storage * fill, 1)
            rows.append(
                (
                    name,
                    county,
                    size,
                    day,
                    round(level, 2),
                    normal,
                    flood_limit,
                    volume,
                    round(volume / storage * 100, 1),
                )
            )
    return rows


# --- the datasets' rows ----------------------------------------------------------------------


def river_levels(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zj-river-levels`` (主要江河水位监测)."""
    return named(
        _river_levels(rng),
        "站点名称",
        "河流",
        "城市",
        "观测时间",
        "水位(m)",
        "警戒水位(m)",
        "保证水位(m)",
        "超警戒",
    )


def reservoirs(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``qz-reservoir-storage`` (衢州市水库蓄水情况)."""
    return named(
        _reservoirs(rng),
        "水库名称",
        "所在区县",
        "规模",
        "日期",
        "库水位(m)",
        "正常蓄水位(m)",
        "汛限水位(m)",
        "蓄水量(万m³)",
        "蓄水率(%)",
    )
