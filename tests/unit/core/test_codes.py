"""Standard codes: check digits from python-stdnum, divisions from the current list."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from yiwang.core import codes
from yiwang.core.codes import USCC, DivisionCode, ResidentId
from yiwang.core.errors import InvalidInput

VALID_USCC = "91330106MA2B0FAK3X"  # check digit computed by GB 32100
VALID_RIC = "11010519491231002X"  # the GB 11643 example


class Applicant(BaseModel):
    uscc: USCC | None = None
    ric: ResidentId | None = None
    division: DivisionCode | None = None


def test_valid_codes_pass() -> None:
    model = Applicant(uscc=VALID_USCC, ric=VALID_RIC, division="330106")
    assert model.uscc == VALID_USCC
    assert model.ric == VALID_RIC
    assert model.division == "330106"


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("uscc", "91330106MA2B0FAK3Y", "codes.uscc_invalid"),
        ("uscc", "123", "codes.uscc_invalid"),
        ("ric", "110105194912310021", "codes.ric_invalid"),
        ("ric", "11010519491331002X", "codes.ric_invalid"),  # month 13
        ("division", "339999", "codes.division_invalid"),
        ("division", "33010", "codes.division_invalid"),
    ],
)
def test_invalid_codes_are_refused_with_their_standard_named(
    field: str, value: str, kind: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Applicant(**{field: value})
    error = caught.value.errors()[0]
    assert error["type"] == kind
    assert value in error["msg"]


def test_division_helpers() -> None:
    assert codes.division_name("330100") == "杭州市"
    assert codes.division_full_name("330106") == "浙江省杭州市西湖区"
    assert codes.division_parent("330106") == "330100"
    assert codes.division_parent("330100") == "330000"
    assert codes.division_parent("330000") is None
    cities = codes.division_children("330000")
    assert len(cities) == 11
    assert "331100" in cities


def test_zhejiang_has_90_county_level_divisions() -> None:
    counties = [
        c for city in codes.division_children("330000") for c in codes.division_children(city)
    ]
    assert len(counties) == 90


def test_service_level_normalisers_raise_translated_errors() -> None:
    with pytest.raises(InvalidInput) as caught:
        codes.normalize_uscc("not-a-code")
    assert "统一社会信用代码" in caught.value.message("zh-CN")
    assert "unified social credit code" in caught.value.message("en")
    assert codes.normalize_ric(VALID_RIC.lower()) == VALID_RIC


def test_a_resident_id_from_a_county_newer_than_its_holder_is_valid() -> None:
    # Lishui's 3311xx codes date from 2000; people born there earlier keep their numbers.
    from stdnum.cn import ric  # noqa: PLC0415

    body = "33110219851212456"
    number = body + ric.calc_check_digit(body + "0")
    assert codes.normalize_ric(number) == number
    assert codes.is_valid_ric(number)
    bad_date = "33110219851332456"
    assert not codes.is_valid_ric(bad_date + ric.calc_check_digit(bad_date + "0"))
    assert not codes.is_valid_ric("99110219851212456" + "0")
