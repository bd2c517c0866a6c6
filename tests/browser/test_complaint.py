"""Filing a complaint with a map pin in a real browser: a citizen picks a demo category, clicks
Hangzhou on the ECharts map of Zhejiang, sees the city named, describes the problem and sends
it; the receipt's number is then a GeoReport v2 request at the pin. The form fits a phone."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser import citizen, live
from tests.browser.citizen import CHART, MAP_READY, PIN

# The province's farthest points, longitude and latitude: Kaihua in the west, the Zhoushan
# islands in the east, Cangnan in the south, Changxing in the north.
WEST, EAST, SOUTH, NORTH = 118.03, 122.95, 27.04, 31.18


def _expect_the_province_fills_the_map(page: Page) -> None:
    """The drawing of Zhejiang spans nearly the whole width and height of the map's box."""
    page.wait_for_function(MAP_READY)
    box = page.locator("#complaint-map").bounding_box()
    assert box is not None
    west, east, south, north = (
        page.evaluate(f"(point) => {CHART}.convertToPixel('geo', point)", point)
        for point in ([WEST, 29.1], [EAST, 29.1], [120.5, SOUTH], [120.5, NORTH])
    )
    assert east[0] - west[0] > 0.9 * box["width"], (west, east, box)
    assert south[1] - north[1] > 0.9 * box["height"], (north, south, box)


def test_file_a_complaint_with_a_map_pin(page: Page, server: live.Server) -> None:
    description = "工地凌晨仍在打桩，影响附近居民休息"
    page.goto("/complaints/new")
    _expect_the_province_fills_the_map(page)
    receipt = citizen.file_complaint_with_pin(
        page, category="噪声扰民", code="TS-NOISE", description=description
    )
    number, department = receipt.number, receipt.department
    longitude, latitude = receipt.longitude, receipt.latitude

    # The service request id is the case number (docs/open311.md).
    answer = httpx.get(f"{server.url}/open311/v2/requests/{number}.json", timeout=30)
    assert answer.status_code == 200, answer.text
    (request,) = answer.json()
    assert request["service_code"] == "TS-NOISE"
    assert request["status"] == "open"
    assert request["agency_responsible"] == department
    assert request["description"] == description
    assert abs(request["long"] - PIN[0]) < 0.02
    assert abs(request["lat"] - PIN[1]) < 0.02
    assert (request["long"], request["lat"]) == (longitude, latitude)

    # The receipt hands the number and the code to the tracking page.
    page.get_by_role("button", name="查看办理进度").click()
    page.wait_for_url("**/track")
    expect(page.locator("main")).to_contain_text(number)
    expect(page.locator("main")).to_contain_text(description)


def test_the_complaint_form_fits_a_phone(browser: Browser, server: live.Server) -> None:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    try:
        phone = context.new_page()
        for path in ("/complaints", "/complaints/new?category=TS-ROAD"):
            phone.goto(path)
            if path.startswith("/complaints/new"):
                _expect_the_province_fills_the_map(phone)
                height = phone.locator("#complaint-map").bounding_box()
                assert height is not None
                assert height["height"] <= 320  # smaller than on a wide screen
                assert height["width"] <= 375
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide at 375 px"
    finally:
        context.close()
