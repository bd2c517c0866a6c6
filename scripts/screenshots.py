"""Take the README's screenshots of the portal and the staff console into docs/screenshots/:
a fresh SQLite database with the demo, a live ``yiwang serve``, and Debian's Chromium (the
browser tests' helpers). Rerun after changing a page:

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

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

from tests.browser import citizen, live  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DATASET = "浙江省环境空气质量自动监测小时数据"
ITEM = "330700-WJ-001"  # 出生医学证明首次签发, the item the hall's browser test applies for
NOISE = "TS-NOISE"
DESK = {"width": 1280, "height": 860}
CHART_DRAWN = (
    "window.yiwangDatasetCharts && window.yiwangDatasetCharts.length > 0 && "
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


def _complaint(page: Page) -> Path:
    """The complaint form with a noise complaint described and a pin on Hangzhou."""
    page.goto(f"/complaints/new?category={NOISE}")
    page.wait_for_function(citizen.MAP_READY)
    page.get_by_label("投诉或建议内容").fill("夜间 22 点后工地仍在打桩施工，噪声很大，影响休息。")
    page.locator("#complaint-map canvas").first.scroll_into_view_if_needed()
    x, y = page.evaluate(
        f"([lon, lat]) => {citizen.CHART}.convertToPixel('geo', [lon, lat])", list(citizen.PIN)
    )
    canvas = _box(page, "#complaint-map canvas")
    page.mouse.click(canvas["x"] + x, canvas["y"] + y)
    page.locator("#pin-status").filter(has_text="杭州市").wait_for()
    page.mouse.move(0, 0)  # no tooltip over the map
    page.wait_for_timeout(600)  # the pin's animation
    shot = OUT / "complaint.png"
    _region(page, shot, None, ".complaint-location")
    return shot


def _portal(browser: Browser, base_url: str) -> list[Path]:
    """What the public sees, not signed in."""
    context = _desk(browser, base_url)
    page = context.new_page()
    shots = [_shot(page, "/", "home.png", full_page=True), _dataset(page)]

    page.goto("/monitor")
    page.wait_for_function("window.yiwangMap !== undefined")
    page.wait_for_timeout(1500)  # the map's entry animation
    shots.append(OUT / "monitor.png")
    page.screenshot(path=shots[-1], full_page=True)

    shots += [
        _shot(page, "/services?by=life_event", "services.png"),
        _shot(page, f"/services/{ITEM}", "item.png"),
        _shot(page, f"/services/{ITEM}/apply", "apply.png"),
        _complaint(page),
    ]
    context.close()
    return shots


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


def _console(browser: Browser, base_url: str, database_url: str) -> list[Path]:
    """The staff console: the audit log after a check of its hash chain, then the open cases
    of the department with the most carded ones and one of them, as a clerk there."""
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
    shots.append(_shot(page, "/console/cases?status=open", "console-cases.png"))
    for number in numbers:  # the first the clerk can act on
        page.goto(f"/console/cases/{number}")
        if page.locator(".case-actions form.action").count():
            break
    _settle(page)
    shots.append(OUT / "console-case.png")
    page.screenshot(path=shots[-1])
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
            return (
                _portal(browser, base_url)
                + _phone(browser, base_url)
                + _console(browser, base_url, database_url)
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
