"""Demo rows of the market pack's datasets (``demo_rows`` of its [[catalog.datasets]]): the
business register, administrative licences and penalties (双公示), Jiaxing's food business
licences, Xihu District's food sampling and Hangzhou's lifts. Synthetic but plausible: real
names of places, stations and institutions with made-up figures. Each public function is a pure
function of the seeded ``random.Random`` it is given and returns the dataset's rows as dicts by
field name."""

from __future__ import annotations

import datetime as dt
import random

from yiwang.core import demo_fixtures as syn
from yiwang.core.demo_fixtures import (
    HANGZHOU_DISTRICTS,
    YEAR,
    Row,
    counties,
    draw_place,
    expiry,
    firm_place,
    named,
    short_city,
    words,
)

# Food categories sampled in shops, with their products and the items usually found wrong.
FOOD_CHECKS = (
    ("粮食加工品", "大米 小麦粉 挂面 米粉", "镉(以Cd计) 黄曲霉毒素B1"),
    ("食用油、油脂及其制品", "菜籽油 花生油 调和油", "酸价 过氧化值 苯并[a]芘"),
    ("肉制品", "酱鸭 香肠 卤牛肉 火腿", "菌落总数 亚硝酸盐 苯甲酸及其钠盐"),
    ("乳制品", "纯牛奶 酸奶 奶粉", "蛋白质 菌落总数"),
    ("饮料", "饮用纯净水 果汁饮料 茶饮料", "铜绿假单胞菌 菌落总数"),
    ("酒类", "黄酒 白酒 啤酒", "酒精度 甜蜜素"),
    ("蔬菜制品", "榨菜 酱腌菜 梅干菜", "苯甲酸及其钠盐 二氧化硫残留量"),
    ("糕点", "月饼 蛋糕 桃酥 定胜糕", "过氧化值 菌落总数 霉菌"),
    ("水产制品", "鱼干 虾皮 即食海苔", "N-二甲基亚硝胺 二氧化硫残留量"),
    ("餐饮食品", "复用餐饮具 自制凉菜 米面制品", "大肠菌群 阴离子合成洗涤剂"),
)


# Residential compounds and office buildings of urban Hangzhou, by district, for lifts.
HANGZHOU_BUILDINGS = {
    "上城区": words("采荷新村 景芳三区 华家池小区 南星小区 钱江新城名苑 来福士广场 庆春银泰"),
    "拱墅区": words("朝晖六区 和睦新村 大关西苑 德胜新村 湖墅嘉园 城西银泰城 运河天地"),
    "西湖区": words(
        "翠苑一区 翠苑二区 文鼎苑 嘉绿苑 骆家庄 古荡新村 西溪诚园 "
        "黄龙世纪广场 世贸中心 东部软件园 西溪谷国际商务中心"
    ),
    "滨江区": words("滨江金色海岸 星耀城 江南豪园 东信和创园 江南春城 滨江宝龙城"),
    "萧山区": words("萧山万达广场 金城花园 北干小区 育才花苑 湘湖人家 市心广场"),
}


def registrar(city: str, county: str) -> str:
    """The market regulation bureau that registers firms of a county."""
    if county.endswith("区"):
        return f"{city}{county}市场监督管理局"
    return f"{county}市场监督管理局"


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


_SOLE_TRADES = (("贸易", "批发业"), ("五金", "零售业"), ("服饰", "零售业"), ("茶叶", "批发业"))


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


def _business_register(rng: random.Random) -> list[Row]:
    """企业名称, 统一社会信用代码, 法定代表人, 企业类型, 注册资本(万元), 成立日期, 登记机关, 住所,
    所属行业, 经营状态."""
    taken: set[str] = set()
    rows: list[Row] = []
    for _ in range(300):
        city, county, code = draw_place(rng)
        kind, form, _weight = rng.choices(_FIRM_TYPES, weights=[t[2] for t in _FIRM_TYPES])[0]
        word, industry = rng.choice(_SOLE_TRADES if form == "商行" else _INDUSTRIES)
        founded = syn.day_between(rng, dt.date(1998, 1, 1), dt.date(YEAR, 10, 31))
        provincial = kind.startswith("股份") and rng.random() < 0.5
        place = "浙江" if provincial else firm_place(city, county)
        name = syn.firm_name(rng, place, word, taken=taken, form=form)
        authority = "浙江省市场监督管理局" if provincial else registrar(city, county)
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
                authority,
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


