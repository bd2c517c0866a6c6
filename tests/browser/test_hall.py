"""The service hall in a real browser: a citizen finds a service by life event, reads its page,
applies online through the form generated from it (with a PDF for each mandatory material),
keeps the number and query code from the receipt and tracks the case; the hall's pages fit a
375 px phone."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, FilePayload, Page, expect
from stdnum.cn import ric

from tests.browser import live

ITEM = "330700-WJ-001"  # 出生医学证明首次签发: citizens, two fields, two materials
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _resident_id() -> str:
    """A valid 18-digit resident ID (GB 11643): area, birth date, sequence, check digit."""
    body = "33010619900307123"
    return body + ric.calc_check_digit(body + "0")


def test_apply_for_a_service_then_track_it(page: Page, tmp_path: Path) -> None:
    page.goto("/services")
    expect(page.get_by_role("heading", level=1)).to_have_text("办事服务")
    page.get_by_role("link", name="按人生事件").click()
    page.wait_for_url("**/services?by=life_event")
    births = page.locator("#event-birth")
    expect(births.get_by_role("heading")).to_contain_text("出生")
    births.get_by_role("link", name="出生医学证明首次签发").click()

    page.wait_for_url(f"**/services/{ITEM}")
    expect(page.get_by_role("heading", level=1)).to_have_text("出生医学证明首次签发")
    expect(page.locator("#promised-limit")).to_have_text("1 个工作日")
    expect(page.locator("#materials")).to_contain_text("分娩记录（医疗机构出具）")
    page.get_by_role("link", name="在线申请").click()

    page.wait_for_url(f"**/services/{ITEM}/apply")
    expect(page.get_by_label("申请人类型")).to_have_value("citizen")
    page.get_by_label(re.compile("^姓名")).fill("王小明")
    page.get_by_label("身份证号").fill(_resident_id())
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_label("新生儿姓名").fill("王一一")
    page.get_by_label("出生日期").fill("2026-11-20")
    pdf = tmp_path / "材料.pdf"
    pdf.write_bytes(PDF)
    for field in page.locator("input[type=file][required]").all():
        field.set_input_files(pdf)
    page.get_by_label("送达方式").select_option("pickup")  # courier: test_hall_courier.py
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
    number = page.locator("#case-number").inner_text()
    code = page.locator("#query-code").inner_text()
    assert re.fullmatch(r"330700-\d{8}-\d{6}", number)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", code)
    expect(page.locator("#case-state")).to_have_text("已提交")

    page.get_by_role("button", name="查询办理进度").click()
    page.wait_for_url("**/track")
    assert code not in page.url
    expect(page.locator("#case-number")).to_have_text(number)
    expect(page.locator("#case-state")).to_have_text("已提交")
    expect(page.locator("#case-timeline")).to_contain_text("提交")
    expect(page.locator("#case-form")).to_contain_text("王一一")

    # Looked up again by hand, with the number and the code as the receipt gave them.
    page.goto("/track")
    page.get_by_label("办件编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#case-state")).to_have_text("已提交")


def test_a_mistyped_identity_number_is_caught_before_the_form_is_sent(page: Page) -> None:
    page.goto(f"/services/{ITEM}/apply")
    page.get_by_label(re.compile("^姓名")).fill("王小明")
    number = page.get_by_label("身份证号")
    number.fill("330106199003071230")  # a wrong check digit
    check = page.locator("#applicant-id-number-check")
    expect(check).to_have_text("居民身份证号码校验不通过，请逐位核对（18 位，最后一位可能是 X）。")
    expect(number).to_have_attribute("aria-invalid", "true")
    page.get_by_label("新生儿姓名").fill("王一一")
    page.get_by_label("出生日期").fill("2026-11-20")
    pdf: FilePayload = {"name": "材料.pdf", "mimeType": "application/pdf", "buffer": PDF}
    for field in page.locator("input[type=file][required]").all():
        field.set_input_files(pdf)
    page.get_by_label("送达方式").select_option("pickup")
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(f"/services/{ITEM}/apply$"))  # not sent
    assert not number.evaluate("input => input.checkValidity()")
    expect(page.locator("#form-error")).to_have_count(0)

    number.fill(_resident_id())  # corrected: the note goes away
    expect(check).to_be_hidden()
    assert number.evaluate("input => input.checkValidity()")
    expect(page.get_by_label("新生儿姓名")).to_have_value("王一一")


def test_the_hall_fits_a_phone(browser: Browser, server: live.Server) -> None:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    try:
        phone = context.new_page()
        for path in (
            "/services",
            "/services?by=theme",
            "/services?by=life_event",
            f"/services/{ITEM}",
            f"/services/{ITEM}/apply",
            "/services/330100-SCJG-005/apply",
            "/track",
        ):
            phone.goto(path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide at 375 px"
    finally:
        context.close()
