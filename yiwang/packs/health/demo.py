"""Demo rows of the health pack's datasets (``demo_rows`` of its [[catalog.datasets]]): medical
institutions and Jinhua's hospital beds. Synthetic but plausible: real names of places, stations
and institutions with made-up figures. Each public function is a pure function of the seeded
``random.Random`` it is given and returns the dataset's rows as dicts by field name."""

from __future__ import annotations

import random

from yiwang.core import demo_fixtures as syn
from yiwang.core.demo_fixtures import (
    YEAR,
    Row,
    cities,
    clamp,
    counties,
    month_starts,
    named,
)

# Tertiary hospitals: name, category, grade, city, county, address.
HOSPITALS = (
    (
        "浙江大学医学院附属第一医院",
        "综合医院",
        "三级甲等",
        "杭州市",
        "上城区",
        "杭州市上城区庆春路79号",
    ),
    (
        "浙江大学医学院附属第二医院",
        "综合医院",
        "三级甲等",
        "杭州市",
        "上城区",
        "杭州市上城区解放路88号",
    ),
    (
        "浙江大学医学院附属邵逸夫医院",
        "综合医院",
        "三级甲等",
        "杭州市",
        "上城区",
        "杭州市上城区庆春东路3号",
    ),
    ("浙江省人民医院", "综合医院", "三级甲等", "杭州市", "拱墅区", "杭州市拱墅区上塘路158号"),
    ("浙江省中医院", "中医医院", "三级甲等", "杭州市", "上城区", "杭州市上城区邮电路54号"),
    ("杭州市第一人民医院", "综合医院", "三级甲等", "杭州市", "上城区", "杭州市上城区浣纱路261号"),
    ("宁波市第一医院", "综合医院", "三级甲等", "宁波市", "海曙区", "宁波市海曙区柳汀街59号"),
    (
        "宁波市医疗中心李惠利医院",
        "综合医院",
        "三级甲等",
        "宁波市",
        "鄞州区",
        "宁波市鄞州区兴宁路57号",
    ),
    (
        "温州医科大学附属第一医院",
        "综合医院",
        "三级甲等",
        "温州市",
        "瓯海区",
        "温州市瓯海区南白象街道",
    ),
    (
        "温州医科大学附属第二医院",
        "综合医院",
        "三级甲等",
        "温州市",
        "鹿城区",
        "温州市鹿城区学院西路109号",
    ),
    ("嘉兴市第一医院", "综合医院", "三级甲等", "嘉兴市", "南湖区", "嘉兴市南湖区中环南路1882号"),
    ("湖州市中心医院", "综合医院", "三级甲等", "湖州市", "吴兴区", "湖州市吴兴区红旗路1558号"),
    ("绍兴市人民医院", "综合医院", "三级甲等", "绍兴市", "越城区", "绍兴市越城区中兴北路568号"),
    ("金华市中心医院", "综合医院", "三级甲等", "金华市", "婺城区", "金华市婺城区明月街351号"),
    ("衢州市人民医院", "综合医院", "三级甲等", "衢州市", "柯城区", "衢州市柯城区钟楼底2号"),
    ("舟山医院", "综合医院", "三级甲等", "舟山市", "定海区", "舟山市定海区定沈路739号"),
    ("台州医院", "综合医院", "三级甲等", "台州市", "临海市", "台州市临海市西门街150号"),
    ("丽水市中心医院", "综合医院", "三级甲等", "丽水市", "莲都区", "丽水市莲都区括苍路289号"),
    ("浙江省肿瘤医院", "专科医院", "三级甲等", "杭州市", "拱墅区", "杭州市拱墅区半山东路1号"),
    (
        "浙江大学医学院附属妇产科医院",
        "专科医院",
        "三级甲等",
        "杭州市",
        "上城区",
        "杭州市上城区学士路1号",
    ),
)


# Hospitals of Jinhua: name, county, grade, approved beds.
JINHUA_HOSPITALS = (
    ("金华市中心医院", "婺城区", "三级甲等", 2600),
    ("金华市人民医院", "婺城区", "三级乙等", 1200),
    ("金华市中医医院", "婺城区", "三级甲等", 1100),
    ("金华市第二医院", "金东区", "三级乙等", 900),
    ("金华市妇幼保健院", "婺城区", "三级甲等", 600),
    ("金华广福医院", "婺城区", "三级乙等", 800),
    ("浙江大学医学院附属第四医院", "义乌市", "三级甲等", 1500),
    ("义乌市中心医院", "义乌市", "三级乙等", 1300),
    ("义乌市中医医院", "义乌市", "三级乙等", 700),
    ("东阳市人民医院", "东阳市", "三级甲等", 1600),
    ("东阳市中医院", "东阳市", "二级甲等", 600),
    ("永康市第一人民医院", "永康市", "三级乙等", 1200),
    ("永康市中医院", "永康市", "二级甲等", 500),
    ("兰溪市人民医院", "兰溪市", "三级乙等", 900),
    ("兰溪市中医院", "兰溪市", "二级甲等", 450),
    ("武义县第一人民医院", "武义县", "二级甲等", 650),
    ("浦江县人民医院", "浦江县", "二级甲等", 700),
    ("磐安县人民医院", "磐安县", "二级甲等", 400),
    ("金华市金东区人民医院", "金东区", "二级乙等", 300),
    ("金华市婺城区第一人民医院", "婺城区", "二级乙等", 350),
)


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


def _medical_institutions(rng: random.Random) -> list[Row]:
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


def _hospital_beds(rng: random.Random) -> list[Row]:
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


# --- the datasets' rows ----------------------------------------------------------------------


def medical_institutions(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zj-medical-institutions`` (浙江省医疗机构名录)."""
    return named(
        _medical_institutions(rng), "机构名称", "类别", "等级", "城市", "区县", "地址", "联系电话"
    )


def hospital_beds(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``jh-hospital-beds`` (金华市医院床位使用情况)."""
    return named(
        _hospital_beds(rng),
        "医院名称",
        "区县",
        "等级",
        "统计月份",
        "核定床位",
        "实际开放床位",
        "月末在院人数",
        "床位使用率(%)",
    )
