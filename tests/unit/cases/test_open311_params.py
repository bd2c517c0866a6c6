"""Reading GeoReport v2 parameters: attribute answers, w3 dates, the 90-day window, statuses
and where a request's location is."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.cases.open311 import params
from yiwang.cases.open311.jurisdictions import Jurisdictions, Open311Settings
from yiwang.cases.open311.port import Attribute, AttributeValue, Category

pytestmark = pytest.mark.dates


NOW = dt.datetime(2025, 10, 1, 12, 0, tzinfo=dt.UTC)
JURISDICTIONS = Jurisdictions.from_settings(Open311Settings())
PROVINCE = JURISDICTIONS.province
HANGZHOU = JURISDICTIONS.find("hangzhou.gov.cn")

ROAD = Category(
    code="ZJ-TS-ROAD",
    name="道路破损",
    attributes=(
        Attribute(
            code="damage",
            datatype="singlevaluelist",
            description="破损类型",
            order=1,
            required=True,
            values=(AttributeValue("pothole", "坑洞"), AttributeValue("crack", "裂缝")),
        ),
        Attribute(
            code="lanes",
            datatype="multivaluelist",
            description="影响车道",
            order=2,
            values=(AttributeValue("1", "一车道"), AttributeValue("2", "二车道")),
        ),
        Attribute(code="width_m", datatype="number", description="宽度（米）", order=3),
        Attribute(code="seen_at", datatype="datetime", description="发现时间", order=4),
        Attribute(code="plate", datatype="string", description="附近门牌", order=5),
        Attribute(
            code="notice", datatype="text", description="请勿拨打110", order=6, variable=False
        ),
    ),
)


def check(answers: dict[str, list[str]]) -> tuple[dict[str, object], list[str]]:
    problems = params.Problems()
    checked = params.check_attributes(ROAD, answers, problems)
    return checked, [code for code, _ in problems.items]


def test_attribute_answers_take_both_spec_forms() -> None:
    form = [
        ("attribute[WHISPAWN]", "123456"),
        ("attribute[WHISDORN]", "COISL001"),
        ("attribute[code1][]", "value1"),
        ("attribute[code1][]", "value2"),
        ("attributes[nope]", "x"),
        ("service_code", "001"),
    ]
    assert params.attribute_answers(form) == {
        "WHISPAWN": ["123456"],
        "WHISDORN": ["COISL001"],
        "code1": ["value1", "value2"],
    }


def test_valid_answers_are_kept_in_their_types() -> None:
    checked, problems = check(
        {
            "damage": ["pothole"],
            "lanes": ["1", "2", "1"],
            "width_m": ["1.5"],
            "seen_at": ["2025-09-30T08:00:00+08:00"],
            "plate": ["文三路 100 号"],
        }
    )
    assert problems == []
    assert checked == {
        "damage": "pothole",
        "lanes": ("1", "2"),
        "width_m": "1.5",
        "seen_at": "2025-09-30T08:00:00+08:00",
        "plate": "文三路 100 号",
    }


def test_every_wrong_answer_is_reported() -> None:
    _, problems = check(
        {
            "lanes": ["3"],
            "width_m": ["wide"],
            "seen_at": ["yesterday"],
            "plate": ["line\nbreak"],
            "colour": ["red"],
        }
    )
    assert sorted(problems) == sorted(
        [
            "open311.attribute_unknown",  # colour
            "open311.attribute_required",  # damage
            "open311.attribute_not_in_list",  # lanes
            "open311.attribute_number",
            "open311.attribute_datetime",
            "open311.attribute_line_break",
        ]
    )


def test_a_single_value_list_takes_one_known_value() -> None:
    assert check({"damage": ["pothole", "crack"]})[1] == ["open311.attribute_single"]
    assert check({"damage": ["sinkhole"]})[1] == ["open311.attribute_not_in_list"]
    assert check({"damage": ["  "]})[1] == ["open311.attribute_required"]


def test_information_only_attributes_are_not_answers() -> None:
    checked, problems = check({"damage": ["crack"], "notice": ["ignored"]})
    assert problems == []
    assert checked == {"damage": "crack"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-01-01T00:00:00Z", dt.datetime(2010, 1, 1, tzinfo=dt.UTC)),
        (
            "1994-11-05T08:15:30-05:00",
            dt.datetime(1994, 11, 5, 13, 15, 30, tzinfo=dt.UTC),
        ),
        ("2025-10-01", dt.datetime(2025, 9, 30, 16, 0, tzinfo=dt.UTC)),  # midnight in China
    ],
)
def test_w3_datetimes(text: str, expected: dt.datetime) -> None:
    problems = params.Problems()
    assert params.parse_w3(text, "start_date", problems) == expected
    assert not problems


@pytest.mark.parametrize("text", ["2010-01-01T00:00:00", "yesterday", "2010-13-01T00:00:00Z"])
def test_datetimes_without_offset_or_sense_are_refused(text: str) -> None:
    problems = params.Problems()
    assert params.parse_w3(text, "end_date", problems) is None
    assert problems.items == [("open311.bad_datetime", {"field": "end_date", "value": text})]


def window(start: str | None, end: str | None) -> tuple[params.Window | None, list[str]]:
    problems = params.Problems()
    found = params.request_window(start, end, now=NOW, problems=problems)
    return found, [code for code, _ in problems.items]


def test_the_default_window_is_the_last_90_days() -> None:
    found, _ = window(None, None)
    assert found == params.Window(NOW - dt.timedelta(days=90), NOW)


def test_one_end_opens_90_days_from_it() -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert window("2025-01-01T00:00:00Z", None)[0] == params.Window(
        start, start + dt.timedelta(days=90)
    )
    assert window(None, "2025-01-01T00:00:00Z")[0] == params.Window(
        start - dt.timedelta(days=90), start
    )


def test_a_window_may_not_span_more_than_90_days_or_run_backwards() -> None:
    assert window("2025-01-01T00:00:00Z", "2025-04-02T00:00:00Z")[1] == ["open311.date_span"]
    assert window("2025-02-01T00:00:00Z", "2025-01-01T00:00:00Z")[1] == ["open311.date_order"]
    assert window("2025-01-01T00:00:00Z", "2025-03-31T00:00:00Z")[1] == []


def test_statuses_and_lists() -> None:
    problems = params.Problems()
    assert params.parse_statuses(["open"], problems) == ["open"]
    assert params.parse_statuses(["open,closed"], problems) == []  # both: no filter
    assert params.parse_statuses(["Closed", "closed"], problems) == ["closed"]
    assert not problems
    params.parse_statuses(["pending"], problems)
    assert problems.items == [("open311.bad_status", {"value": "pending"})]
    assert params.split_list(["001,002", " 003 ,", "001"]) == ["001", "002", "003"]


def submit(form: dict[str, str], jurisdiction: object = PROVINCE) -> tuple[object, list[str]]:
    problems = params.Problems()
    found = params.submission(
        form,
        {"damage": ["pothole"]},
        category=ROAD,
        jurisdiction=jurisdiction,  # type: ignore[arg-type]
        problems=problems,
    )
    return found, [code for code, _ in problems.items]


def test_a_point_is_filed_in_the_city_that_contains_it() -> None:
    found, problems = submit({"lat": "29.87", "long": "121.55", "description": "路面塌陷"})
    assert problems == []
    assert found is not None
    assert found.division_code == "330200"  # type: ignore[attr-defined]
    assert (found.lat, found.lon) == (29.87, 121.55)  # type: ignore[attr-defined]


def test_a_point_outside_the_province_or_the_city_is_refused() -> None:
    assert submit({"lat": "31.23", "long": "121.47"})[1] == ["open311.outside_jurisdiction"]
    ningbo = {"lat": "29.87", "long": "121.55"}
    assert submit(ningbo, HANGZHOU)[1] == ["open311.outside_jurisdiction"]
    found, problems = submit({"lat": "30.25", "long": "120.14"}, HANGZHOU)
    assert problems == []
    assert found.division_code == "330100"  # type: ignore[attr-defined]


def test_an_address_alone_is_filed_in_the_jurisdiction() -> None:
    found, _ = submit({"address_string": "杭州市西湖区文三路100号"}, HANGZHOU)
    assert found.division_code == "330100"  # type: ignore[attr-defined]
    found, _ = submit({"address_id": "A-1"})
    assert found.division_code == "330000"  # type: ignore[attr-defined]


def test_location_problems() -> None:
    assert submit({})[1] == ["open311.location_missing"]
    assert submit({"lat": "30.25"})[1] == ["open311.lat_long_pair"]
    assert submit({"lat": "95", "long": "east"})[1] == [
        "open311.bad_coordinate",
        "open311.bad_coordinate",
    ]
    assert submit({"lat": "30.25", "long": "120.14", "description": "x" * 4001})[1] == [
        "open311.too_long"
    ]


def test_jurisdictions_from_configuration() -> None:
    settings = Open311Settings(jurisdictions="Example.gov.cn=330000, hz.example=330100")  # type: ignore[arg-type]
    found = Jurisdictions.from_settings(settings)
    assert found.find(None) == found.province
    assert found.province.id == "example.gov.cn"
    assert found.find("HZ.example").division_code == "330100"  # type: ignore[union-attr]
    assert found.find("hangzhou.gov.cn") is None
    with pytest.raises(ValueError, match="neither the province"):
        Open311Settings(jurisdictions="x.example=310000")  # type: ignore[arg-type]
