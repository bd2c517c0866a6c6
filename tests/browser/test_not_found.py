"""A missing page in a real browser: a 404 page in Chinese and in English that offers a way
back and a search; and the ordinary pages load without a single console error or failed
request (the site's icon included)."""

from __future__ import annotations

import re

from playwright.sync_api import ConsoleMessage, Page, Request, Response, expect


def test_the_404_page_in_both_languages_leads_back(page: Page) -> None:
    answer = page.goto("/no/such/page")
    assert answer is not None
    assert answer.status == 404
    expect(page).to_have_title(re.compile(r"^页面不存在 · "))
    expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在")
    expect(page.get_by_role("alert")).to_contain_text("找不到地址为 /no/such/page 的页面")
    page.get_by_label("搜索一网").fill("空气质量")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/search?q=*")
    expect(page.locator("#search-summary")).to_contain_text("空气质量")

    answer = page.goto("/dataset/no-such?lang=en")
    assert answer is not None
    assert answer.status == 404
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title(re.compile(r"^Page not found · "))
    expect(page.get_by_role("alert")).to_have_text("No data resource with the id no-such.")
    page.get_by_role("link", name="Back to the home page").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the language stays


def test_ordinary_pages_load_without_console_errors(page: Page) -> None:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            errors.append(f"{response.status} {response.url}")

    def on_failed(request: Request) -> None:
        errors.append(f"failed: {request.url} {request.failure}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    for path in ("/", "/dataset", "/services", "/complaints", "/login"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        icon = page.locator('link[rel="icon"]')
        expect(icon).to_have_attribute("href", "/static/img/favicon.svg")
    # What a browser fetches for the icon: the linked SVG, or /favicon.ico where none is linked.
    statuses = page.evaluate(
        """async () => Promise.all(['/static/img/favicon.svg', '/favicon.ico'].map(
             async (url) => { const r = await fetch(url);
                              return [r.status, r.headers.get('content-type')]; }))"""
    )
    assert statuses == [[200, "image/svg+xml"], [200, "image/svg+xml"]]
    assert errors == []
