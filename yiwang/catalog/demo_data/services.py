"""Demo tables of public services: tourism, transport, ports, health, social assistance and the
open-data catalogue's own statistics. Each function takes a seeded ``random.Random`` and returns
the rows in the order of the columns its resource declares in ``resources``."""

from __future__ import annotations

import datetime as dt
import math
import random

from yiwang.catalog.demo_data import synthetic as syn
from yiwang.catalog.demo_data.common import (
    YEAR,
    Row,
    cities,
    clamp,
    counties,
    local_time,
    moments,
    month_starts,
)
from yiwang.catalog.demo_data.reference import (
    EXPRESSWAY_SECTIONS,
    HANGZHOU_DISTRICTS,
    HOSPITALS,
    HUZHOU_CENTRES,
    HUZHOU_TOWNS,
    JINHUA_HOSPITALS,
    NINGBO_DEPARTMENTS,
    PORT_AREAS,
    SCENIC_SPOTS,
    SHAOXING_STOPS,
    TRADE_NAMES,
    YINZHOU_ROADS,
    YINZHOU_STREETS,
)

# --- tourism -------------------------------------------------------------------------------------

_USUAL_HOURS = ("08:00-17:00", "08:00-17:30", "07:30-17:30", "08:30-17:00")
_CAPACITY = {"5A": (30000, 120000), "4A": (8000, 40000), "3A": (3000, 15000)}


def scenic_spots(rng: random.Random) -> list[Row]:
    """景区名称, 等级, 城市, 区县, 地址, 最大承载量(人), 开放时间."""
    rows: list[Row] = []
    for name, grade, city, county, address, note in SCENIC_SPOTS:
        low, high = _CAPACITY[grade]
        capacity = round(rng.randint(low, high), -2)
        hours = note or rng.choice(_USUAL_HOURS)
        if note.startswith("周一"):
            hours = f"{rng.choice(_USUAL_HOURS)}（{note}）"
        rows.append((name, grade, city, county, f"浙江省{address}", capacity, hours))
    return rows


_RURAL_KINDS = ("3A级景区村庄", "2A级景区村庄", "1A级景区村庄")


def rural_tourism(rng: random.Random) -> list[Row]:
    """名称, 类型, 等级, 区县, 乡镇, 床位数, 餐位数, 联系电话, 经度, 纬度."""
    rows: list[Row] = []
    for county, town, villages in HUZHOU_TOWNS:
        lon, lat = HUZHOU_CENTRES[county]
        places = [(v, "景区村庄") for v in villages.split()]
        places.append((f"{rng.choice(TRADE_NAMES)}生态农庄", "休闲农业园区"))
        if rng.random() < 0.6:
            places.append((f"{places[0][0]}民宿集聚区", "精品民宿集聚区"))
        for name, kind in places:
            grade = rng.choices(_RURAL_KINDS, weights=(4, 3, 2))[0] if kind == "景区村庄" else ""
            beds = rng.randint(20, 60) if kind == "休闲农业园区" else rng.randint(60, 900)
            rows.append(
                (
                    f"{county}{town}{name}",
                    kind,
                    grade or None,
                    county,
                    town,
                    beds,
                    beds * rng.randint(2, 4),
                    syn.landline(rng, "湖州市"),
                    round(lon + rng.uniform(-0.12, 0.12), 6),
                    round(lat + rng.uniform(-0.10, 0.10), 6),
                )
            )
    return rows


# --- transport -----------------------------------------------------------------------------------

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


def expressway_speeds(rng: random.Random) -> list[Row]:
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


def bike_stations(rng: random.Random) -> list[Row]:
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


def bus_lines(rng: random.Random) -> list[Row]:
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


def port_throughput(rng: random.Random) -> list[Row]:
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


# --- health --------------------------------------------------------------------------------------

_BIG_COUNTIES = {
    "义乌市",
    "东阳市",
    "慈溪市",
    "余姚市",
    "诸暨市",
    "瑞安市",
    "乐清市",
    "温岭市",
    "临海市",
}


def medical_institutions(rng: random.Random) -> list[Row]:
    """机构名称, 类别, 等级, 城市, 区县, 地址, 联系电话: tertiary hospitals and the county
    hospitals of every county and county-level city."""
    rows: list[Row] = [
        (name, kind, grade, city, county, f"浙江省{address}", syn.landline(rng, city))
        for name, kind, grade, city, county, address in HOSPITALS
    ]
    for city in cities():
        for _code, county in counties(city):
            if county.endswith("区"):
                continue
            place = f"浙江省{city}{county}"
            grade = "三级乙等" if county in _BIG_COUNTIES else "二级甲等"
            rows.append(
                (
                    f"{county}人民医院",
                    "综合医院",
                    grade,
                    city,
                    county,
                    syn.street_address(rng, place),
                    syn.landline(rng, city),
                )
            )
            rows.append(
                (
                    f"{county}中医院",
                    "中医医院",
                    "二级甲等",
                    city,
                    county,
                    syn.street_address(rng, place),
                    syn.landline(rng, city),
                )
            )
    return rows


def hospital_beds(rng: random.Random) -> list[Row]:
    """医院名称, 区县, 等级, 统计月份, 核定床位, 实际开放床位, 月末在院人数, 床位使用率(%)."""
    rows: list[Row] = []
    for name, county, grade, approved in JINHUA_HOSPITALS:
        opened = round(approved * rng.uniform(0.95, 1.08))
        usual = rng.uniform(0.78, 0.95)
        for month in month_starts(YEAR):
            winter = 0.06 if month.month in (1, 2, 12) else 0.0
            patients = round(opened * clamp(usual + winter + rng.gauss(0, 0.03), 0.5, 1.12))
            rows.append(
                (
                    name,
                    county,
                    grade,
                    month,
                    approved,
                    opened,
                    patients,
                    round(patients / opened * 100, 1),
                )
            )
    return rows


_LOW_INCOME_LINE = 1265.0  # 元/人/月 (synthetic, near the cities' 2025 lines)


def low_income(rng: random.Random) -> list[Row]:
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


def catalogue_statistics(rng: random.Random) -> list[Row]:
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
