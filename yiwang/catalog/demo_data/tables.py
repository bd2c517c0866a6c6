"""The rows of the demo tables. Each function takes a seeded ``random.Random`` and returns the
rows of one table, in the order of the columns its resource declares in ``yiwang.catalog.demo``
(named in each docstring). Figures are synthetic; measured values follow the standards named
(HJ 633-2012 for AQI, GB 3838-2002 for water classes)."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from functools import cache

from yiwang.catalog.demo_data import synthetic as syn
from yiwang.catalog.demo_data.reference import (
    AIR_STATIONS,
    COMMON_ROADS,
    EXPRESSWAY_SECTIONS,
    FARM_CHECKS,
    FOOD_CHECKS,
    HANGZHOU_BUILDINGS,
    HANGZHOU_DISTRICTS,
    HOSPITALS,
    HUZHOU_CENTRES,
    HUZHOU_TOWNS,
    JINHUA_HOSPITALS,
    LISHUI_TOWNS,
    NINGBO_DEPARTMENTS,
    PORT_AREAS,
    RESERVOIRS,
    RIVER_STATIONS,
    SCENIC_SPOTS,
    SHAOXING_STOPS,
    TRADE_NAMES,
    WATER_SECTIONS,
    YINZHOU_ROADS,
    YINZHOU_STREETS,
)
from yiwang.core.codes import division_children, division_name

Row = tuple[object, ...]
YEAR = 2025  # the year the demo's data describe


# --- places --------------------------------------------------------------------------------------


@cache
def cities() -> dict[str, str]:
    """The 11 cities of Zhejiang: name -> GB/T 2260 code."""
    return {str(division_name(code)): code for code in division_children("330000")}


@cache
def counties(city: str) -> tuple[tuple[str, str], ...]:
    """The county-level divisions of a city: (code, name), in code order."""
    return tuple((code, str(division_name(code))) for code in division_children(cities()[city]))


def county_code(city: str, county: str) -> str:
    return next(code for code, name in counties(city) if name == county)


def _short(city: str) -> str:
    return city.removesuffix("市")


# Where firms are, roughly in proportion to the cities' economies.
_CITY_WEIGHTS = {
    "杭州市": 22,
    "宁波市": 16,
    "温州市": 12,
    "嘉兴市": 8,
    "湖州市": 6,
    "绍兴市": 9,
    "金华市": 11,
    "衢州市": 4,
    "舟山市": 3,
    "台州市": 7,
    "丽水市": 2,
}


def _place(rng: random.Random) -> tuple[str, str, str]:
    """A city, a county of it and the county's code, drawn by economic weight."""
    city = rng.choices(list(_CITY_WEIGHTS), weights=list(_CITY_WEIGHTS.values()))[0]
    code, county = rng.choice(counties(city))
    return city, county, code


def _registrar(city: str, county: str) -> str:
    """The market regulation bureau that registers firms of a county."""
    if county.endswith("区"):
        return f"{city}{county}市场监督管理局"
    return f"{county}市场监督管理局"


def _firm_place(city: str, county: str) -> str:
    """How firms of a county begin their names: 义乌 for county-level cities, else the city."""
    return county.removesuffix("市") if county.endswith("市") else _short(city)


def _month_starts(year: int) -> list[dt.date]:
    return [dt.date(year, month, 1) for month in range(1, 13)]


