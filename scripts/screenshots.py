"""Take the README's screenshots of the portal into docs/screenshots/: a fresh SQLite
database with the demo, a live ``yiwang serve``, and Debian's Chromium (the browser tests'
helpers). Rerun after changing a page:

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.browser import live  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DATASET = "浙江省环境空气质量自动监测小时数据"


def _settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def shoot(base_url: str) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**live.launch_options())  # type: ignore[arg-type]
        desk = browser.new_context(
            base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 860}
        )
        page = desk.new_page()
        page.goto("/")
        _settle(page)
        written.append(OUT / "home.png")
        page.screenshot(path=written[-1], full_page=True)

        page.goto("/search?q=空气质量")
        page.get_by_role("link", name=DATASET).click()
        _settle(page)
        written.append(OUT / "dataset.png")
        page.screenshot(path=written[-1])

        page.goto("/monitor")
        page.wait_for_function("window.yiwangMap !== undefined")
        page.wait_for_timeout(1500)  # the map's entry animation
        written.append(OUT / "monitor.png")
        page.screenshot(path=written[-1], full_page=True)
        desk.close()

        phone = browser.new_context(
            base_url=base_url,
            locale="zh-CN",
            viewport={"width": 375, "height": 740},
            is_mobile=True,
            device_scale_factor=2,
        )
        page = phone.new_page()
        page.goto("/")
        _settle(page)
        written.append(OUT / "home-375.png")
        page.screenshot(path=written[-1])
        phone.close()
        browser.close()
    return written


def main() -> int:
    missing = live.chromium_missing()
    if missing:
        print(f"cannot take screenshots: {missing}", file=sys.stderr)  # noqa: T201
        return 1
    with tempfile.TemporaryDirectory(prefix="yiwang-screenshots-") as workdir:
        url = live.demo_database(Path(workdir))
        with live.serving(url, Path(workdir)) as server:
            for path in shoot(server.url):
                print(path.relative_to(ROOT))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
