"""Demo rows of the transport pack's datasets (``demo_rows`` of its [[catalog.datasets]]):
expressway speeds, Hangzhou's public bicycle stations, Shaoxing's bus lines and the ports of
Zhoushan. Synthetic but plausible: real names of places, stations and institutions with made-up
figures. Each public function is a pure function of the seeded ``random.Random`` it is given and
returns the dataset's rows as dicts by field name."""

from __future__ import annotations

import math
import random

from yiwang.core.demo_fixtures import (
    HANGZHOU_DISTRICTS,
    YEAR,
    Row,
    clamp,
    local_time,
    moments,
    month_starts,
    named,
    words,
)

# Expressway sections: road, section, free-flow speed (km/h), usual congestion (0-1).
EXPRESSWAY_SECTIONS = (
    ("G60沪昆高速", "大云—嘉兴", 105, 0.15),
    ("G60沪昆高速", "杭州南—萧山", 95, 0.55),
    ("G60沪昆高速", "诸暨—义乌", 105, 0.20),
    ("G60沪昆高速", "金华—龙游", 108, 0.10),
    ("G15沈海高速", "宁波北—宁波东", 100, 0.35),
    ("G15沈海高速", "临海北—台州", 105, 0.20),
    ("G15沈海高速", "温州南—瑞安", 98, 0.35),
    ("G92杭州湾环线", "杭州东—萧山东", 95, 0.50),
    ("G92杭州湾环线", "余姚—宁波西", 102, 0.20),
    ("G25长深高速", "长兴—湖州", 106, 0.10),
    ("G25长深高速", "杭州北—余杭", 98, 0.40),
    ("G2504杭州绕城高速", "留下—转塘", 90, 0.65),
    ("G2504杭州绕城高速", "下沙—乔司", 90, 0.60),
    ("G1523甬莞高速", "宁海—三门", 105, 0.10),
    ("G9211甬舟高速", "金塘大桥", 85, 0.25),
    ("G4012溧宁高速", "丽水—缙云", 100, 0.08),
    ("G56杭瑞高速", "临安—昌化", 100, 0.12),
    ("G1512甬金高速", "嵊州—新昌", 105, 0.12),
    ("G3W德上高速", "东阳—永康", 105, 0.15),
    ("S26诸永高速", "永嘉—温州北", 98, 0.25),
)


# Bus stops of Shaoxing, by district.
SHAOXING_STOPS = {
    "越城区": words(
        "绍兴北站 火车站 客运中心 鲁迅故里 城市广场 镜湖新区 迪荡 汽车东站 "
        "文理学院 袍江 皋埠 东浦 陶堰 马山 孙端 斗门 会稽山 东湖 府山公园 "
        "人民医院 越城区政府 二环北路 解放北路"
    ),
    "柯桥区": words(
        "中国轻纺城 柯桥客运中心 柯岩风景区 兰亭 柯桥区政府 湖塘 齐贤 安昌古镇 "
        "华舍 钱清 杨汛桥 福全 平水"
    ),
    "上虞区": words("上虞高铁站 上虞客运中心 百官 曹娥 道墟 崧厦 小越 丰惠 梁湖 上虞区政府"),
}


# Port areas of Zhoushan: name, monthly cargo (万吨), share of foreign trade, containers (万标箱).
PORT_AREAS = (
    ("定海港区", 420.0, 0.35, 4.5),
    ("沈家门港区", 180.0, 0.10, 0.8),
    ("老塘山港区", 650.0, 0.55, 6.0),
    ("马岙港区", 380.0, 0.45, 0.0),
    ("金塘港区", 520.0, 0.60, 12.0),
    ("六横港区", 760.0, 0.70, 0.0),
    ("衢山港区", 690.0, 0.65, 0.0),
    ("岱山港区", 540.0, 0.50, 0.5),
    ("泗礁港区", 430.0, 0.40, 0.0),
    ("白泉港区", 160.0, 0.15, 0.0),
)


# Expressway speed bands (km/h) and their congestion index bands.
_SPEED_BANDS = ((65.0, 2.0), (50.0, 4.0), (35.0, 6.0), (20.0, 8.0), (0.0, 10.0))


_TRAFFIC = ("畅通", "基本畅通", "轻度拥堵", "中度拥堵", "严重拥堵")


def congestion_index(speed: float, free_flow: float) -> float:
    """The traffic performance index (0-10) of an expressway speed: linear within each speed
    band, so that the bands of speed and of index agree."""
    upper_speed, upper_index = free_flow, 0.0
    for lower_speed, lower_index in _SPEED_BANDS:
        if speed >= lower_speed:
            share = (upper_speed - speed) / max(upper_speed - lower_speed, 1e-9)
            return round(clamp(upper_index + share * (lower_index - upper_index), 0, 10), 1)
        upper_speed, upper_index = lower_speed, lower_index
    return 10.0


