"""Demo rows of the tourism pack's datasets (``demo_rows`` of its [[catalog.datasets]]): A-grade
scenic spots and Huzhou's rural tourism spots. Synthetic but plausible: real names of places,
stations and institutions with made-up figures. Each public function is a pure function of the
seeded ``random.Random`` it is given and returns the dataset's rows as dicts by field name."""

from __future__ import annotations

import random

from yiwang.core import demo_fixtures as syn
from yiwang.core.demo_fixtures import (
    TRADE_NAMES,
    Row,
    named,
)

# A-level scenic spots: name, grade, city, county, address, opening hours ("" = usual hours).
SCENIC_SPOTS = (
    ("西湖风景名胜区", "5A", "杭州市", "西湖区", "杭州市西湖区龙井路1号", "全天开放"),
    ("千岛湖风景区", "5A", "杭州市", "淳安县", "杭州市淳安县千岛湖镇新安东路", ""),
    ("西溪国家湿地公园", "5A", "杭州市", "西湖区", "杭州市西湖区天目山路518号", ""),
    ("宋城景区", "4A", "杭州市", "西湖区", "杭州市西湖区之江路148号", "10:00-21:00"),
    ("良渚古城遗址公园", "4A", "杭州市", "余杭区", "杭州市余杭区瓶窑镇凤都路", "周一闭园"),
    ("湘湖旅游度假区", "4A", "杭州市", "萧山区", "杭州市萧山区湘湖路", "全天开放"),
    ("瑶琳仙境", "4A", "杭州市", "桐庐县", "杭州市桐庐县瑶琳镇", ""),
    ("天目山景区", "4A", "杭州市", "临安区", "杭州市临安区天目山镇", ""),
    ("溪口—滕头旅游景区", "5A", "宁波市", "奉化区", "宁波市奉化区溪口镇武岭路", ""),
    ("天一阁·月湖景区", "5A", "宁波市", "海曙区", "宁波市海曙区天一街10号", ""),
    ("东钱湖旅游度假区", "4A", "宁波市", "鄞州区", "宁波市鄞州区东钱湖镇", "全天开放"),
    ("象山影视城", "4A", "宁波市", "象山县", "宁波市象山县新桥镇", ""),
    ("老外滩", "3A", "宁波市", "江北区", "宁波市江北区中马路", "全天开放"),
    ("雁荡山风景名胜区", "5A", "温州市", "乐清市", "温州市乐清市雁荡镇", ""),
    ("刘伯温故里景区", "5A", "温州市", "文成县", "温州市文成县南田镇", ""),
    ("楠溪江风景名胜区", "4A", "温州市", "永嘉县", "温州市永嘉县岩头镇", ""),
    ("江心屿景区", "4A", "温州市", "鹿城区", "温州市鹿城区江心屿", ""),
    ("五马历史文化街区", "3A", "温州市", "鹿城区", "温州市鹿城区五马街", "全天开放"),
    ("乌镇古镇旅游区", "5A", "嘉兴市", "桐乡市", "嘉兴市桐乡市乌镇镇石佛南路18号", ""),
    ("南湖旅游区", "5A", "嘉兴市", "南湖区", "嘉兴市南湖区南湖路", ""),
    ("西塘古镇旅游区", "5A", "嘉兴市", "嘉善县", "嘉兴市嘉善县西塘镇南苑路", ""),
    ("南北湖风景区", "4A", "嘉兴市", "海盐县", "嘉兴市海盐县澉浦镇", ""),
    ("月河历史街区", "3A", "嘉兴市", "南湖区", "嘉兴市南湖区坛弄", "全天开放"),
    ("南浔古镇景区", "5A", "湖州市", "南浔区", "湖州市南浔区南浔镇", ""),
    ("莫干山风景名胜区", "4A", "湖州市", "德清县", "湖州市德清县莫干山镇", ""),
    ("中国大竹海景区", "4A", "湖州市", "安吉县", "湖州市安吉县天荒坪镇", ""),
    ("下渚湖湿地风景区", "4A", "湖州市", "德清县", "湖州市德清县三合乡", ""),
    ("鲁迅故里·沈园景区", "5A", "绍兴市", "越城区", "绍兴市越城区鲁迅中路", ""),
    ("柯岩风景区", "4A", "绍兴市", "柯桥区", "绍兴市柯桥区柯岩街道", ""),
    ("东湖景区", "4A", "绍兴市", "越城区", "绍兴市越城区东湖街道", ""),
    ("兰亭景区", "4A", "绍兴市", "柯桥区", "绍兴市柯桥区兰亭街道", ""),
    ("西施故里旅游区", "4A", "绍兴市", "诸暨市", "绍兴市诸暨市浣纱南路", ""),
    ("横店影视城景区", "5A", "金华市", "东阳市", "金华市东阳市横店镇", ""),
    ("双龙风景旅游区", "4A", "金华市", "婺城区", "金华市婺城区双龙街", ""),
    ("诸葛八卦村", "4A", "金华市", "兰溪市", "金华市兰溪市诸葛镇", ""),
    ("江郎山·廿八都景区", "5A", "衢州市", "江山市", "衢州市江山市石门镇", ""),
    ("根宫佛国文化旅游区", "5A", "衢州市", "开化县", "衢州市开化县华埠镇", ""),
    ("龙游石窟景区", "4A", "衢州市", "龙游县", "衢州市龙游县小南海镇", ""),
    ("孔氏南宗家庙", "4A", "衢州市", "柯城区", "衢州市柯城区新桥街", "周一闭馆"),
    ("水亭门历史文化街区", "3A", "衢州市", "柯城区", "衢州市柯城区水亭街", "全天开放"),
    ("普陀山风景名胜区", "5A", "舟山市", "普陀区", "舟山市普陀区普陀山镇", ""),
    ("桃花岛风景旅游区", "4A", "舟山市", "普陀区", "舟山市普陀区桃花镇", ""),
    ("嵊泗列岛风景名胜区", "4A", "舟山市", "嵊泗县", "舟山市嵊泗县菜园镇", ""),
    ("天台山景区", "5A", "台州市", "天台县", "台州市天台县赤城街道国清路", ""),
    ("神仙居景区", "5A", "台州市", "仙居县", "台州市仙居县白塔镇", ""),
    ("台州府城文化旅游区", "4A", "台州市", "临海市", "台州市临海市古城街道", "全天开放"),
    ("长屿硐天", "4A", "台州市", "温岭市", "台州市温岭市新河镇", ""),
    ("仙都风景名胜区", "5A", "丽水市", "缙云县", "丽水市缙云县仙都街道", ""),
    ("古堰画乡", "4A", "丽水市", "莲都区", "丽水市莲都区大港头镇", "全天开放"),
    ("云和梯田景区", "4A", "丽水市", "云和县", "丽水市云和县崇头镇", ""),
)


