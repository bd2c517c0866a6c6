"""What a citizen does in the browser, shared by the journeys that start with it."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page, expect

PIN = (120.16, 30.27)  # longitude, latitude: Hangzhou, by the West Lake
CHART = "echarts.getInstanceByDom(document.getElementById('complaint-map'))"
MAP_READY = f"() => typeof echarts !== 'undefined' && {CHART} && {CHART}.getOption().geo.length > 0"


@dataclass(frozen=True)
class Receipt:
    number: str
    code: str
    department: str
    longitude: float
    latitude: float


def file_complaint_with_pin(
    page: Page, *, category: str, code: str, description: str, pin: tuple[float, float] = PIN
) -> Receipt:
    """From /complaints: choose ``category`` (its name), click ``pin`` on the map of Zhejiang,
    describe the problem, send it; return what the receipt says."""
    page.goto("/complaints")
    expect(page.get_by_role("heading", level=1)).to_have_text("投诉建议")
    page.get_by_role("link", name=f"我要投诉/建议：{category}").click()
    page.wait_for_url(f"**/complaints/new?category={code}")
    expect(page.get_by_label("投诉类别")).to_have_value(code)
    expect(page.locator("#category-note")).to_contain_text("主管部门：")

    page.wait_for_function(MAP_READY)
    canvas = page.locator("#complaint-map canvas").first  # the chart's pixels start here
    canvas.scroll_into_view_if_needed()
    x, y = page.evaluate(f"([lon, lat]) => {CHART}.convertToPixel('geo', [lon, lat])", list(pin))
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    status = page.locator("#pin-status")
    expect(status).to_contain_text("杭州市")
    expect(status).to_have_attribute("aria-live", "polite")
    longitude = float(page.locator("#longitude").input_value())
    latitude = float(page.locator("#latitude").input_value())
    assert abs(longitude - pin[0]) < 0.02
    assert abs(latitude - pin[1]) < 0.02
    pinned = page.evaluate(f"() => {CHART}.getOption().series.find(s => s.id === 'pin').data")
    assert len(pinned) == 1

    page.get_by_label("投诉或建议内容").fill(description)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("投诉建议已提交")
    receipt = Receipt(
        number=page.locator("#case-number").inner_text(),
        code=page.locator("#query-code").inner_text(),
        department=page.locator("#department").inner_text(),
        longitude=longitude,
        latitude=latitude,
    )
    assert receipt.number.startswith("330100-")
    assert len(receipt.code) == 8
    expect(page.get_by_role("button", name="查看办理进度")).to_be_visible()
    return receipt