def _expressway_speeds(rng: random.Random) -> list[Row]:
    """路段, 方向, 采集时间, 平均车速(km/h), 拥堵指数, 路况: the morning peak, every 5 minutes."""
    times = moments(local_time(YEAR, 11, 18, 7, 30), 12, step=5)
    rows: list[Row] = []
    for road, section, free_flow, usual in EXPRESSWAY_SECTIONS:
        busier = rng.choice(("上行", "下行"))
        for direction in ("上行", "下行"):
            load = usual * (1.0 if direction == busier else 0.5)
            for moment in times:
                peak = math.exp(-(((moment.hour * 60 + moment.minute) - 480) ** 2) / 900)
                pressure = clamp(load * (0.6 + 0.6 * peak) + rng.gauss(0, 0.04), 0, 0.95)
                speed = round(clamp(free_flow * (1 - pressure) + rng.gauss(0, 2.5), 8, 120), 1)
                index = congestion_index(speed, free_flow)
                state = _TRAFFIC[min(int(index // 2), 4)]
                rows.append((f"{road}{section}", direction, moment, speed, index, state))
    return rows


def _bike_stations(rng: random.Random) -> list[Row]:
    """站点编号, 站点名称, 所在区, 经度, 纬度, 桩位数, 24小时服务."""
    rows: list[Row] = []
    for district, code, (lon, lat), roads in HANGZHOU_DISTRICTS:
        names: set[str] = set()
        road_list = roads.split()
        number = 0
        while len(names) < 40:
            first, second = rng.sample(road_list, 2)
            name = f"{first}{second}口"
            if name in names:
                continue
            names.add(name)
            number += 1
            rows.append(
                (
                    f"HZ{code[-2:]}{number:04d}",
                    name,
                    district,
                    round(lon + rng.uniform(-0.035, 0.035), 6),
                    round(lat + rng.uniform(-0.03, 0.03), 6),
                    rng.choice((12, 16, 20, 20, 24, 24, 30, 36, 40)),
                    rng.random() < 0.35,
                )
            )
    return rows


_OPERATORS = {
    "越城区": "绍兴市公交集团有限公司",
    "柯桥区": "绍兴市柯桥区公共交通有限公司",
    "上虞区": "绍兴市上虞区公共交通有限公司",
}


_FIRST_BUSES = ("05:30", "05:40", "05:50", "06:00", "06:10", "06:20", "06:30")


def _bus_lines(rng: random.Random) -> list[Row]:
    """线路名称, 起点站, 终点站, 首班时间, 末班时间, 票价(元), 线路长度(km), 站点数, 新能源车辆,
    运营单位."""
    lines = (
        [(f"{n}路", "越城区") for n in range(1, 71)]
        + [(f"BRT{n}号线", "越城区") for n in range(1, 6)]
        + [(f"{n}路", "柯桥区") for n in range(101, 126)]
        + [(f"{n}路", "上虞区") for n in range(201, 221)]
    )
    rows: list[Row] = []
    for name, district in lines:
        stops = SHAOXING_STOPS[district]
        if rng.random() < 0.2:  # a line between districts
            stops = stops + SHAOXING_STOPS["越城区" if district != "越城区" else "柯桥区"]
        start, end = rng.sample(stops, 2)
        length = round(rng.uniform(6, 32), 1)
        first = "05:30" if name.startswith("BRT") else rng.choice(_FIRST_BUSES)
        last_hour = rng.choice((18, 19, 20, 21, 22))
        rows.append(
            (
                name,
                start,
                end,
                first,
                f"{last_hour}:{rng.choice(('00', '30'))}",
                3.0 if length > 28 else 2.0,
                length,
                max(8, round(length / rng.uniform(0.55, 0.8))),
                rng.random() < 0.9,
                _OPERATORS[district],
            )
        )
    return rows


def _port_throughput(rng: random.Random) -> list[Row]:
    """港区, 统计月份, 货物吞吐量(万吨), 其中外贸(万吨), 集装箱吞吐量(万标箱), 同比增长(%)."""
    season = {2: 0.82, 1: 0.95, 8: 0.92, 9: 0.93, 12: 1.06}
    rows: list[Row] = []
    for area, monthly, foreign, boxes in PORT_AREAS:
        last_year = {m: monthly * season.get(m, 1.0) * rng.uniform(0.9, 1.1) for m in range(1, 13)}
        growth = rng.uniform(-0.03, 0.12)
        for year in (YEAR - 1, YEAR):
            for month in month_starts(year):
                cargo = last_year[month.month] * (1 + growth) * rng.uniform(0.95, 1.05)
                change = (cargo / last_year[month.month] - 1) * 100
                rows.append(
                    (
                        area,
                        month,
                        round(cargo, 1),
                        round(cargo * foreign * rng.uniform(0.9, 1.1), 1),
                        round(boxes * cargo / monthly, 2) if boxes else 0.0,
                        round(change, 1),
                    )
                )
                last_year[month.month] = cargo
    return rows


# --- the datasets' rows ----------------------------------------------------------------------


def bike_stations(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``hz-public-bicycle-stations`` (杭州市公共自行车站点)."""
    return named(
        _bike_stations(rng),
        "站点编号",
        "站点名称",
        "所在区",
        "经度",
        "纬度",
        "桩位数",
        "24小时服务",
    )


def expressway_speeds(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zj-expressway-speeds`` (高速公路路段实时车速)."""
    return named(
        _expressway_speeds(rng), "路段", "方向", "采集时间", "平均车速(km/h)", "拥堵指数", "路况"
    )


def port_throughput(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zs-port-throughput`` (舟山港口货物吞吐量)."""
    return named(
        _port_throughput(rng),
        "港区",
        "统计月份",
        "货物吞吐量(万吨)",
        "其中外贸(万吨)",
        "集装箱吞吐量(万标箱)",
        "同比增长(%)",
    )


def bus_lines(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``sx-bus-lines`` (绍兴市公交线路)."""
    return named(
        _bus_lines(rng),
        "线路名称",
        "起点站",
        "终点站",
        "首班时间",
        "末班时间",
        "票价(元)",
        "线路长度(km)",
        "站点数",
        "新能源车辆",
        "运营单位",
    )
