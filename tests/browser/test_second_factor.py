"""Two-step verification in a real browser: the demo's sysadmin, at the first sign-in with the
password ``yiwang demo`` printed, is led to set up an authenticator app (the QR code drawn in
the page, the key to type in) before anything else, keeps the recovery codes and reaches the
console; signs in again with a code; a recovery code stands in once."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser import live


def _password(page: Page, username: str, password: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/")


def test_the_demo_sysadmin_sets_up_an_app_at_the_first_sign_in(page: Page, demo_url: str) -> None:
    password = live.demo_password(demo_url, "admin")
    page.goto("/console")
    page.wait_for_url(re.compile(r"/login\?next="))
    _password(page, "admin", password)
    page.wait_for_url(re.compile(r"/login/second-factor\?next="))
    expect(page.get_by_role("img", name="用身份验证器应用扫描此二维码")).to_be_visible()
    expect(page.locator("#second-factor-secret")).to_have_text(re.compile(r"^[A-Z2-7 ]{39}$"))
    expect(page.locator("#second-factor-uri")).to_contain_text("otpauth://totp/yiwang:admin?")

    page.goto("/console/users")  # nothing else before the second step
    page.wait_for_url(re.compile(r"/login/second-factor\?next="))
    codes = live.pass_second_step(page, "admin")
    assert len(codes) == 10
    page.wait_for_url("**/console/users")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/account")
    expect(page.locator("#second-factor")).to_contain_text("剩余恢复码：10")
    _sign_out(page)

    page.goto("/login?next=/console")
    _password(page, "admin", password)
    page.wait_for_url(re.compile(r"/login/second-factor\?next="))
    expect(page.locator("#second-factor-secret")).to_have_count(0)  # a code, not a new app
    live.pass_second_step(page, "admin")
    page.wait_for_url("**/console")
    _sign_out(page)

    for attempt in ("accepted", "spent"):
        page.goto("/login?next=/account")
        _password(page, "admin", password)
        page.wait_for_url(re.compile(r"/login/second-factor\?next="))
        page.get_by_label("验证码").fill(codes[0])
        page.get_by_role("button", name="验证", exact=True).click()
        if attempt == "accepted":
            page.wait_for_url("**/account")
            expect(page.locator("#second-factor")).to_contain_text("剩余恢复码：9")
            _sign_out(page)
        else:
            expect(page.get_by_role("alert")).to_contain_text("验证码或恢复码不正确")
