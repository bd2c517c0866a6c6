"""Personal data: which columns hold it, and how each value is masked for open publication."""

from __future__ import annotations

import doctest
import random
import re

import pytest
from stdnum.cn import ric, uscc

from yiwang.catalog import personal
from yiwang.catalog.personal import LABELS, PersonalKind, detect, mask, masker

RESIDENT_ID = PersonalKind.RESIDENT_ID
MOBILE = PersonalKind.MOBILE
NAME = PersonalKind.NAME
ADDRESS = PersonalKind.ADDRESS


def resident_id(first_17: str) -> str:
    """Complete an ID with its GB 11643 check digit."""
    return first_17 + ric.calc_check_digit(first_17 + "0")


def social_credit_code(first_17: str) -> str:
    """Complete a unified social credit code with its GB 32100 check character."""
    return first_17 + uscc.calc_check_digit(first_17)


# Areas of Hangzhou (3301xx), Ningbo (3302xx) and Wenzhou (3303xx); people of all ages.
RESIDENT_IDS = [
    resident_id(first_17)
    for first_17 in (
        "33010619900101123",
        "33010219880523106",  # check digit X
        "33020319780615031",
        "33020519650228222",
        "33010519570909002",
        "33010620010312377",
        "33021219880530614",
        "33030219921111087",
        "33010519730704158",
        "33020619990817263",
    )
]
MOBILES = [
    "13812345678",
    "13957101234",
    "15067823456",
    "18658112345",
    "139 5813 4567",
    "186-0678-1234",
    "+86 138 0571 2345",
    "8615958134567",
    "13967290123",
    "15088776655",
]
NAMES = [
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "欧阳娜娜",
    "杨帆",
    "赵磊",
    "黄丽华",
    "周杰",
    "吴敏",
    "徐志强",
]
ADDRESSES = [
    "浙江省杭州市西湖区文三路90号东部软件园3号楼",
    "杭州市上城区解放路138号",
    "杭州市余杭区仓前街道文一西路1500号",
    "宁波市鄞州区天童南路588号",
    "宁波市海曙区中山西路138号2幢301室",
    "浙江省宁波市江北区人民路132号",
    "温州市鹿城区五马街12号",
    "温州市瓯海区娄桥街道古岸头村3组",
    "西湖区文三路90号",
    "杭州市拱墅区莫干山路100号",
]

# Columns that look like personal data at a glance and are not.
SOCIAL_CREDIT_CODES = [
    social_credit_code(first_17)
    for first_17 in (
        "11330000002482064",
        "91330106MA2B0FAK3",
        "12330100470116285",
        "91330200144068373",
        "11330000MB1729506",
        "91330108MA27XK2L1",
    )
]
ORDER_NUMBERS = [f"2024052015{n:08d}" for n in range(1, 201, 7)]
LANDLINES = ["0571-88888888", "0574-87654321", "0577-88776655", "(0571)87001234", "057188808880"]
ORGANISATIONS = [
    "浙江省数据局",
    "杭州市公安局",
    "浙江大学",
    "宁波市人民政府",
    "温州市市场监督管理局",
    "浙江省人民医院",
]
SCENIC_SPOTS = [
    "西湖风景名胜区",
    "千岛湖风景名胜区",
    "雁荡山风景名胜区",
    "普陀山风景名胜区",
    "楠溪江风景名胜区",
]
CITIES = ["杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市", "衢州市", "舟山市"]
CITIES_SHORT = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "丽水"]
PRODUCTS = [
    "西湖龙井",
    "安吉白茶",
    "金华火腿",
    "宁波汤圆",
    "嘉兴粽子",
    "绍兴黄酒",
    "龙井茶",
    "温州鱼丸",
    "千岛湖鱼头",
    "舟山带鱼",
]


def test_the_samples_carry_valid_check_digits() -> None:
    assert any(number.endswith("X") for number in RESIDENT_IDS)
    assert all(ric.calc_check_digit(number) == number[-1] for number in RESIDENT_IDS)
    assert all(uscc.is_valid(code) for code in SOCIAL_CREDIT_CODES)
    assert all(len(code) == 18 for code in SOCIAL_CREDIT_CODES + ORDER_NUMBERS)


def test_labels_name_every_kind_in_chinese_and_english() -> None:
    assert set(LABELS) == set(PersonalKind)
    assert LABELS[RESIDENT_ID] == ("居民身份证号码", "resident ID number")
    for chinese, english in LABELS.values():
        assert re.fullmatch("[\u4e00-\u9fff]+", chinese)
        assert english.isascii()
        assert english


