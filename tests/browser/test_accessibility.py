"""Accessibility in a real browser (WCAG 2.1 AA, and GB/T 37668-2019 for older readers):
axe-core finds no serious or critical violation on any public page or console page, in
Chinese and in English; the large-text mode (大字版) enlarges the text, its line spacing and the
click targets, and is remembered; text follows the browser's font size; and a keyboard user
reaches the skip link first, which takes them to the content, with a clearly visible focus.

axe-core comes from npm (``make test`` runs ``npm ci``); where it is missing the axe-core checks
skip, saying why."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import live

AXE = live.ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
ITEM = "330700-WJ-001"  # 出生医学证明首次签发, with an online application form
CLERK = "zjtransport_editor"  # the demo's transport department: cases, cards, alerts

needs_axe = pytest.mark.skipif(
    not AXE.exists(),
    reason="node_modules/axe-core is missing (`make test` installs it with npm ci)",
)


@pytest.fixture
def checked(browser: Browser, server: live.Server) -> Iterator[Page]:
    """A page like the ``page`` fixture's on which axe-core may run: the site's Content
    Security Policy forbids the inline script Playwright injects it with."""
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
        bypass_csp=True,
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def violations(page: Page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands, one
    line each: rule, impact, help and where (the first nodes' selectors)."""
    page.wait_for_load_state("networkidle")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "(tags) => axe.run(document, {runOnly: tags}).then(r => r.violations)", TAGS
    )
    lines = []
    for v in found:
        if v["impact"] not in BLOCKING:
            continue
        targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
        more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
        lines.append(f"{v['id']} [{v['impact']}] {v['help']}: {targets}{more}")
    return lines


def check_pages(page: Page, paths: Iterable[str]) -> None:
    """Open each path and check it; fail once, listing every page's violations."""
    report = []
    for path in paths:
        answer = page.goto(path)
        assert answer is not None
        found = violations(page)
        if found:
            report.append(f"{path} ({answer.status}):\n  " + "\n  ".join(found))
    assert not report, "axe-core found serious or critical violations:\n" + "\n".join(report)


