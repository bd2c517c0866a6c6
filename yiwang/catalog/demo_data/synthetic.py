"""Synthetic people, firms and codes for the demo tables: names, resident ID numbers (GB 11643)
and unified social credit codes (GB 32100) with valid check digits, mobile and office numbers.
Every function draws from the ``random.Random`` it is given, so a seed reproduces the data."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from functools import cache

from stdnum.cn import ric, uscc

from yiwang.catalog.demo_data.reference import (
    COMMON_ROADS,
    FEMALE_GIVEN,
    MALE_GIVEN,
    SURNAMES,
    TRADE_NAMES,
    VILLAGE_HEADS,
    VILLAGE_TAILS,
)

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


def day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))
