"""A complaint whose address names another city than its pin (or than the city chosen): the
form comes back asking which is right, and the answer decides where it goes; the receipt says
the case's own state; staff see the case's city, district and a map of the point; the
tracking page gives the point as longitude then latitude."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.cases import make_category
from tests.factories.core import make_department, make_user
from tests.functional.core.test_pages import sign_in
from tests.functional.portal.test_complaints import (
    HTML,
    complaints,
    filed_case,
    form_of,
    post,
    receipt_of,
)
from yiwang.cases.models import ServiceItem
from yiwang.core.identity import Department
from yiwang.core.policy import Role

SHAOXING_PIN = {"longitude": "120.58", "latitude": "30.00"}
HANGZHOU_ADDRESS = "杭州市西湖区文三路"
QUESTION = "地址写的是杭州市，地图上的位置在绍兴市，请确认哪个正确。"


class Bureaus:
    """A category routed to Hangzhou's and Shaoxing's bureaus."""

    def __init__(self, session: Session) -> None:
        province = make_department(
            session, name_zh="浙江省住房和城乡建设厅", division_code="330000", slug="l-zj"
        )
        self.hangzhou: Department = make_department(
            session, name_zh="杭州市城市管理局", division_code="330100", slug="l-hz"
        )
        self.shaoxing: Department = make_department(
            session, name_zh="绍兴市综合行政执法局", division_code="330600", slug="l-sx"
        )
        self.category: ServiceItem = make_category(
            session,
            province,
            name="占道经营",
            routing={"330100": "l-hz", "330600": "l-sx", "default": "l-zj"},
        )
        session.commit()


def _fields(client: TestClient, bureaus: Bureaus, **changes: str) -> dict[str, str]:
    return (
        form_of(client)
        | SHAOXING_PIN
        | {
            "category": bureaus.category.code,
            "description": "人行道上摆摊占道",
            "address": HANGZHOU_ADDRESS,
        }
        | changes
    )


def _choices(page: str) -> dict[str, str]:
    """The location question's choices: value -> label text."""
    found = re.findall(
        r'<input type="radio" id="choice-\w+" name="location_choice" value="([^"]+)"> '
        r"([^<]+)</label>",
        page,
    )
    return {value: html.unescape(label) for value, label in found}