# Towns of Huzhou with real villages known for rural tourism: county, town, villages.
HUZHOU_TOWNS = (
    ("吴兴区", "妙西镇", "妙山村 肇村 杨湾村"),
    ("吴兴区", "埭溪镇", "上强村 茅坞村"),
    ("吴兴区", "东林镇", "泉益村 青山村"),
    ("南浔区", "和孚镇", "荻港村 民当村 新荻村"),
    ("南浔区", "善琏镇", "含山村 双桥村"),
    ("南浔区", "双林镇", "向阳村 三田漾村"),
    ("德清县", "莫干山镇", "仙潭村 劳岭村 后坞村 燎原村 五四村"),
    ("德清县", "新市镇", "蔡界村 新联村"),
    ("德清县", "洛舍镇", "东衡村 张陆湾村"),
    ("长兴县", "水口乡", "顾渚村 金山村 徽州庄村"),
    ("长兴县", "小浦镇", "八都岕村 潘礼村"),
    ("长兴县", "煤山镇", "仰峰村 访贤村"),
    ("安吉县", "天荒坪镇", "余村 大溪村 港口村"),
    ("安吉县", "山川乡", "高家堂村 马家弄村 大里村"),
    ("安吉县", "报福镇", "深溪村 石岭村"),
    ("安吉县", "孝丰镇", "横溪坞村 潘村"),
    ("安吉县", "鄣吴镇", "鄣吴村 景坞村"),
)


HUZHOU_CENTRES = {
    "吴兴区": (120.10, 30.87),
    "南浔区": (120.42, 30.85),
    "德清县": (119.90, 30.56),
    "长兴县": (119.85, 31.02),
    "安吉县": (119.62, 30.62),
}


_USUAL_HOURS = ("08:00-17:00", "08:00-17:30", "07:30-17:30", "08:30-17:00")


_CAPACITY = {"5A": (30000, 120000), "4A": (8000, 40000), "3A": (3000, 15000)}


def _scenic_spots(rng: random.Random) -> list[Row]:
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


def _rural_tourism(rng: random.Random) -> list[Row]:
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


# --- the datasets' rows ----------------------------------------------------------------------


def scenic_spots(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zj-a-grade-attractions`` (浙江省A级旅游景区名录)."""
    return named(
        _scenic_spots(rng), "景区名称", "等级", "城市", "区县", "地址", "最大承载量(人)", "开放时间"
    )


def rural_tourism(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``hu-rural-tourism-spots`` (湖州市乡村旅游点)."""
    return named(
        _rural_tourism(rng),
        "名称",
        "类型",
        "等级",
        "区县",
        "乡镇",
        "床位数",
        "餐位数",
        "联系电话",
        "经度",
        "纬度",
    )