def first_link(page: Page, path: str, pattern: str) -> str:
    """The first link on ``path`` whose address matches ``pattern``."""
    page.goto(path)
    for href in page.locator("a[href]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    ):
        if re.search(pattern, str(href)):
            return str(href)
    raise AssertionError(f"no link matching {pattern} on {path}")


@needs_axe
def test_the_check_fails_on_faint_text_and_a_field_without_a_name(checked: Page) -> None:
    checked.goto("/track")
    checked.evaluate(
        """() => document.getElementById('main').insertAdjacentHTML('beforeend',
             '<p style="color: #bbb">浅灰色的字</p><input type="text">')"""
    )
    found = violations(checked)
    assert any(line.startswith("color-contrast [serious]") for line in found), found
    assert any(line.startswith("label [critical]") for line in found), found


@needs_axe
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_public_pages_have_no_serious_violations(checked: Page, lang: str) -> None:
    checked.goto(f"/?lang={lang}")  # the cookie keeps the language for the pages after
    dataset = first_link(checked, "/dataset", r"/dataset/[^/?#.]+$")
    check_pages(
        checked,
        [
            "/",
            "/search?q=空气质量",
            "/dataset",
            dataset,
            "/monitor",
            "/services",
            "/services?by=life_event",
            f"/services/{ITEM}",
            f"/services/{ITEM}/apply",
            "/complaints",
            "/complaints/new?category=TS-ROAD",
            "/track",
            "/no/such/page",
            "/login",
            f"/services/{ITEM}/apply?text=large",  # and in the large-text mode
        ],
    )


@needs_axe
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_console_has_no_serious_violations_for_a_clerk(
    checked: Page, demo_url: str, lang: str
) -> None:
    live.sign_in(checked, CLERK, live.demo_password(demo_url, CLERK))
    checked.goto(f"/console?lang={lang}")
    case = first_link(checked, "/console/cases", r"/console/cases/[^/?#]+$")
    dataset = first_link(checked, "/console/data", r"/console/data/[^/?#]+$")
    check_pages(
        checked,
        [
            "/console",
            "/console/cases",
            case,
            "/console/data",
            dataset,
            "/console/sharing",
            "/console/sensing",
            "/console/packs",
            "/console/calendar",
            "/account",
            f"{case}?text=large",
        ],
    )


@needs_axe
def test_the_console_has_no_serious_violations_for_an_administrator(
    checked: Page, demo_url: str
) -> None:
    admin = live.create_user(demo_url, "a11y_sysadmin", "sysadmin")
    live.sign_in(checked, admin)
    user = first_link(checked, "/console/users", r"/console/users/\d+$")
    check_pages(
        checked,
        [
            "/console",
            "/console/cases",
            "/console/users",
            user,
            "/console/audit",
            "/console/packs",
            "/console/calendar",
            "/console/sensing",
            "/console/users?lang=en",
            "/console/audit",
        ],
    )


def font_size(page: Page, selector: str) -> float:
    return float(page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)"))


def test_the_large_text_mode_enlarges_text_and_targets_and_is_remembered(page: Page) -> None:
    page.goto("/")
    paragraph = "main p"
    standard = font_size(page, paragraph)
    standard_line = float(
        page.eval_on_selector("body", "e => parseFloat(getComputedStyle(e).lineHeight)")
    )
    expect(page.locator("html")).not_to_have_class(re.compile(r"\blarge-text\b"))

    page.get_by_role("link", name="大字版").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
    assert font_size(page, paragraph) >= 1.25 * standard
    line = float(page.eval_on_selector("body", "e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert line / font_size(page, "body") > standard_line / 16  # wider spacing, not only larger
    small = page.locator("header nav a, header nav button").evaluate_all(
        """els => els.map(e => [e.textContent.trim(), e.getBoundingClientRect()])
                    .filter(([, r]) => r.width < 44 || r.height < 44)
                    .map(([text, r]) => `${text}: ${r.width}×${r.height}`)"""
    )
    assert not small, f"header targets under 44×44 px: {small}"

    page.reload()  # remembered
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
    page.goto("/services")  # on every page
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
    assert font_size(page, "main p") >= 1.25 * standard

    page.get_by_role("link", name="标准版").click()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\blarge-text\b"))
    page.reload()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\blarge-text\b"))
    assert font_size(page, "main p") == pytest.approx(standard, abs=0.5)


def test_the_large_text_link_works_without_javascript(
    browser: Browser, server: live.Server
) -> None:
    context = browser.new_context(base_url=server.url, java_script_enabled=False, locale="zh-CN")
    try:
        plain = context.new_page()
        plain.goto("/track")
        plain.get_by_role("link", name="大字版").click()
        plain.wait_for_url("**/track?*")
        expect(plain.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
        plain.goto("/complaints")
        expect(plain.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
        expect(plain.get_by_role("link", name="标准版")).to_be_visible()
    finally:
        context.close()


def test_text_follows_the_browsers_font_size(page: Page) -> None:
    page.goto("/services")
    before = {s: font_size(page, s) for s in ("body", "main p", "h1", "header nav a")}
    page.evaluate("() => { document.documentElement.style.fontSize = '200%' }")
    for selector, size in before.items():
        assert font_size(page, selector) == pytest.approx(2 * size, rel=0.05), selector


def test_a_keyboard_user_skips_to_the_content_and_sees_where_focus_is(page: Page) -> None:
    page.goto("/services")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return [e.textContent.trim(), e.getAttribute('href'), s.outlineStyle, s.outlineWidth,"
        " e.getBoundingClientRect().width > 1] }"
    )
    assert focused == ["跳到正文", "#main", "solid", "3px", True]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside the content, not back in the header
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth] }"
    )
    assert outline == ["solid", "3px"]