def test_a_pin_in_shaoxing_with_a_hangzhou_address_is_asked_about(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    before = complaints(session)
    response = post(app_client, _fields(app_client, bureaus))
    assert response.status_code == 422
    page = response.text
    assert f'<p class="error" role="alert" id="form-error">{QUESTION}</p>' in page
    assert f"<legend>{QUESTION}</legend>" in page
    assert _choices(page) == {
        "pin:330600": "地图上的位置正确：交绍兴市办理，地址按原样保留",
        "address:330100": "地址正确：交杭州市办理，不保存地图上的定位点",
    }
    assert "可以移动地图上的定位点或改正地址后再提交" in page
    # What was typed comes back, pin included.
    assert f'value="{HANGZHOU_ADDRESS}"' in page
    assert 'name="longitude" value="120.58"' in page
    assert complaints(session) == before


def test_confirming_the_pin_files_it_in_shaoxing(app_client: TestClient, session: Session) -> None:
    bureaus = Bureaus(session)
    response = post(app_client, _fields(app_client, bureaus, location_choice="pin:330600"))
    assert response.status_code == 201, response.text
    case = filed_case(session, receipt_of(response.text)[0])
    assert case.division_code == "330600"
    assert case.department_id == bureaus.shaoxing.id
    assert (case.longitude, case.latitude) == (120.58, 30.0)
    assert case.address == HANGZHOU_ADDRESS
    assert '<dd id="department">绍兴市综合行政执法局</dd>' in response.text


def test_confirming_the_address_files_it_in_hangzhou_without_the_pin(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    response = post(app_client, _fields(app_client, bureaus, location_choice="address:330100"))
    assert response.status_code == 201, response.text
    case = filed_case(session, receipt_of(response.text)[0])
    assert case.division_code == "330100"
    assert case.department_id == bureaus.hangzhou.id
    assert (case.latitude, case.longitude) == (None, None)
    assert '<dd id="case-place">杭州市西湖区 · 杭州市西湖区文三路</dd>' in response.text


def test_an_answer_to_another_question_is_not_taken(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    before = complaints(session)
    # Confirmed a Ningbo pin earlier, then moved the pin to Shaoxing: asked again.
    response = post(app_client, _fields(app_client, bureaus, location_choice="pin:330200"))
    assert response.status_code == 422
    assert QUESTION in response.text
    response = post(app_client, _fields(app_client, bureaus, location_choice="address:330200"))
    assert response.status_code == 422
    assert complaints(session) == before


def test_an_address_that_agrees_or_names_no_city_is_not_asked_about(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    for address in ("绍兴市越城区解放北路", "解放北路 12 号", "杭州湾大道", "绍兴路 8 号"):
        response = post(app_client, _fields(app_client, bureaus, address=address))
        assert response.status_code == 201, (address, response.text)
        assert filed_case(session, receipt_of(response.text)[0]).division_code == "330600"


def test_an_address_naming_another_city_than_the_one_chosen_is_asked_about(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    fields = _fields(app_client, bureaus, longitude="", latitude="", city="330600")
    response = post(app_client, fields)
    assert response.status_code == 422
    assert "地址写的是杭州市，所选城市是绍兴市，请确认哪个正确。" in response.text
    assert _choices(response.text) == {
        "city:330600": "所选城市正确：交绍兴市办理，地址按原样保留",
        "address:330100": "地址正确：交杭州市办理",
    }
    response = post(app_client, fields | {"location_choice": "address:330100"})
    assert response.status_code == 201, response.text
    assert filed_case(session, receipt_of(response.text)[0]).department_id == bureaus.hangzhou.id


def test_the_question_in_english(app_client: TestClient, session: Session) -> None:
    bureaus = Bureaus(session)
    app_client.cookies.set("yiwang_lang", "en")
    response = post(app_client, _fields(app_client, bureaus), lang="en")
    assert response.status_code == 422
    assert "The address says 杭州市 but the pin is in 绍兴市; which is right?" in response.text
    assert "The pin is right: send it to 绍兴市, the address kept as typed" in response.text


def test_the_receipt_says_submitted_not_accepted(app_client: TestClient, session: Session) -> None:
    bureaus = Bureaus(session)
    response = post(app_client, _fields(app_client, bureaus, address="绍兴市越城区"))
    assert response.status_code == 201
    page = response.text
    assert '<dd id="case-state">已提交</dd>' in page
    assert "已受理" not in page
    assert "已提交，等待承办部门受理" in page


def test_staff_see_the_city_district_and_a_map_of_the_point(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    make_user(session, role=Role.EDITOR, department=bureaus.shaoxing, username="loc_clerk")
    session.commit()
    fields = _fields(
        app_client,
        bureaus,
        longitude="120.22476",
        latitude="29.85023",
        address="绍兴市诸暨市次坞镇",
    )
    response = post(app_client, fields)
    assert response.status_code == 201, response.text
    number, _ = receipt_of(response.text)
    track = re.search(r'action="/track"[^>]*>(.*?)</form>', response.text, re.DOTALL)
    assert track is not None
    tracked = app_client.post(
        "/track",
        data=dict(re.findall(r'name="(\w+)" value="([^"]*)"', track.group(1))),
        headers=HTML,
    )
    assert (
        '<dd id="case-location"><span class="place">绍兴市诸暨市</span> · '
        "绍兴市诸暨市次坞镇 · 经度 120.22476，纬度 29.85023</dd>"
    ) in tracked.text  # the city and district the complaint went to, then what was typed

    sign_in(app_client, "loc_clerk")
    page = app_client.get(f"/console/cases/{number}", headers=HTML).text
    place = re.search(r'<td id="case-place">(.*?)</td>', page)
    assert place is not None
    assert re.sub(r"<[^>]+>", "", place.group(1)) == "绍兴市 诸暨市 330681"
    assert '<td id="case-coordinates">经度 120.22476，纬度 29.85023</td>' in page
    assert "(29.85023, 120.22476)" not in page
    figure = re.search(r'<figure class="case-map" id="case-map">(.*?)</figure>', page, re.DOTALL)
    assert figure is not None
    svg = figure.group(1)
    assert (
        '<title id="case-map-title">'
        "绍兴市轮廓图，红点为办件位置（经度 120.22476，纬度 29.85023）</title>" in svg
    )
    assert re.search(r'<path d="M[\d.,LMZ]+"', svg)
    point = re.search(r'<circle class="case-map-point" cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert point is not None
    width, height = map(int, re.findall(r'viewBox="0 0 (\d+) (\d+)"', svg)[0])
    # Zhuji is in the west of Shaoxing.
    assert 0 < float(point.group(1)) < width / 2
    assert 0 < float(point.group(2)) < height