# --- Detection: the kinds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "values", "kind"),
    [
        ("身份证号", RESIDENT_IDS, RESIDENT_ID),
        ("公民身份号码", RESIDENT_IDS, RESIDENT_ID),
        ("id_no", RESIDENT_IDS, RESIDENT_ID),
        ("col_3", RESIDENT_IDS, RESIDENT_ID),
        ("联系电话", MOBILES, MOBILE),
        ("mobile", MOBILES, MOBILE),
        ("col_4", MOBILES, MOBILE),
        ("姓名", NAMES, NAME),
        ("申请人", NAMES, NAME),
        ("单位联系人", NAMES, NAME),
        ("企业法定代表人", NAMES, NAME),
        ("contactName", NAMES, NAME),
        ("col_5", NAMES, NAME),
        ("联系人", ["张先生", "李女士", "王小姐", "陈先生"], NAME),
        ("负责人", ["买买提·艾力", "阿依古丽·吐尔逊", "张伟", "王芳"], NAME),
        ("name", ["Zhang Wei", "Li Na", "Wang Fang", "Chen Jing"], NAME),
        ("家庭住址", ADDRESSES, ADDRESS),
        ("住所", ADDRESSES, ADDRESS),
        ("街道地址", ADDRESSES, ADDRESS),
        ("col_6", ADDRESSES, ADDRESS),
    ],
)
def test_columns_of_personal_data_are_detected(
    header: str, values: list[str], kind: PersonalKind
) -> None:
    assert detect(header, values) is kind


def test_old_and_new_style_ids_are_resident_ids() -> None:
    born_before_their_county_code = [n for n in RESIDENT_IDS if not ric.is_valid(n)]
    assert born_before_their_county_code  # stdnum alone would refuse these
    assert detect("证件号码", born_before_their_county_code) is RESIDENT_ID
    assert detect("证件号码", [n.lower() for n in RESIDENT_IDS]) is RESIDENT_ID
    assert detect("证件号码", [f"{n[:6]} {n[6:14]} {n[14:]}" for n in RESIDENT_IDS]) is RESIDENT_ID


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("身份证号", [n[:-1] + ("0" if n[-1] != "0" else "1") for n in RESIDENT_IDS]),
        ("统一社会信用代码", SOCIAL_CREDIT_CODES),
        ("证件号码", SOCIAL_CREDIT_CODES),
        ("订单号", ORDER_NUMBERS),
        ("身份证号", ORDER_NUMBERS),
        ("联系电话", LANDLINES),
        ("手机", [n[:-1] for n in MOBILES]),  # 10 digits
        ("手机", ["12812345678", "11012345678", "10086123456"]),  # no such network
        ("单位名称", ORGANISATIONS),
        ("col", ORGANISATIONS),
        ("景区名称", SCENIC_SPOTS),
        ("col", SCENIC_SPOTS),
        ("城市", CITIES),
        ("col", CITIES),
        ("城市", CITIES_SHORT),
        ("col", CITIES_SHORT),
        ("地址", CITIES),
        ("产品名称", PRODUCTS),
        ("特产", PRODUCTS),
        ("name_en", ["Zhejiang Data Bureau", "West Lake", "Zhejiang University"]),
        ("名称", NAMES),  # a header naming an organisation's name rules persons out
        ("企业住所", ADDRESSES),  # an organisation's address is not personal
        ("单位地址", ADDRESSES),
        ("金额", [1200, 3400, 560]),
        ("手机", [13812345678, 13957101234]),  # numbers are not strings
        ("身份证号", []),
        ("身份证号", [None, "", "   "]),
    ],
)
def test_columns_that_only_resemble_personal_data_are_not_detected(
    header: str, values: list[object]
) -> None:
    assert detect(header, values) is None


@pytest.mark.parametrize(
    "first_17",
    [
        "99010619900101123",  # no province 99
        "20240520153012000",  # an order number: no province 20
        "33010618000101123",  # born 1800
        "33010619901301123",  # month 13
        "33010619900230123",  # 30 February
    ],
)
def test_numbers_with_a_check_digit_but_no_possible_holder_are_not_resident_ids(
    first_17: str,
) -> None:
    assert detect("身份证号", [resident_id(first_17)] * 3) is None


def test_random_18_digit_numbers_are_not_resident_ids() -> None:
    rng = random.Random(11643)  # noqa: S311  (reproducible data, not a secret)
    numbers = [f"{rng.randrange(10**17, 10**18)}" for _ in range(1000)]
    assert detect("身份证号", numbers) is None
    assert sum(personal._is_resident_id(n) for n in numbers) < 10


