"""Filing a complaint with a map pin in a real browser: a citizen picks a demo category, clicks
Hangzhou on the ECharts map of Zhejiang, sees the city named, describes the problem and sends
it; the receipt's number is then a GeoReport v2 request at the pin. The form fits a phone."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser import live

PIN = (120.16, 30.27)  # longitude, latitude: Hangzhou, by the West Lake
CHART = "echarts.getInstanceByDom(document.getElementById('complaint-map'))"
MAP_READY = f"() => typeof echarts !== 'undefined' && {CHART} && {CHART}.getOption().geo.length > 0"


def test_file_a_complaint_with_a_map_pin(page: Page, server: live.Server) -> None:
    page.goto("/complaints")
    expect(page.get_by_role("heading", level=1)).to_have_text("投诉建议")
    page.get_by_role("link", name="我要投诉/建议：噪声扰民").click()
    page.wait_for_url("**/complaints/new?category=TS-NOISE")
    expect(page.get_by_label("投诉类别")).to_have_value("TS-NOISE")
    expect(page.locator("#category-note")).to_contain_text("主管部门：")

    page.wait_for_function(MAP_READY)
    canvas = page.locator("#complaint-map canvas").first  # the chart's pixels start here
    canvas.scroll_into_view_if_needed()
    x, y = page.evaluate(f"([lon, lat]) => {CHART}.convertToPixel('geo', [lon, lat])", list(PIN))
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    status = page.locator("#pin-status")
    expect(status).to_contain_text("杭州市")
    expect(status).to_have_attribute("aria-live", "polite")
    longitude = float(page.locator("#longitude").input_value())
    latitude = float(page.locator("#latitude").input_value())
    assert abs(longitude - PIN[0]) < 0.02
    assert abs(latitude - PIN[1]) < 0.02
    pinned = page.evaluate(f"() => {CHART}.getOption().series.find(s => s.id === 'pin').data")
    assert len(pinned) == 1

    page.get_by_label("投诉或建议内容").fill("工地凌晨仍在打桩，影响附近居民休息")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("投诉建议已提交")
    number = page.locator("#case-number").inner_text()
    code = page.locator("#query-code").inner_text()
    assert number.startswith("330100-")
    assert len(code) == 8
    expect(page.get_by_role("button", name="查看办理进度")).to_be_visible()
    department = page.locator("#department").inner_text()

    # The service request id is the case number (docs/open311.md).
    answer = httpx.get(f"{server.url}/open311/v2/requests/{number}.json", timeout=30)
    assert answer.status_code == 200, answer.text
    (request,) = answer.json()
    assert request["service_code"] == "TS-NOISE"
    assert request["status"] == "open"
    assert request["agency_responsible"] == department
    assert request["description"] == "工地凌晨仍在打桩，影响附近居民休息"
    assert abs(request["long"] - PIN[0]) < 0.02
    assert abs(request["lat"] - PIN[1]) < 0.02
    assert (request["long"], request["lat"]) == (longitude, latitude)

    # The receipt hands the number and the code to the tracking page.
    page.get_by_role("button", name="查看办理进度").click()
    page.wait_for_url("**/track")
    expect(page.locator("main")).to_contain_text(number)
    expect(page.locator("main")).to_contain_text("工地凌晨仍在打桩，影响附近居民休息")


def test_the_complaint_form_fits_a_phone(browser: Browser, server: live.Server) -> None:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    try:
        phone = context.new_page()
        for path in ("/complaints", "/complaints/new?category=TS-ROAD"):
            phone.goto(path)
            if path.startswith("/complaints/new"):
                phone.wait_for_function(MAP_READY)
                height = phone.locator("#complaint-map").bounding_box()
                assert height is not None
                assert height["height"] <= 320  # smaller than on a wide screen
                assert height["width"] <= 375
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide at 375 px"
    finally:
        context.close()