def _local(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in China Standard Time, as stations report it: datastore timestamps carry no
    time zone."""
    return dt.datetime(year, month, day, hour, minute)  # noqa: DTZ001


def _hours(start: dt.datetime, count: int, step: int = 60) -> list[dt.datetime]:
    return [start + dt.timedelta(minutes=step * i) for i in range(count)]


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _expiry(start: dt.date, years: int) -> dt.date:
    """The last day of a term of ``years`` starting on ``start`` (29 February runs to the 28th)."""
    day = 28 if (start.month, start.day) == (2, 29) else start.day
    return start.replace(year=start.year + years, day=day) - dt.timedelta(days=1)


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


# --- environment ---------------------------------------------------------------------------------

_IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
# Breakpoints of HJ 633-2012 for the real-time AQI: PM from their 24-hour moving averages.
_BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "PM2.5": (0, 35, 75, 115, 150, 250, 350, 500),
    "PM10": (0, 50, 150, 250, 350, 420, 500, 600),
    "O3": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "NO2": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "SO2": (0, 150, 500, 650, 800),
    "CO": (0, 5, 10, 35, 60, 90, 120, 150),
}
_AQI_LEVELS = ((50, "优"), (100, "良"), (150, "轻度污染"), (200, "中度污染"), (300, "重度污染"))


def iaqi(pollutant: str, concentration: float) -> int:
    """The individual air quality index of one concentration (HJ 633-2012), rounded up."""
    points = _BREAKPOINTS[pollutant]
    i = min(max(bisect.bisect_right(points, concentration) - 1, 0), len(points) - 2)
    low, high = points[i], points[i + 1]
    value = (_IAQI[i + 1] - _IAQI[i]) / (high - low) * (concentration - low) + _IAQI[i]
    return math.ceil(round(value, 6))


def aqi_level(aqi: int) -> str:
    return next((name for limit, name in _AQI_LEVELS if aqi <= limit), "严重污染")


def air_quality(rng: random.Random) -> list[Row]:
    """站点, 区县, 监测时间, AQI, 等级, 首要污染物, PM2.5, PM2.5(24小时滑动平均), PM10,
    PM10(24小时滑动平均), O3, NO2, SO2, CO: 48 hours of a November pollution episode."""
    first = _local(YEAR, 11, 17, 0)
    warm_up = 23  # hours before the first reported one, for the 24-hour averages
    times = _hours(first - dt.timedelta(hours=warm_up), 48 + warm_up)
    rows: list[Row] = []
    for station, district, pm_offset, no2_offset in AIR_STATIONS:
        pm25: list[float] = []
        pm10: list[float] = []
        drift = 0.0
        for index, moment in enumerate(times):
            hour = moment.hour
            # The regional level climbs over the three days; nights and mornings are worse.
            regional = 28 + 0.75 * index + 10 * math.cos((hour - 4) / 24 * 2 * math.pi)
            drift = _clamp(drift + rng.gauss(0, 3), -12, 12)
            fine = max(4.0, regional + pm_offset + drift + rng.gauss(0, 3))
            pm25.append(round(fine))
            pm10.append(round(fine * rng.uniform(1.45, 1.8)))
            if index < warm_up:
                continue
            rush = math.exp(-((hour - 8) ** 2) / 4) + math.exp(-((hour - 18.5) ** 2) / 5)
            no2 = max(5.0, 28 + 30 * rush + no2_offset + rng.gauss(0, 5))
            sun = max(0.0, math.sin((hour - 7) / 12 * math.pi)) if 7 <= hour <= 19 else 0.0
            o3 = max(2.0, 18 + 95 * sun - 0.3 * (no2 - 30) + rng.gauss(0, 6))
            so2 = max(2.0, 6 + rng.gauss(0, 1.5))
            co = max(0.3, 0.45 + fine / 110 + rng.gauss(0, 0.05))
            pm25_24h = round(sum(pm25[-24:]) / 24)
            pm10_24h = round(sum(pm10[-24:]) / 24)
            values = {
                "PM2.5": pm25_24h,
                "PM10": pm10_24h,
                "O3": round(o3),
                "NO2": round(no2),
                "SO2": round(so2),
                "CO": round(co, 1),
            }
            indexes = {name: iaqi(name, float(value)) for name, value in values.items()}
            aqi = max(indexes.values())
            primary = "、".join(n for n, v in indexes.items() if v == aqi) if aqi > 50 else None
            rows.append(
                (
                    station,
                    district,
                    moment,
                    aqi,
                    aqi_level(aqi),
                    primary,
                    pm25[-1],
                    pm25_24h,
                    pm10[-1],
                    pm10_24h,
                    values["O3"],
                    values["NO2"],
                    values["SO2"],
                    values["CO"],
                )
            )
    return rows


_CLASSES = ("I类", "II类", "III类", "IV类", "V类", "劣V类")
# GB 3838-2002 limits of classes I-V: DO at least, the others at most (TP for rivers).
_DO_MIN = (7.5, 6, 5, 3, 2)
_LIMITS = {
    "CODMn": (2, 4, 6, 10, 15),
    "NH3-N": (0.15, 0.5, 1.0, 1.5, 2.0),
    "TP": (0.02, 0.1, 0.2, 0.3, 0.4),
}
# Typical values of a section of each usual class (1-3): DO, CODMn, NH3-N, TP.
_TYPICAL = {
    1: ((8.4, 10.0), (1.2, 1.9), (0.03, 0.12), (0.008, 0.019)),
    2: ((7.0, 9.0), (2.0, 3.6), (0.12, 0.42), (0.03, 0.09)),
    3: ((5.6, 7.4), (3.4, 5.4), (0.35, 0.9), (0.08, 0.18)),
}


def water_class(do: float, codmn: float, nh3n: float, tp: float) -> str:
    """The class of a sample by the single-factor method: the worst parameter decides."""
    worst = next((i for i, limit in enumerate(_DO_MIN) if do >= limit), 5)
    for name, value in (("CODMn", codmn), ("NH3-N", nh3n), ("TP", tp)):
        worst = max(worst, next((i for i, v in enumerate(_LIMITS[name]) if value <= v), 5))
    return _CLASSES[worst]


def surface_water(rng: random.Random) -> list[Row]:
    """断面名称, 河流, 城市, 月份, 水质类别, 溶解氧, 高锰酸盐指数, 氨氮, 总磷, 水质目标,
    是否达标."""
    rows: list[Row] = []
    for section, river, city, usual in WATER_SECTIONS:
        target = "II类" if usual <= 2 else "III类"
        ranges = _TYPICAL[usual]
        for month in _month_starts(YEAR):
            summer = 1 if month.month in (6, 7, 8, 9) else 0
            do = rng.uniform(*ranges[0]) - 1.1 * summer
            codmn = rng.uniform(*ranges[1]) * (1.1 if summer else 1.0)
            nh3n = rng.uniform(*ranges[2]) * (0.85 if summer else 1.05)
            tp = rng.uniform(*ranges[3]) * (1.3 if summer else 1.0)
            if usual == 3 and rng.random() < 0.06:  # a bad month: an outfall upstream
                nh3n *= rng.uniform(1.8, 2.8)
            values = (round(do, 1), round(codmn, 1), round(nh3n, 3), round(tp, 3))
            found = water_class(*values)
            met = _CLASSES.index(found) <= _CLASSES.index(target)
            rows.append((section, river, city, month, found, *values, target, met))
    return rows


_ECO_KINDS = (
    ("省级以上公益林损失性补偿", 40.0),
    ("主要干流源头地区公益林补偿", 45.0),
    ("天然商品林停伐管护补助", 20.0),
)


def eco_compensation(rng: random.Random) -> list[Row]:
    """姓名, 身份证号码, 手机号码, 住址, 区县, 乡镇, 补偿类型, 补偿面积(亩), 补偿标准(元/亩),
    发放金额(元), 发放日期: forest owners paid in the July round."""
    paid_from = dt.date(YEAR, 7, 10)
    rows: list[Row] = []
    for code, county, towns in LISHUI_TOWNS:
        paid_on = paid_from + dt.timedelta(days=rng.randrange(12))
        for _ in range(26):
            town = rng.choice(towns.split())
            name, male = syn.person_name(rng)
            born = syn.birth_date(rng, oldest=82, youngest=30, on=paid_on)
            kind, rate = rng.choices(_ECO_KINDS, weights=(6, 3, 2))[0]
            area = round(rng.uniform(3, 150), 1)
            address = f"浙江省丽水市{county}{town}{syn.village(rng)}{rng.randrange(1, 120)}号"
            rows.append(
                (
                    name,
                    syn.resident_id(rng, code, born, male=male),
                    syn.mobile(rng),
                    address,
                    county,
                    town,
                    kind,
                    area,
                    rate,
                    round(area * rate, 2),
                    paid_on,
                )
            )
    return rows


_EIA_PRODUCTS = (
    ("汽车零部件", "C3670汽车零部件及配件制造"),
    ("阀门", "C3443阀门和旋塞制造"),
    ("皮鞋", "C1952皮鞋制造"),
    ("眼镜", "C3587眼镜制造"),
    ("低压电器", "C3823配电开关控制设备制造"),
    ("服装", "C1810机织服装制造"),
    ("合成革", "C2925塑料人造革、合成革制造"),
    ("印刷包装材料", "C2319包装装潢及其他印刷"),
)
_EIA_ABBREVIATIONS = {
    "鹿城区": "鹿",
    "龙湾区": "龙",
    "瓯海区": "瓯",
    "洞头区": "洞",
    "永嘉县": "永",
    "平阳县": "平",
    "苍南县": "苍",
    "文成县": "文",
    "泰顺县": "泰",
    "瑞安市": "瑞",
    "乐清市": "乐",
    "龙港市": "港",
}


def environmental_approvals(rng: random.Random) -> list[Row]:
    """项目名称, 建设单位, 统一社会信用代码, 建设地点, 环评文件类型, 行业类别, 总投资(万元),
    环保投资(万元), 审批文号, 审批日期, 审批机关."""
    taken: set[str] = set()
    approvals: list[tuple[dt.date, str, str, Row]] = []
    for _ in range(120):
        code, county = rng.choice(counties("温州市"))
        place = _firm_place("温州市", county)
        draw = rng.random()
        if draw < 0.7:
            product, industry = rng.choice(_EIA_PRODUCTS)
            owner = syn.firm_name(rng, place, product.removesuffix("材料"), taken=taken)
            project = f"年产{rng.choice((20, 50, 100, 200, 300, 500))}万件{product}技术改造项目"
            invest = rng.uniform(500, 20000)
        elif draw < 0.85:
            town = syn.village(rng).removesuffix("村")
            owner = syn.firm_name(rng, place, "水务", taken=taken, form="集团有限公司")
            project = f"{county}{town}污水处理厂提标改造工程"
            industry = "D4620污水处理及其再生利用"
            invest = rng.uniform(3000, 30000)
        else:
            road = rng.choice(COMMON_ROADS)
            owner = syn.firm_name(rng, place, "城市建设投资", taken=taken, form="集团有限公司")
            project = f"{county}{road}（{rng.randint(1, 3)}期）道路工程"
            industry = "E4812市政道路工程建筑"
            invest = rng.uniform(5000, 80000)
        approved = syn.day_between(rng, dt.date(YEAR, 1, 6), dt.date(YEAR, 11, 14))
        # Reports (报告书) go to the city bureau; forms (报告表) to its county branch.
        report = "报告书" if invest > 20000 or rng.random() < 0.1 else "报告表"
        if report == "报告书":
            prefix, authority = "温环", "温州市生态环境局"
        else:
            prefix = f"温环{_EIA_ABBREVIATIONS[county]}"
            authority = f"温州市生态环境局{county.removesuffix('区')[:2]}分局"
        fields: Row = (
            project,
            owner,
            syn.credit_code(rng, code, founded=rng.randint(1998, 2024)),
            f"温州市{county}",
            report,
            industry,
            round(invest, 2),
            round(invest * rng.uniform(0.01, 0.08), 2),
        )
        approvals.append((approved, prefix, authority, fields))
    approvals.sort(key=lambda a: a[0])
    counters: dict[str, int] = {}
    rows: list[Row] = []
    for approved, prefix, authority, fields in approvals:
        counters[prefix] = counters.get(prefix, 0) + 1
        rows.append((*fields, f"{prefix}建〔{YEAR}〕{counters[prefix]}号", approved, authority))
    return rows


# --- market regulation ---------------------------------------------------------------------------

_INDUSTRIES = (
    ("科技", "科技推广和应用服务业"),
    ("网络科技", "软件和信息技术服务业"),
    ("食品", "食品制造业"),
    ("纺织", "纺织业"),
    ("服饰", "纺织服装、服饰业"),
    ("机械", "通用设备制造业"),
    ("电子", "计算机、通信和其他电子设备制造业"),
    ("新材料", "非金属矿物制品业"),
    ("化工", "化学原料和化学制品制造业"),
    ("贸易", "批发业"),
    ("物流", "装卸搬运和仓储业"),
    ("建设工程", "房屋建筑业"),
    ("餐饮管理", "餐饮业"),
    ("医药", "医药制造业"),
    ("五金", "金属制品业"),
    ("汽车零部件", "汽车制造业"),
)
_FIRM_TYPES = (
    ("有限责任公司（自然人投资或控股）", "有限公司", 70),
    ("有限责任公司（自然人独资）", "有限公司", 12),
    ("股份有限公司（非上市、自然人投资或控股）", "股份有限公司", 6),
    ("有限责任公司（外商投资、非独资）", "有限公司", 3),
    ("有限责任公司（国有控股）", "有限公司", 3),
    ("个人独资企业", "商行", 6),
)
_CAPITALS = (10, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000, 30000)
_STATES = (("存续", 86), ("在业", 4), ("注销", 7), ("吊销", 3))


def business_register(rng: random.Random) -> list[Row]:
    """企业名称, 统一社会信用代码, 法定代表人, 企业类型, 注册资本(万元), 成立日期, 登记机关, 住所,
    所属行业, 经营状态."""
    taken: set[str] = set()
    rows: list[Row] = []
    for _ in range(300):
        city, county, code = _place(rng)
        kind, form, _weight = rng.choices(_FIRM_TYPES, weights=[t[2] for t in _FIRM_TYPES])[0]
        word, industry = rng.choice(_INDUSTRIES)
        founded = syn.day_between(rng, dt.date(1998, 1, 1), dt.date(YEAR, 10, 31))
        provincial = kind.startswith("股份") and rng.random() < 0.5
        place = "浙江" if provincial else _firm_place(city, county)
        name = syn.firm_name(rng, place, word, taken=taken, form=form)
        registrar = "浙江省市场监督管理局" if provincial else _registrar(city, county)
        division = "330000" if provincial else code
        capital = rng.choice(_CAPITALS[:4] if form == "商行" else _CAPITALS)
        address = syn.street_address(rng, f"浙江省{city}{county}")
        if rng.random() < 0.5:
            address += f"{rng.randint(1, 12)}幢{rng.randint(1, 20)}{rng.randint(1, 30):02d}室"
        rows.append(
            (
                name,
                syn.credit_code(rng, division, founded=founded.year),
                syn.person_name(rng)[0],
                kind,
                float(capital),
                founded,
                registrar,
                address,
                industry,
                rng.choices([s for s, _ in _STATES], weights=[w for _, w in _STATES])[0],
            )
        )
    return rows


_LICENCES = (
    (
        "食品生产许可",
        5,
        ("保健食品（片剂、胶囊）生产", "婴幼儿配方乳粉生产", "特殊医学用途配方食品生产"),
    ),
    ("工业产品生产许可", 5, ("危险化学品生产", "化肥生产", "电线电缆生产", "建筑用钢筋生产")),
    ("检验检测机构资质认定", 6, ("资质认定（首次）", "资质认定（复查换证）", "资质认定（扩项）")),
    (
        "特种设备生产单位许可",
        4,
        ("电梯安装修理（A2）", "压力管道安装（GB1、GB2）", "锅炉安装（B级）"),
    ),
)
_LICENCE_WORDS = {
    "食品生产许可": "食品",
    "工业产品生产许可": "化工",
    "检验检测机构资质认定": "检测技术",
    "特种设备生产单位许可": "机电设备安装",
}


def _certificate(rng: random.Random, kind: str, code: str, valid_to: dt.date) -> str:
    if kind == "食品生产许可":
        return f"SC1{rng.randint(10, 31)}{code}{rng.randrange(10**4):04d}{rng.randrange(10)}"
    if kind == "工业产品生产许可":
        return f"（浙）XK13-{rng.randint(1, 30):03d}-{rng.randrange(10**5):05d}"
    if kind == "检验检测机构资质认定":
        return f"{YEAR % 100}11{rng.randrange(10**8):08d}"
    return f"TS{rng.choice(('3133', '3833', '2133'))}{rng.randrange(10**3):03d}-{valid_to.year}"


def admin_licences(rng: random.Random) -> list[Row]:
    """行政相对人名称, 统一社会信用代码, 法定代表人, 许可类别, 许可决定书文号, 许可证书编号,
    许可内容, 许可决定日期, 有效期至, 许可机关: the provincial bureau's licences of the year."""
    taken: set[str] = set()
    decisions: list[tuple[dt.date, str, str, str, str, str, int]] = []
    for _ in range(150):
        city, county, code = _place(rng)
        kind, years, contents = rng.choice(_LICENCES)
        name = syn.firm_name(rng, _firm_place(city, county), _LICENCE_WORDS[kind], taken=taken)
        decided = syn.day_between(rng, dt.date(YEAR, 1, 2), dt.date(YEAR, 11, 14))
        decisions.append((decided, name, code, kind, rng.choice(contents), city, years))
    decisions.sort()
    rows: list[Row] = []
    for number, (decided, name, code, kind, content, _city, years) in enumerate(decisions, 1):
        valid_to = _expiry(decided, years)
        rows.append(
            (
                name,
                syn.credit_code(rng, code, founded=rng.randint(2000, 2024)),
                syn.person_name(rng)[0],
                kind,
                f"浙市监许〔{YEAR}〕{number}号",
                _certificate(rng, kind, code, valid_to),
                content,
                decided,
                valid_to,
                "浙江省市场监督管理局",
            )
        )
    return rows


# (violation, legal basis, lowest and highest fine in yuan, confiscation likely)
_VIOLATIONS = (
    (
        "经营超过保质期的食品",
        "《中华人民共和国食品安全法》第一百二十四条第一款第（五）项",
        5000,
        50000,
        True,
    ),
    (
        "经营标签不符合规定的预包装食品",
        "《中华人民共和国食品安全法》第一百二十五条第一款第（二）项",
        5000,
        20000,
        True,
    ),
    (
        "未取得食品经营许可从事食品经营",
        "《中华人民共和国食品安全法》第一百二十二条第一款",
        50000,
        100000,
        True,
    ),
    ("发布虚假广告", "《中华人民共和国广告法》第五十五条第一款", 20000, 200000, False),
    ("虚假宣传", "《中华人民共和国反不正当竞争法》第二十条第一款", 20000, 200000, False),
    ("销售不合格产品", "《中华人民共和国产品质量法》第四十九条", 10000, 100000, True),
    ("使用未经检定的计量器具", "《中华人民共和国计量法实施细则》第四十三条", 500, 1000, False),
    (
        "特种设备未按规定定期检验",
        "《中华人民共和国特种设备安全法》第八十四条第（一）项",
        30000,
        300000,
        False,
    ),
    ("不按规定明码标价", "《中华人民共和国价格法》第四十二条", 500, 5000, False),
)
_SHOP_KINDS = ("便利店", "副食店", "超市", "小吃店", "五金店", "眼镜店")


def admin_penalties(rng: random.Random) -> list[Row]:
    """行政相对人名称, 统一社会信用代码, 法定代表人, 处罚决定书文号, 违法行为类型, 处罚依据,
    处罚内容, 罚没款金额(元), 处罚决定日期, 处罚机关: Taizhou's decisions of the year."""
    taken: set[str] = set()
    cases = []
    for _ in range(100):
        code, county = rng.choice(counties("台州市"))
        violation, basis, low, high, confiscate = rng.choice(_VIOLATIONS)
        decided = syn.day_between(rng, dt.date(YEAR, 1, 6), dt.date(YEAR, 11, 14))
        cases.append((decided, code, county, violation, basis, low, high, confiscate))
    cases.sort(key=lambda c: c[0])
    counters: dict[str, int] = {}
    rows: list[Row] = []
    for decided, code, county, violation, basis, low, high, confiscate in cases:
        sole_trader = rng.random() < 0.45
        place = county if county.endswith(("县", "市")) else f"台州市{county}"
        if sole_trader:
            name = syn.firm_name(rng, place, "", taken=taken, form=rng.choice(_SHOP_KINDS))
        else:
            word = rng.choice(_INDUSTRIES)[0]
            name = syn.firm_name(rng, _firm_place("台州市", county), word, taken=taken)
        fine = round(rng.uniform(low, high), -2)
        gains = round(rng.uniform(100, 8000), 2) if confiscate else 0.0
        content = f"罚款人民币{fine:,.0f}元"
        if gains:
            content = f"没收违法所得人民币{gains:,.2f}元，{content}"
        if high <= 5000:
            content = f"警告，{content}"
        if county.endswith("区"):
            authority, short = f"台州市市场监督管理局{county[:2]}分局", county[:1]
        else:
            authority, short = f"{county}市场监督管理局", county[:1]
        counters[short] = counters.get(short, 0) + 1
        rows.append(
            (
                name,
                syn.credit_code(rng, code, kind="2" if sole_trader else "1", founded=2016),
                syn.person_name(rng)[0],
                f"台{short}市监处罚〔{YEAR}〕{counters[short]}号",
                violation,
                basis,
                content,
                fine + gains,
                decided,
                authority,
            )
        )
    return rows


_FOOD_BUSINESSES = (
    ("食品销售经营者", "1", "预包装食品（含冷藏冷冻食品）销售；散装食品（不含冷藏冷冻食品）销售"),
    ("餐饮服务经营者", "2", "热食类食品制售；冷食类食品制售"),
    ("单位食堂", "3", "热食类食品制售"),
)


_SOLE_TRADER_SHOPS = {"1": ("副食店", "便利店", "水果店"), "2": ("面馆", "小吃店", "餐馆")}


def food_licences(rng: random.Random) -> list[Row]:
    """经营者名称, 统一社会信用代码, 法定代表人（负责人）, 经营场所, 主体业态, 经营项目,
    许可证编号, 发证日期, 有效期至, 发证机关: Jiaxing's food business licences."""
    taken: set[str] = set()
    licences: list[tuple[dt.date, str, str, str, str, str, bool]] = []
    for _ in range(200):
        code, county = rng.choice(counties("嘉兴市"))
        business, digit, _items = rng.choices(_FOOD_BUSINESSES, weights=(5, 6, 1))[0]
        sole_trader = business != "单位食堂" and rng.random() < 0.55
        if sole_trader:
            shop = rng.choice(_SOLE_TRADER_SHOPS[digit])
            name = syn.firm_name(rng, county, "", taken=taken, form=shop)
        elif business == "单位食堂":
            word = rng.choice(("科技", "纺织", "机械"))
            name = syn.firm_name(rng, "嘉兴", word, taken=taken) + "（职工食堂）"
        else:
            name = syn.firm_name(rng, "嘉兴", "餐饮管理" if digit == "2" else "超市", taken=taken)
        issued = syn.day_between(rng, dt.date(YEAR - 4, 1, 4), dt.date(YEAR, 11, 14))
        licences.append((issued, code, county, name, business, digit, sole_trader))
    licences.sort(key=lambda licence: licence[0])
    serials: dict[str, int] = {}
    rows: list[Row] = []
    for issued, code, county, name, business, digit, sole_trader in licences:
        serials[code] = serials.get(code, 0) + 1
        rows.append(
            (
                name,
                syn.credit_code(rng, code, kind="2" if sole_trader else "1", founded=issued.year),
                syn.person_name(rng)[0],
                syn.street_address(rng, f"浙江省嘉兴市{county}"),
                business,
                next(items for b, _d, items in _FOOD_BUSINESSES if b == business),
                f"JY{digit}{code}{serials[code]:06d}{rng.randrange(10)}",
                issued,
                _expiry(issued, 5),
                _registrar("嘉兴市", county),
            )
        )
    return rows


def food_checks(rng: random.Random) -> list[Row]:
    """抽样编号, 食品名称, 食品类别, 生产日期, 标称生产企业, 被抽样单位, 被抽样单位地址,
    检验结果, 不合格项目, 抽样日期: Xihu District's food sampling."""
    roads = HANGZHOU_DISTRICTS[2][3].split()
    taken: set[str] = set()
    makers = [
        syn.firm_name(rng, _short(city), "食品", taken=taken)
        for city in ("杭州市", "宁波市", "湖州市", "嘉兴市", "金华市", "绍兴市", "温州市", "台州市")
        for _ in range(2)
    ]
    shops = [
        syn.firm_name(rng, "杭州", "超市", taken=taken) + f"{rng.choice(roads)}店"
        for _ in range(20)
    ]
    restaurants = [
        syn.firm_name(rng, "杭州", "餐饮管理", taken=taken) + f"{rng.choice(roads)}店"
        for _ in range(10)
    ]
    addresses = {
        unit: f"浙江省杭州市西湖区{rng.choice(roads)}{rng.randrange(1, 600)}号"
        for unit in shops + restaurants
    }
    samples: list[tuple[dt.date, Row]] = []
    for _ in range(150):
        category, foods, items = rng.choice(FOOD_CHECKS)
        sampled = syn.day_between(rng, dt.date(YEAR, 3, 3), dt.date(YEAR, 11, 7))
        failed = rng.random() < 0.05
        served = category == "餐饮食品"  # made on the premises: no maker, no production date
        unit = rng.choice(restaurants if served else shops)
        made = None if served else sampled - dt.timedelta(days=rng.randrange(1, 120))
        fields = (
            rng.choice(foods.split()),
            category,
            made,
            None if served else rng.choice(makers),
            unit,
            addresses[unit],
            "不合格" if failed else "合格",
            rng.choice(items.split()) if failed else None,
        )
        samples.append((sampled, fields))
    samples.sort(key=lambda sample: sample[0])
    return [
        (f"DC{YEAR % 100}330106{number:06d}", *fields, sampled)
        for number, (sampled, fields) in enumerate(samples, 1)
    ]


_LIFT_KINDS = (
    ("3110", "曳引驱动乘客电梯", 70),
    ("3120", "曳引驱动载货电梯", 8),
    ("3310", "自动扶梯", 10),
    ("3320", "自动人行道", 2),
    ("3410", "杂物电梯", 3),
    ("3130", "液压驱动电梯", 2),
)


def lifts(rng: random.Random) -> list[Row]:
    """设备注册代码, 设备品种, 使用单位, 安装地点, 所在区, 维保单位, 投入使用日期, 下次检验日期,
    使用状态: lifts registered in urban Hangzhou."""
    taken: set[str] = set()
    keepers = [syn.firm_name(rng, "杭州", "物业管理", taken=taken) for _ in range(25)]
    servicers = [syn.firm_name(rng, "杭州", "电梯工程", taken=taken) for _ in range(10)]
    serials: dict[str, int] = {}
    rows: list[Row] = []
    for _ in range(200):
        district, code, _centre, _roads = rng.choice(HANGZHOU_DISTRICTS)
        kind_code, kind, _weight = rng.choices(_LIFT_KINDS, weights=[k[2] for k in _LIFT_KINDS])[0]
        since = syn.day_between(rng, dt.date(2003, 1, 1), dt.date(YEAR, 9, 30))
        key = f"{kind_code}{code}{since.year}"
        serials[key] = serials.get(key, 0) + 1
        building = rng.choice(HANGZHOU_BUILDINGS)
        if kind_code in ("3310", "3320"):
            spot = f"{building}{rng.choice(('B1', '1F', '2F', '3F'))}层{rng.randint(1, 8)}号扶梯"
        else:
            spot = f"{building}{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元"
        due = syn.day_between(rng, dt.date(YEAR, 12, 1), dt.date(YEAR + 1, 11, 30))
        rows.append(
            (
                f"{key}{serials[key]:06d}",
                kind,
                rng.choice(keepers),
                spot,
                district,
                rng.choice(servicers),
                since,
                due,
                "在用" if rng.random() < 0.96 else "停用",
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
            return round(_clamp(upper_index + share * (lower_index - upper_index), 0, 10), 1)
        upper_speed, upper_index = lower_speed, lower_index
    return 10.0


def expressway_speeds(rng: random.Random) -> list[Row]:
    """路段, 方向, 采集时间, 平均车速(km/h), 拥堵指数, 路况: the morning peak, every 5 minutes."""
    times = _hours(_local(YEAR, 11, 18, 7, 30), 12, step=5)
    rows: list[Row] = []
    for road, section, free_flow, usual in EXPRESSWAY_SECTIONS:
        busier = rng.choice(("上行", "下行"))
        for direction in ("上行", "下行"):
            load = usual * (1.0 if direction == busier else 0.5)
            for moment in times:
                peak = math.exp(-(((moment.hour * 60 + moment.minute) - 480) ** 2) / 900)
                pressure = _clamp(load * (0.6 + 0.6 * peak) + rng.gauss(0, 0.04), 0, 0.95)
                speed = round(_clamp(free_flow * (1 - pressure) + rng.gauss(0, 2.5), 8, 120), 1)
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
            for month in _month_starts(year):
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


# --- water ---------------------------------------------------------------------------------------


def river_levels(rng: random.Random) -> list[Row]:
    """站点名称, 河流, 城市, 观测时间, 水位(m), 警戒水位(m), 保证水位(m), 超警戒: a day of
    plum-rain flood in June, hourly."""
    times = _hours(_local(YEAR, 6, 20, 0), 24)
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


def reservoirs(rng: random.Random) -> list[Row]:
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
            fill = _clamp((level - (normal - depth)) / depth, 0, 1.05) ** 1.5
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
        for month in _month_starts(YEAR):
            winter = 0.06 if month.month in (1, 2, 12) else 0.0
            patients = round(opened * _clamp(usual + winter + rng.gauss(0, 0.03), 0.5, 1.12))
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


# --- agriculture ---------------------------------------------------------------------------------


_FARM_WORDS = {"蔬菜": "果蔬", "水果": "果业", "茶叶": "茶叶", "畜禽产品": "畜牧", "水产品": "水产"}


def farm_checks(rng: random.Random) -> list[Row]:
    """样品编号, 样品名称, 产品类别, 受检单位, 抽样地点, 检测项目, 检测值(mg/kg), 限量值(mg/kg),
    判定结果, 抽检日期: 100 samples, 3 test items each."""
    taken: set[str] = set()
    samples = []
    for _ in range(100):
        group, products, items = rng.choices(FARM_CHECKS, weights=(5, 3, 2, 2, 2))[0]
        city, county, _code = _place(rng)
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
            if rng.random() < 0.025:  # over the limit, or a banned substance found
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


# --- energy, society and government --------------------------------------------------------------

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


def energy_users(rng: random.Random) -> list[Row]:
    """单位名称, 统一社会信用代码, 所属行业, 城市, 区县, 统计年度, 年综合能耗(吨标准煤),
    能耗限额(吨标准煤), 是否超限额: key energy users of last year."""
    taken: set[str] = set()
    rows: list[Row] = []
    for _ in range(120):
        city, county, code = _place(rng)
        word, industry, typical = rng.choice(_ENERGY_INDUSTRIES)
        name = syn.firm_name(rng, _firm_place(city, county), word, taken=taken)
        used = round(_clamp(rng.lognormvariate(math.log(typical), 0.6), 5000, 2_000_000), 1)
        quota = round(used * rng.uniform(0.92, 1.25), -1)
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
        volume = size * rng.uniform(8, 60)
        downloads = size * rng.randint(80, 400)
        calls = size * rng.randint(2000, 20000)
        for quarter, end in quarters:
            datasets += rng.randint(0, max(1, size // 15))
            open_fully = round(datasets * rng.uniform(0.7, 0.85))
            volume *= rng.uniform(1.02, 1.12)
            downloads += rng.randint(size * 20, size * 90)
            calls += rng.randint(size * 500, size * 4000)
            rows.append(
                (
                    department,
                    f"{YEAR}年{quarter}",
                    end,
                    datasets,
                    open_fully,
                    datasets - open_fully,
                    datasets * rng.randint(9, 16),
                    round(volume, 2),
                    round(datasets * rng.uniform(0.2, 0.5)),
                    downloads,
                    calls,
                )
            )
    return rows