def test_long_texts_that_mention_an_address_are_not_addresses() -> None:
    notes = [
        f"{address}。" + "申请人于工作日到窗口办理，材料齐全的当场受理，需补正的一次性告知。" * 7
        for address in ADDRESSES
    ]
    assert all(len(note) > 200 for note in notes)
    assert detect("备注", notes) is None


# --- Detection: thresholds ---------------------------------------------------------------

FILLER = "不详"


def column(values: list[str], matching: int, total: int) -> list[object]:
    return [*values[:matching], *[FILLER] * (total - matching), None, "", " "]


@pytest.mark.parametrize(
    ("kind", "values", "hinted", "unhinted"),
    [
        (RESIDENT_ID, RESIDENT_IDS, "身份证号", "编号"),
        (MOBILE, MOBILES, "手机号码", "编号"),
        (ADDRESS, ADDRESSES, "地址", "编号"),
    ],
)
def test_a_hint_in_the_header_lowers_the_share_needed_from_80_to_60_per_cent(
    kind: PersonalKind, values: list[str], hinted: str, unhinted: str
) -> None:
    assert detect(hinted, column(values, 6, 10)) is kind
    assert detect(hinted, column(values, 5, 10)) is None
    assert detect(unhinted, column(values, 8, 10)) is kind
    assert detect(unhinted, column(values, 7, 10)) is None


def test_names_need_70_per_cent_under_a_person_header_and_90_of_10_without() -> None:
    assert detect("姓名", column(NAMES, 7, 10)) is NAME
    assert detect("姓名", column(NAMES, 6, 10)) is None
    assert detect("编号", column(NAMES, 9, 10)) is NAME
    assert detect("编号", column(NAMES, 8, 10)) is None
    assert detect("编号", NAMES[:9]) is None  # too few to go by the values alone
    assert detect("姓名", NAMES[:1]) is NAME


def test_values_that_are_not_strings_count_against_a_kind() -> None:
    assert detect("编号", [*MOBILES[:8], 1, 2]) is MOBILE
    assert detect("编号", [*MOBILES[:7], 1, 2, 3]) is None


def test_counties_are_not_names_with_or_without_their_suffix() -> None:
    # Each starts with a common surname: 江, 龙, 温, 余, 宁, 常, 武, 文, 乐, 景, 安.
    counties = ["江山", "龙泉", "温岭", "余姚", "宁海", "常山", "武义", "文成", "乐清", "景宁"]
    counties += ["龙游", "安吉"]
    assert detect("编号", counties) is None
    assert detect("姓名", counties) is None


def test_a_place_header_rules_out_names_the_values_alone_cannot() -> None:
    towns = ["周浦", "汤溪", "唐栖", "钱清", "俞源", "孙端", "马鞍", "杨汛桥", "黄湾", "袁浦"]
    assert detect("编号", towns) is NAME  # two characters after a surname, as names are
    assert detect("所属乡镇", towns) is None
    assert detect("城市", towns) is None


def test_latin_and_dotted_names_count_only_under_a_person_header() -> None:
    latin = ["Zhang Wei", "Li Na", "Wang Fang", "Chen Jing", "Liu Yang", "Yang Fan"] * 2
    dotted = ["买买提·艾力", "阿依古丽·吐尔逊", "热依拉·买买提"] * 4
    assert detect("姓名", latin) is NAME
    assert detect("姓名", dotted) is NAME
    assert detect("编号", latin) is None
    assert detect("编号", dotted) is None


def test_places_named_after_a_family_are_not_names() -> None:
    # Each starts with a surname and ends like a place; only 朱家角 passes as a name.
    places = [
        "王村",
        "张家村",
        "李家镇",
        "陈家巷",
        "周庄镇",
        "方岩镇",
        "石门乡",
        "金华站",
        "宁波站",
        "孙家弄",
        "马塍路",
        "吴山广场",
        "朱家角",
    ]
    assert detect("编号", places) is None
    assert detect("编号", [*places, *NAMES]) is None


def test_place_and_product_names_under_a_neutral_header_fall_short_of_names() -> None:
    # Many start with a surname (金华, 宁波, 温州, 安吉白茶), not 90 % of them.
    values = CITIES_SHORT + PRODUCTS
    assert 0 < sum(personal._is_han_name(v) for v in values) < 0.9 * len(values)
    assert detect("编号", values) is None


