"""Demo rows of the environment pack's datasets (``demo_rows`` of its [[catalog.datasets]]): air
quality (AQI per HJ 633-2012), surface water (classes per GB 3838-2002), Lishui's ecological
compensation and negative air ions, and Wenzhou's environmental impact approvals. Synthetic but
plausible: real names of places, stations and institutions with made-up figures. Each public
function is a pure function of the seeded ``random.Random`` it is given and returns the
dataset's rows as dicts by field name."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random

from yiwang.core import demo_fixtures as syn
from yiwang.core.demo_fixtures import (
    COMMON_ROADS,
    YEAR,
    Row,
    clamp,
    counties,
    firm_place,
    local_time,
    moments,
    month_starts,
    named,
)

# National air-quality monitoring stations of Hangzhou: name, district, offset of the station's
# PM2.5 from the city's (µg/m³), offset of its NO2 (traffic).
AIR_STATIONS = (
    ("西溪", "西湖区", -3.0, -4.0),
    ("千岛湖", "淳安县", -12.0, -18.0),
    ("卧龙桥", "西湖区", 0.0, 6.0),
    ("浙江农大", "拱墅区", 2.0, 4.0),
    ("朝晖五区", "拱墅区", 3.0, 10.0),
    ("和睦小学", "拱墅区", 4.0, 5.0),
    ("临平镇", "临平区", 5.0, 2.0),
    ("城厢镇", "萧山区", 6.0, 8.0),
    ("云栖", "西湖区", -6.0, -10.0),
    ("滨江", "滨江区", 2.0, 7.0),
)


# Provincial surface-water monitoring sections: name, river, city, usual class (1-5).
WATER_SECTIONS = (
    ("街口", "新安江", "杭州市", 1),
    ("闻家堰", "钱塘江", "杭州市", 2),
    ("窄溪大桥", "富春江", "杭州市", 2),
    ("瓶窑", "东苕溪", "杭州市", 2),
    ("三江口", "甬江", "宁波市", 3),
    ("姚江大闸", "姚江", "宁波市", 3),
    ("梅岙", "瓯江", "温州市", 2),
    ("赵山渡", "飞云江", "温州市", 1),
    ("王江泾", "京杭运河", "嘉兴市", 3),
    ("乌镇北", "京杭运河", "嘉兴市", 3),
    ("新市", "东苕溪", "湖州市", 2),
    ("荆湾", "西苕溪", "湖州市", 2),
    ("上浦闸", "曹娥江", "绍兴市", 2),
    ("湄池", "浦阳江", "绍兴市", 3),
    ("将军岩", "兰江", "金华市", 2),
    ("佛堂", "义乌江", "金华市", 3),
    ("双港口", "衢江", "衢州市", 2),
    ("樟树潭", "衢江", "衢州市", 2),
    ("西门", "灵江", "台州市", 3),
    ("开潭", "瓯江", "丽水市", 1),
)


# Towns of Lishui where forest owners receive compensation: county code, county, towns.
LISHUI_TOWNS = (
    ("331102", "莲都区", "碧湖镇 大港头镇 老竹畲族镇 雅溪镇 太平乡"),
    ("331121", "青田县", "温溪镇 船寮镇 方山乡 阜山乡 仁庄镇"),
    ("331122", "缙云县", "壶镇镇 新建镇 舒洪镇 大洋镇 胡源乡"),
    ("331123", "遂昌县", "湖山乡 王村口镇 大柘镇 北界镇 焦滩乡"),
    ("331124", "松阳县", "古市镇 大东坝镇 四都乡 玉岩镇 安民乡"),
    ("331125", "云和县", "崇头镇 石塘镇 紧水滩镇 雾溪畲族乡"),
    ("331126", "庆元县", "百山祖镇 竹口镇 黄田镇 荷地镇 左溪镇"),
    ("331127", "景宁畲族自治县", "大均乡 东坑镇 英川镇 沙湾镇 渤海镇"),
    ("331181", "龙泉市", "宝溪乡 小梅镇 住龙镇 安仁镇 八都镇"),
)


# Negative air ion monitoring stations of Lishui: name, county, usual daily mean (ions/cm³).
LISHUI_ION_STATIONS = (
    ("白云山", "莲都区", 2600),
    ("丽水市环境监测站", "莲都区", 1100),
    ("古堰画乡", "莲都区", 3200),
    ("凤阳山", "龙泉市", 7800),
    ("百山祖", "庆元县", 8200),
    ("九龙山", "遂昌县", 6000),
    ("大木山茶园", "松阳县", 3500),
    ("云和梯田", "云和县", 4200),
    ("草鱼塘森林公园", "景宁畲族自治县", 6500),
    ("仙都", "缙云县", 3000),
    ("石门洞", "青田县", 3800),
)


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


def _air_quality(rng: random.Random) -> list[Row]:
    """站点, 区县, 监测时间, AQI, 等级, 首要污染物, PM2.5, PM2.5(24小时滑动平均), PM10,
    PM10(24小时滑动平均), O3, NO2, SO2, CO: 48 hours of a November pollution episode."""
    first = local_time(YEAR, 11, 17, 0)
    warm_up = 23  # hours before the first reported one, for the 24-hour averages
    times = moments(first - dt.timedelta(hours=warm_up), 48 + warm_up)
    rows: list[Row] = []
    for station, district, pm_offset, no2_offset in AIR_STATIONS:
        pm25: list[float] = []
        pm10: list[float] = []
        drift = 0.0
        for index, moment in enumerate(times):
            hour = moment.hour
            # The regional level climbs over the three days; nights and mornings are worse.
            regional = 28 + 0.75 * index + 10 * math.cos((hour - 4) / 24 * 2 * math.pi)
            drift = clamp(drift + rng.gauss(0, 3), -12, 12)
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


def _surface_water(rng: random.Random) -> list[Row]:
    """断面名称, 河流, 城市, 月份, 水质类别, 溶解氧, 高锰酸盐指数, 氨氮, 总磷, 水质目标,
    是否达标."""
    rows: list[Row] = []
    for section, river, city, usual in WATER_SECTIONS:
        target = "II类" if usual <= 2 else "III类"
        ranges = _TYPICAL[usual]
        for month in month_starts(YEAR):
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


def _eco_compensation(rng: random.Random) -> list[Row]:
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


def _negative_ions(rng: random.Random) -> list[Row]:
    """监测站点, 区县, 日期, 日均浓度(个/cm³), 日最高(个/cm³), 日最低(个/cm³), 相对湿度(%):
    October, daily; rain and mountain forest raise the count."""
    days = [dt.date(YEAR, 10, 1) + dt.timedelta(days=i) for i in range(30)]
    wet = {day for day in days if rng.random() < 0.3}  # the same weather across the city
    rows: list[Row] = []
    for station, county, usual in LISHUI_ION_STATIONS:
        for day in days:
            rain = day in wet
            mean = usual * rng.lognormvariate(0, 0.15) * (1.35 if rain else 1.0)
            humidity = clamp(rng.gauss(88 if rain else 72, 5), 40, 100)
            rows.append(
                (
                    station,
                    county,
                    day,
                    round(mean),
                    round(mean * rng.uniform(1.4, 2.2)),
                    round(mean * rng.uniform(0.35, 0.7)),
                    round(humidity, 1),
                )
            )
    return rows


def _environmental_approvals(rng: random.Random) -> list[Row]:
    """项目名称, 建设单位, 统一社会信用代码, 建设地点, 环评文件类型, 行业类别, 总投资(万元),
    环保投资(万元), 审批文号, 审批日期, 审批机关."""
    taken: set[str] = set()
    approvals: list[tuple[dt.date, str, str, Row]] = []
    for _ in range(120):
        code, county = rng.choice(counties("温州市"))
        place = firm_place("温州市", county)
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


# --- the datasets' rows ----------------------------------------------------------------------


def air_quality(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``hz-air-quality-hourly`` (杭州市空气质量小时数据)."""
    return named(
        _air_quality(rng),
        "站点",
        "区县",
        "监测时间",
        "AQI",
        "等级",
        "首要污染物",
        "PM2.5",
        "PM2.5(24小时滑动平均)",
        "PM10",
        "PM10(24小时滑动平均)",
        "O3",
        "NO2",
        "SO2",
        "CO",
    )