def _admin_licences(rng: random.Random) -> list[Row]:
    """行政相对人名称, 统一社会信用代码, 法定代表人, 许可类别, 许可决定书文号, 许可证书编号,
    许可内容, 许可决定日期, 有效期至, 许可机关: the provincial bureau's licences of the year."""
    taken: set[str] = set()
    decisions: list[tuple[dt.date, str, str, str, str, str, int]] = []
    for _ in range(150):
        city, county, code = draw_place(rng)
        kind, years, contents = rng.choice(_LICENCES)
        name = syn.firm_name(rng, firm_place(city, county), _LICENCE_WORDS[kind], taken=taken)
        decided = syn.day_between(rng, dt.date(YEAR, 1, 2), dt.date(YEAR, 11, 14))
        decisions.append((decided, name, code, kind, rng.choice(contents), city, years))
    decisions.sort()
    rows: list[Row] = []
    for number, (decided, name, code, kind, content, _city, years) in enumerate(decisions, 1):
        valid_to = expiry(decided, years)
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


def _admin_penalties(rng: random.Random) -> list[Row]:
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
            name = syn.firm_name(rng, firm_place("台州市", county), word, taken=taken)
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


def _food_licences(rng: random.Random) -> list[Row]:
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
                expiry(issued, 5),
                registrar("嘉兴市", county),
            )
        )
    return rows


def _food_checks(rng: random.Random) -> list[Row]:
    """抽样编号, 食品名称, 食品类别, 生产日期, 标称生产企业, 被抽样单位, 被抽样单位地址,
    检验结果, 不合格项目, 抽样日期: Xihu District's food sampling."""
    roads = HANGZHOU_DISTRICTS[2][3].split()
    taken: set[str] = set()
    makers = [
        syn.firm_name(rng, short_city(city), "食品", taken=taken)
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
        failed = rng.random() < 0.04
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


def _lifts(rng: random.Random) -> list[Row]:
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
        building = rng.choice(HANGZHOU_BUILDINGS[district])
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


# --- the datasets' rows ----------------------------------------------------------------------


def business_register(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zj-business-register`` (浙江省企业登记信息)."""
    return named(
        _business_register(rng),
        "企业名称",
        "统一社会信用代码",
        "法定代表人",
        "企业类型",
        "注册资本(万元)",
        "成立日期",
        "登记机关",
        "住所",
        "所属行业",
        "经营状态",
    )


def admin_licences(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``zj-administrative-licences`` (行政许可双公示)."""
    return named(
        _admin_licences(rng),
        "行政相对人名称",
        "统一社会信用代码",
        "法定代表人",
        "许可类别",
        "许可决定书文号",
        "许可证书编号",
        "许可内容",
        "许可决定日期",
        "有效期至",
        "许可机关",
    )


def admin_penalties(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``tz-administrative-penalties`` (台州市行政处罚双公示)."""
    return named(
        _admin_penalties(rng),
        "行政相对人名称",
        "统一社会信用代码",
        "法定代表人",
        "处罚决定书文号",
        "违法行为类型",
        "处罚依据",
        "处罚内容",
        "罚没款金额(元)",
        "处罚决定日期",
        "处罚机关",
    )


def food_licences(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``jx-food-business-licences`` (嘉兴市食品经营许可信息)."""
    return named(
        _food_licences(rng),
        "经营者名称",
        "统一社会信用代码",
        "法定代表人（负责人）",
        "经营场所",
        "主体业态",
        "经营项目",
        "许可证编号",
        "发证日期",
        "有效期至",
        "发证机关",
    )


def food_checks(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``xh-food-sampling`` (西湖区食品安全监督抽检信息)."""
    return named(
        _food_checks(rng),
        "抽样编号",
        "食品名称",
        "食品类别",
        "生产日期",
        "标称生产企业",
        "被抽样单位",
        "被抽样单位地址",
        "检验结果",
        "不合格项目",
        "抽样日期",
    )


def lifts(rng: random.Random) -> list[dict[str, object]]:
    """The demo rows of ``hz-lift-registrations`` (杭州市电梯使用登记信息)."""
    return named(
        _lifts(rng),
        "设备注册代码",
        "设备品种",
        "使用单位",
        "安装地点",
        "所在区",
        "维保单位",
        "投入使用日期",
        "下次检验日期",
        "使用状态",
    )