# --- Masking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        (RESIDENT_ID, "330106199001011234", "330106********1234"),
        (RESIDENT_ID, "33010619900101123X", "330106********123X"),
        (RESIDENT_ID, "330106900101123", "330106*****1123"),  # 15 digits, 1985 series
        (RESIDENT_ID, " 330106 19900101 1234 ", "330106********1234"),
        (RESIDENT_ID, "E12345678", "*********"),  # a passport: too short to keep 10
        (MOBILE, "13812345678", "138****5678"),
        (MOBILE, "138 1234 5678", "138****5678"),
        (MOBILE, "138-1234-5678", "138****5678"),
        (MOBILE, "+86 138 1234 5678", "+86 138****5678"),
        (MOBILE, "+8613812345678", "+86138****5678"),
        (MOBILE, "86-138-1234-5678", "86-138****5678"),
        (MOBILE, "0571-88888888", "****-****8888"),
        (MOBILE, "8888888", "*******"),
        (MOBILE, "zhangsan@example.com", "****"),
        (NAME, "张三", "张*"),
        (NAME, "王小明", "王**"),
        (NAME, "欧阳娜娜", "欧阳**"),
        (NAME, "诸葛亮", "诸葛*"),
        (NAME, "欧阳", "欧*"),  # a compound surname is kept only in a longer name
        (NAME, "张", "张"),
        (NAME, " 陈静 ", "陈*"),
        (NAME, "买买提·艾力", "买**·**"),
        (NAME, "Li Wei", "L* W**"),
        (NAME, "Jean-Luc Picard", "J***-L** P*****"),
        (ADDRESS, "浙江省杭州市西湖区文三路90号东部软件园3号楼", "浙江省杭州市西湖区****"),
        (ADDRESS, "西湖区文三路90号", "西湖区****"),
        (ADDRESS, "宁波市鄞州区天童南路588号", "宁波市鄞州区****"),
        (ADDRESS, "温州市鹿城区五马街12号", "温州市鹿城区****"),
        (ADDRESS, "浙江省 宁波市 江北区 人民路132号", "浙江省宁波市江北区****"),
        (ADDRESS, "浙江省乐清市柳市镇长虹路5号", "浙江省乐清市****"),  # 柳市 is a town
        (ADDRESS, "杭州市西湖区翠苑小区3幢2单元301室", "杭州市西湖区****"),
        (ADDRESS, "上海市浦东新区陆家嘴环路1000号", "上海市浦东新区****"),
        (ADDRESS, "杭州市", "杭州市****"),
        (ADDRESS, "文三路90号", "文三路****"),
        (ADDRESS, "东部软件园3号楼", "东部软件园****"),
        (ADDRESS, "莫干山路一百号", "莫干山路****"),
        (ADDRESS, "三号楼201室", "****"),
        (ADDRESS, "翠苑新村二区综合楼后面", "翠苑新村二区****"),
    ],
)
def test_values_are_masked_to_the_published_shapes(
    kind: PersonalKind, value: str, masked: str
) -> None:
    assert mask(kind, value) == masked
    assert masker(kind)(value) == masked


@pytest.mark.parametrize("kind", list(PersonalKind))
def test_none_and_blank_values_stay_as_they_are(kind: PersonalKind) -> None:
    assert mask(kind, None) is None
    assert masker(kind)(None) is None
    assert mask(kind, "") == ""
    assert mask(kind, "  ") == "  "


def test_values_that_are_not_strings_are_masked_as_text() -> None:
    assert mask(MOBILE, 13812345678) == "138****5678"
    assert mask(RESIDENT_ID, 330106199001011234) == "330106********1234"


def test_no_masked_address_shows_a_number_and_every_masked_id_keeps_its_length() -> None:
    for address in ADDRESSES:
        masked = mask(ADDRESS, address)
        assert masked is not None
        assert masked.endswith("****")
        assert not re.search(r"\d", masked)
    for number in RESIDENT_IDS:
        masked = mask(RESIDENT_ID, number)
        assert masked == number[:6] + "********" + number[-4:]


def test_masking_a_detected_column_hides_every_identifying_part() -> None:
    columns = {"身份证号": RESIDENT_IDS, "手机": MOBILES, "姓名": NAMES, "地址": ADDRESSES}
    for header, values in columns.items():
        kind = detect(header, values)
        assert kind is not None
        mask_value = masker(kind)
        for value in values:
            masked = mask_value(value)
            assert masked is not None
            assert masked != value
            assert "*" in masked


def test_the_examples_in_the_docstrings_hold() -> None:
    results = doctest.testmod(personal)
    assert results.attempted >= 4
    assert results.failed == 0
