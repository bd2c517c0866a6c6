"""Take the README's screenshots of the portal and the staff console into docs/screenshots/:
a fresh SQLite database with the demo, a live ``yiwang serve``, and Debian's Chromium (the
browser tests' helpers). Rerun after changing a page:

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    FloatRect,
    Page,
    sync_playwright,
)
from stdnum.cn import ric  # noqa: E402

from tests.browser import citizen, live  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DATASET = "浙江省环境空气质量自动监测小时数据"
ITEM = "330700-WJ-001"  # 出生医学证明首次签发, the item the hall's browser test applies for
NOISE = "TS-NOISE"
ROAD = "TS-ROAD"
SHAOXING = (120.58, 30.00)  # longitude, latitude: a pin in Shaoxing, east of the city seat
ZHUJI = (120.22476, 29.85023)  # a town in Zhuji, a county-level city of Shaoxing
ROAD_DEPARTMENT = "绍兴市交通运输局"  # where a road complaint in Shaoxing goes
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # the smallest file taken as a PDF
DESK = {"width": 1280, "height": 860}
CHART_DRAWN = (  # a function: the page's Content-Security-Policy forbids evaluating strings
    "() => window.yiwangDatasetCharts && window.yiwangDatasetCharts.length > 0 && "
    "window.yiwangDatasetCharts[0].getOption().series.length > 0"
)


def _settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def _desk(browser: Browser, base_url: str) -> BrowserContext:
    return browser.new_context(base_url=base_url, locale="zh-CN", viewport=DESK)  # type: ignore[arg-type]


def _box(page: Page, selector: str) -> FloatRect:
    box = page.locator(selector).first.bounding_box()
    if box is None:
        raise RuntimeError(f"{selector} is not on {page.url}")
    return box


def _region(page: Page, path: Path, top: str | None, bottom: str, margin: int = 16) -> None:
    """Save the stretch of the whole page from the top of ``top`` (the page's top when None)
    to the bottom of ``bottom`` (CSS selectors), across the page's width."""
    scrolled = page.evaluate("window.scrollY")
    y = 0.0 if top is None else max(0.0, _box(page, top)["y"] + scrolled - margin)
    last = _box(page, bottom)
    height = last["y"] + scrolled + last["height"] + margin - y
    page.screenshot(
        path=path, full_page=True, clip={"x": 0, "y": y, "width": DESK["width"], "height": height}
    )


def _shot(page: Page, path: str, name: str, *, full_page: bool = False) -> Path:
    """Open ``path``, let it settle and save the window (or the whole page) as ``name``."""
    page.goto(path)
    _settle(page)
    shot = OUT / name
    page.screenshot(path=shot, full_page=full_page)
    return shot


def _dataset(page: Page) -> Path:
    """The air-quality dataset's preview and chart."""
    page.goto("/search?q=空气质量")
    page.get_by_role("link", name=DATASET).click()
    page.wait_for_function(CHART_DRAWN)
    # Every hour has a row for each station and pollutant: chart one pollutant in one city,
    # a line for each station.
    page.locator(".chart-filters summary").first.click()
    page.locator(".chart-filters summary").first.blur()  # no focus ring in the shot
    for column, value in (("城市", "杭州市"), ("指标", "PM2.5浓度")):
        page.locator(f'select[data-filter="{column}"]').first.select_option(value)
        page.locator("#chart-rows-1").filter(has_text="符合筛选条件").wait_for()
        _settle(page)
    page.locator('select[data-axis="group"]').first.select_option("监测点")
    page.mouse.move(0, 0)  # no tooltip over the chart
    page.wait_for_timeout(1200)  # the chart's entry animation
    shot = OUT / "dataset.png"
    _region(page, shot, ".distribution", ".dataset-chart")
    return shot


def _pin(page: Page, point: tuple[float, float]) -> None:
    """Click ``point`` (longitude, latitude) on the complaint form's map."""
    page.wait_for_function(citizen.MAP_READY)
    page.locator("#complaint-map canvas").first.scroll_into_view_if_needed()
    x, y = page.evaluate(
        f"([lon, lat]) => {citizen.CHART}.convertToPixel('geo', [lon, lat])", list(point)
    )
    canvas = _box(page, "#complaint-map canvas")
    page.mouse.click(canvas["x"] + x, canvas["y"] + y)


def _complaint(page: Page) -> Path:
    """The complaint form with a noise complaint described and a pin on Hangzhou."""
    page.goto(f"/complaints/new?category={NOISE}")
    page.wait_for_function(citizen.MAP_READY)
    page.get_by_label("投诉或建议内容").fill("夜间 22 点后工地仍在打桩施工，噪声很大，影响休息。")
    _pin(page, citizen.PIN)
    page.locator("#pin-status").filter(has_text="杭州市").wait_for()
    page.mouse.move(0, 0)  # no tooltip over the map
    page.wait_for_timeout(600)  # the pin's animation
    shot = OUT / "complaint.png"
    _region(page, shot, None, ".complaint-location")
    return shot


def _complaint_conflict(page: Page) -> Path:
    """A damaged road pinned in Shaoxing with an address typed in Hangzhou: the form comes
    back asking which is right."""
    page.goto(f"/complaints/new?category={ROAD}")
    page.wait_for_function(citizen.MAP_READY)
    _pin(page, SHAOXING)
    page.locator("#pin-status").filter(has_text="绍兴市").wait_for()
    page.get_by_label("投诉或建议内容").fill("路面塌陷形成大坑，夜间车辆经过很危险。")
    page.get_by_label("详细地址").fill("杭州市西湖区文三路")
    page.get_by_role("button", name="提交").click()
    page.get_by_role("alert").filter(has_text="请确认哪个正确").wait_for()
    page.wait_for_function(citizen.MAP_READY)
    page.mouse.move(0, 0)
    _settle(page)
    page.wait_for_timeout(600)  # the pin's animation
    shot = OUT / "complaint-conflict.png"
    _region(page, shot, None, ".complaint-location")
    return shot


def _road_complaint(page: Page) -> str:
    """File a missing manhole cover in Zhuji (Shaoxing) through the JSON API, as a hotline
    system forwarding a call would; return the case's number."""
    answer = page.request.post(
        "/api/v1/cases/complaints",
        data={
            "category_code": ROAD,
            "division_code": "330600",
            "longitude": ZHUJI[0],
            "latitude": ZHUJI[1],
            "address": "绍兴市诸暨市次坞镇人民路与环镇路交叉口",
            "description": "窨井盖缺失，已有电动车差点掉进去，存在安全隐患。",
        },
    )
    if answer.status != 201:
        raise RuntimeError(f"filing a complaint answered {answer.status}: {answer.text()}")
    number: str = answer.json()["number"]
    return number


def _fill_application(page: Page) -> None:
    """Fill the birth certificate's application as a mother would, with both materials."""
    body = "33010619900307123"
    page.get_by_label(re.compile("^姓名")).fill("王小红")
    page.get_by_label("身份证号").fill(body + ric.calc_check_digit(body + "0"))
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_label("新生儿姓名").fill("王一一")
    page.get_by_label("出生日期").fill("2026-11-20")
    for field in page.locator("input[type=file][required]").all():
        field.set_input_files({"name": "材料.pdf", "mimeType": "application/pdf", "buffer": PDF})


def _apply(page: Page) -> Path:
    """The application form down to the applicant's part (a date field further down would
    show Debian Chromium's English placeholder, which has no Chinese locale installed)."""
    page.goto(f"/services/{ITEM}/apply")
    _settle(page)
    shot = OUT / "apply.png"
    _region(page, shot, None, "fieldset:has(#applicant-email)")
    return shot


def _apply_by_courier(page: Page) -> list[Path]:
    """The application with 快递送达 chosen and the address filled in, then its receipt."""
    page.goto(f"/services/{ITEM}/apply")
    _fill_application(page)
    page.get_by_label("送达方式").select_option("courier")
    page.locator("#delivery-address").wait_for()
    page.get_by_label("收件人 （必填）").fill("王小红")
    page.get_by_label("收件人电话").fill("13912345678")
    page.get_by_label("城市").select_option(label="杭州市")
    district = page.get_by_label("区（县）")
    district.locator("option", has_text="西湖区").wait_for(state="attached")
    district.select_option(label="西湖区")
    page.get_by_label("详细地址").fill("文三路90号东部软件园3号楼201室")
    page.locator("#delivery-street").blur()
    _settle(page)
    courier = OUT / "apply-courier.png"
    _region(page, courier, "fieldset:has(#delivery-method)", "#apply-form button[type=submit]")

    page.get_by_role("button", name="提交申请").click()
    page.get_by_role("heading", level=1, name="申请已提交").wait_for()
    _settle(page)
    receipt = OUT / "receipt.png"
    page.screenshot(path=receipt, full_page=True)
    return [courier, receipt]


def _portal(browser: Browser, base_url: str) -> tuple[list[Path], str]:
    """What the public sees, not signed in; and the number of a road complaint filed."""
    context = _desk(browser, base_url)
    page = context.new_page()
    shots = [_shot(page, "/", "home.png", full_page=True), _dataset(page)]

    page.goto("/monitor")
    page.wait_for_function("() => window.yiwangMap !== undefined")
    page.wait_for_timeout(1500)  # the map's entry animation
    shots.append(OUT / "monitor.png")
    page.screenshot(path=shots[-1], full_page=True)

    shots += [
        _shot(page, "/services?by=life_event", "services.png"),
        _shot(page, f"/services/{ITEM}", "item.png"),
        _apply(page),
        *_apply_by_courier(page),
        _complaint(page),
    ]
    shots.append(_complaint_conflict(page))
    complaint = _road_complaint(page)
    page.goto("/no/such/page")
    _settle(page)
    shots.append(OUT / "not-found.png")
    page.screenshot(path=shots[-1])
    shots.append(_shot(page, "/?text=large", "home-large.png"))
    page.goto("/?text=standard")  # the mode is remembered: leave it as it was
    context.close()
    return shots, complaint


def _open_cases(page: Page, query: str) -> list[dict[str, Any]]:
    answer = page.request.get(f"/api/v1/cases?status=open&limit=1000{query}")
    if not answer.ok:
        raise RuntimeError(f"/api/v1/cases answered {answer.status}: {answer.text()}")
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _busiest_department(page: Page) -> tuple[int, list[str]]:
    """The department with the most open cases under a yellow or red card (the most open
    cases, when none has a card), and those cases, red first."""
    cases = _open_cases(page, "&card=red") + _open_cases(page, "&card=yellow")
    cases = cases or _open_cases(page, "")
    counts = Counter(int(c["department_id"]) for c in cases)
    department = max(counts, key=lambda d: counts[d])
    return department, [c["number"] for c in cases if c["department_id"] == department]


def _console(browser: Browser, base_url: str, database_url: str, complaint: str) -> list[Path]:
    """The staff console: the audit log after a check of its hash chain; the workbench, the
    open cases and one of them, as a clerk of the department with the most carded ones; and
    the road ``complaint`` filed from the portal's side, with its place on a map, as a clerk
    of the department it went to."""
    admin = live.create_user(database_url, "shot_admin", "sysadmin")
    context = _desk(browser, base_url)
    page = context.new_page()
    live.sign_in(page, admin)
    department, numbers = _busiest_department(page)
    page.goto("/console/audit")
    page.get_by_role("button", name="校验哈希链").click()
    page.locator(".audit-verdict").wait_for()
    _settle(page)
    shots = [OUT / "console-audit.png"]
    page.screenshot(path=shots[-1])
    context.close()

    clerk = live.create_user(database_url, "shot_clerk", "editor", str(department))
    context = _desk(browser, base_url)
    page = context.new_page()
    live.sign_in(page, clerk)
    _settle(page)
    shots.append(OUT / "console-workbench.png")
    page.screenshot(path=shots[-1])
    shots.append(_shot(page, "/console/cases?status=open", "console-cases.png"))
    for number in numbers:  # the first the clerk can act on
        page.goto(f"/console/cases/{number}")
        if page.locator(".case-actions form.action").count():
            break
    _settle(page)
    shots.append(OUT / "console-case.png")
    page.screenshot(path=shots[-1])
    context.close()

    clerk = live.create_user(database_url, "shot_road_clerk", "editor", ROAD_DEPARTMENT)
    context = _desk(browser, base_url)
    page = context.new_page()
    live.sign_in(page, clerk)
    page.goto(f"/console/cases/{complaint}")
    page.locator(".case-map-point").wait_for()
    _settle(page)
    shots.append(OUT / "console-case-location.png")
    _region(page, shots[-1], None, "#case-map")
    context.close()
    return shots


def _phone(browser: Browser, base_url: str) -> list[Path]:
    context = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    page.goto("/")
    _settle(page)
    shot = OUT / "home-375.png"
    page.screenshot(path=shot)
    context.close()
    return [shot]


def shoot(base_url: str, database_url: str) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**live.launch_options())  # type: ignore[arg-type]
        try:
            portal, complaint = _portal(browser, base_url)
            return (
                portal
                + _phone(browser, base_url)
                + _console(browser, base_url, database_url, complaint)
            )
        finally:
            browser.close()


def main() -> int:
    missing = live.chromium_missing()
    if missing:
        print(f"cannot take screenshots: {missing}", file=sys.stderr)  # noqa: T201
        return 1
    with tempfile.TemporaryDirectory(prefix="yiwang-screenshots-") as workdir:
        url = live.demo_database(Path(workdir))
        with live.serving(url, Path(workdir)) as server:
            for path in shoot(server.url, url):
                print(path.relative_to(ROOT))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
