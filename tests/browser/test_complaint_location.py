"""A pin and an address that disagree, in a real browser: a citizen pins a damaged road in
Shaoxing but types an address in Hangzhou; the form comes back asking which is right, and
the answer sends the complaint to that city's department. A member of staff then sees a
complaint's city, district and the point on a map of the city."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser import live
from tests.browser.citizen import CHART, MAP_READY

SHAOXING = (120.58, 30.00)  # longitude, latitude: Shaoxing, east of the city seat
QUESTION = "地址写的是杭州市，地图上的位置在绍兴市，请确认哪个正确。"


def _pin(page: Page, point: tuple[float, float]) -> None:
    page.wait_for_function(MAP_READY)
    canvas = page.locator("#complaint-map canvas").first
    canvas.scroll_into_view_if_needed()
    x, y = page.evaluate(f"([lon, lat]) => {CHART}.convertToPixel('geo', [lon, lat])", list(point))
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)


def _asked(page: Page) -> None:
    """Pin Shaoxing, type a Hangzhou address, send: the form asks which is right."""
    page.goto("/complaints/new?category=TS-ROAD")
    _pin(page, SHAOXING)
    expect(page.locator("#pin-status")).to_contain_text("绍兴市")
    page.get_by_label("投诉或建议内容").fill("路面塌陷形成大坑")
    page.get_by_label("详细地址").fill("杭州市西湖区文三路")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("alert")).to_have_text(QUESTION)
    question = page.get_by_role("group", name=QUESTION)
    expect(question).to_be_visible()
    expect(question.get_by_role("radio")).to_have_count(2)
    # What was typed and pinned is still there.
    expect(page.get_by_label("详细地址")).to_have_value("杭州市西湖区文三路")
    expect(page.locator("#pin-status")).to_contain_text("绍兴市")


def test_a_pin_in_shaoxing_and_a_hangzhou_address_are_asked_about(page: Page) -> None:
    _asked(page)
    page.get_by_label("地图上的位置正确：交绍兴市办理，地址按原样保留").check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("投诉建议已提交")
    expect(page.locator("#department")).to_have_text("绍兴市交通运输局")
    expect(page.locator("#case-number")).to_contain_text("330600-")
    expect(page.locator("#case-state")).to_have_text("已提交")
    expect(page.locator("#case-place")).to_contain_text("经度 120.58")

    _asked(page)
    page.get_by_label("地址正确：交杭州市办理，不保存地图上的定位点").check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("投诉建议已提交")
    expect(page.locator("#department")).to_have_text("浙江省交通运输厅")
    expect(page.locator("#case-number")).to_contain_text("330100-")
    expect(page.locator("#case-place")).to_have_text("杭州市西湖区 · 杭州市西湖区文三路")


def test_staff_see_the_complaint_s_city_and_map(
    page: Page, server: live.Server, demo_url: str
) -> None:
    answer = httpx.post(
        f"{server.url}/api/v1/cases/complaints",
        json={
            "category_code": "TS-ROAD",
            "division_code": "330600",
            "latitude": 29.85023,
            "longitude": 120.22476,
            "address": "绍兴市诸暨市次坞镇",
            "description": "窨井盖缺失存在安全隐患",
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    number = answer.json()["number"]
    live.create_user(demo_url, "location_clerk", "editor", "绍兴市交通运输局")

    live.sign_in(page, "location_clerk")
    page.goto(f"/console/cases/{number}")
    expect(page.locator("#case-place")).to_contain_text("绍兴市 诸暨市")
    expect(page.locator("#case-coordinates")).to_have_text("经度 120.22476，纬度 29.85023")
    map_image = page.get_by_role(
        "img", name="绍兴市轮廓图，红点为办件位置（经度 120.22476，纬度 29.85023）"
    )
    expect(map_image).to_be_visible()
    drawn = map_image.bounding_box()
    point = page.locator(".case-map-point").bounding_box()
    assert drawn is not None
    assert point is not None
    centre = (point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    assert drawn["x"] < centre[0] < drawn["x"] + drawn["width"] / 2  # in the west of the city
    assert drawn["y"] < centre[1] < drawn["y"] + drawn["height"]