def surface_water(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zj-surface-water-monthly`` (浙江省地表水水质月报)."""
    return named(
        _surface_water(rng),
        "断面名称",
        "河流",
        "城市",
        "月份",
        "水质类别",
        "溶解氧",
        "高锰酸盐指数",
        "氨氮",
        "总磷",
        "水质目标",
        "是否达标",
    )


def eco_compensation(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``ls-eco-compensation-payments`` (丽水市生态补偿资金发放名单)."""
    return named(
        _eco_compensation(rng),
        "姓名",
        "身份证号码",
        "手机号码",
        "住址",
        "区县",
        "乡镇",
        "补偿类型",
        "补偿面积(亩)",
        "补偿标准(元/亩)",
        "发放金额(元)",
        "发放日期",
    )


def negative_ions(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``ls-negative-air-ions`` (丽水市空气负氧离子监测数据)."""
    return named(
        _negative_ions(rng),
        "监测站点",
        "区县",
        "日期",
        "日均浓度(个/cm³)",
        "日最高(个/cm³)",
        "日最低(个/cm³)",
        "相对湿度(%)",
    )


def environmental_approvals(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``wz-eia-approvals`` (温州市建设项目环境影响评价审批)."""
    return named(
        _environmental_approvals(rng),
        "项目名称",
        "建设单位",
        "统一社会信用代码",
        "建设地点",
        "环评文件类型",
        "行业类别",
        "总投资(万元)",
        "环保投资(万元)",
        "审批文号",
        "审批日期",
        "审批机关",
    )
