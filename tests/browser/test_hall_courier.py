"""Delivery by courier in a real browser: choosing 快递送达 brings up the address, its fields
marked and made required (for the browser and for a screen reader) only while courier is
chosen; the browser holds an application without the address; a phone number the server
refuses is refused in Chinese with the uploaded files kept (listed as uploaded, not to be
chosen again); the address corrected, with the district list following the city chosen,
files the case; the clerk of the responsible department sees the delivery method and the
whole address on the console's case page. Without a script the same form works through the
server alone. A unified social credit code is checked as it is typed."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, FilePayload, Page, expect
from stdnum.cn import ric

from tests.browser import live

ITEM = "330700-WJ-001"  # 出生医学证明首次签发: citizens, courier or pickup, two materials
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STREET = "文三路90号东部软件园3号楼201室"
COURIER_FIELDS = ("recipient", "phone", "province", "city", "district", "street")


def _expect_address_required(page: Page, required: bool) -> None:
    """Each courier field is required, and its label says so, exactly when ``required``."""
    for name in COURIER_FIELDS:
        field = page.locator(f"#delivery-{name}")
        mark = page.locator(f'label[for="delivery-{name}"] .req')
        expect(field).to_have_js_property("required", required)
        if required:
            expect(mark).to_have_text("（必填）")
            expect(mark).to_be_visible()
        else:
            expect(mark).to_be_hidden()


def _resident_id() -> str:
    body = "33010619850412123"
    return body + ric.calc_check_digit(body + "0")


def _fill_applicant(page: Page) -> None:
    page.get_by_label(re.compile("^姓名")).fill("李晓红")
    page.get_by_label("身份证号").fill(_resident_id())
    page.get_by_label("新生儿姓名").fill("李一一")
    page.get_by_label("出生日期").fill("2026-11-21")
    pdf: FilePayload = {"name": "分娩记录.pdf", "mimeType": "application/pdf", "buffer": PDF}
    page.locator("#file-id_card").set_input_files(
        {"name": "身份证.pdf", "mimeType": "application/pdf", "buffer": PDF + b"%id"}
    )
    page.locator("#file-birth_record").set_input_files(pdf)


def test_courier_delivery_asks_for_the_address_and_the_clerk_sees_it(
    page: Page, demo_url: str
) -> None:
    page.goto(f"/services/{ITEM}/apply")
    address = page.locator("#delivery-address")
    page.get_by_label("送达方式").select_option("pickup")
    expect(address).to_be_hidden()
    _expect_address_required(page, False)
    page.get_by_label("送达方式").select_option("courier")
    expect(address).to_be_visible()
    _expect_address_required(page, True)
    _fill_applicant(page)

    # Sent without the address: the browser holds the form at the recipient.
    page.get_by_role("button", name="提交申请").click()
    recipient = page.get_by_label("收件人 （必填）")
    expect(recipient).to_be_focused()
    assert recipient.evaluate("input => input.validity.valueMissing")
    expect(page.locator("#form-error")).to_have_count(0)

    # A phone number the server cannot take: refused in Chinese, every uploaded file kept.
    recipient.fill("李晓红")
    page.get_by_label("收件人电话").fill("0571-8765")
    expect(page.get_by_label("省份")).to_have_value("330000")
    page.get_by_label("城市").select_option(label="杭州市")
    district = page.get_by_label("区（县）")
    expect(district.locator("option", has_text="西湖区")).to_have_count(1)  # fetched
    district.select_option(label="西湖区")
    page.get_by_label("详细地址").fill(STREET)
    page.get_by_role("button", name="提交申请").click()
    alert = page.locator("#form-error")
    expect(alert).to_contain_text("申请未提交：收件人联系电话“0571-8765”格式不正确")
    expect(alert).to_contain_text("已上传的材料均已保留")
    expect(page.locator("#delivery-phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#file-id_card-kept")).to_contain_text("已上传：身份证.pdf")
    expect(page.locator("#file-birth_record-kept")).to_contain_text("已上传：分娩记录.pdf")
    expect(page.locator("input[type=file][required]")).to_have_count(0)
    expect(page.get_by_label("新生儿姓名")).to_have_value("李一一")
    expect(address).to_be_visible()  # courier is still chosen
    _expect_address_required(page, True)
    expect(page.get_by_label("区（县）")).to_have_value("330106")  # the address is kept

    page.get_by_label("收件人电话").fill("0571-87654321")
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
    number = page.locator("#case-number").inner_text()
    department = page.locator("dt:has-text('承办部门') + dd").inner_text()

    clerk = live.create_user(demo_url, "hall_courier_clerk", "editor", department)
    live.sign_in(page, clerk)
    page.goto(f"/console/cases/{number}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.locator("#delivery-method")).to_have_text("快递送达")
    expect(page.locator("#delivery-recipient")).to_have_text("李晓红 · 0571-87654321")
    expect(page.locator("#delivery-address")).to_have_text(f"浙江省杭州市西湖区{STREET}")


def test_without_a_script_the_server_asks_for_each_part_of_the_address(
    browser: Browser, server: live.Server
) -> None:
    context = browser.new_context(base_url=server.url, locale="zh-CN", java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"/services/{ITEM}/apply")
        expect(page.locator("#delivery-address")).to_be_visible()
        _fill_applicant(page)
        page.get_by_label("送达方式").select_option("courier")
        page.get_by_label("收件人 （必填）").fill("李晓红")
        page.get_by_label("收件人电话").fill("13912345678")
        page.get_by_label("城市").select_option(label="温州市")
        page.get_by_label("详细地址").fill(STREET)
        page.get_by_role("button", name="提交申请").click()

        # The district list of 温州市 comes back with the page, the files kept.
        expect(page.locator("#form-error")).to_contain_text("请选择收件地址在温州市的区（县）。")
        expect(page.locator("#file-birth_record-kept")).to_contain_text("分娩记录.pdf")
        page.get_by_label("区（县）").select_option(label="鹿城区")
        page.get_by_role("button", name="提交申请").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
    finally:
        context.close()


def test_a_mistyped_credit_code_is_caught_as_it_is_typed(page: Page) -> None:
    page.goto("/services/330100-SCJG-005/apply")
    code = page.get_by_label("统一社会信用代码")
    code.fill("91330100MA27XL0F3X")  # the last character is wrong
    check = page.locator("#applicant-id-number-check")
    expect(check).to_have_text("统一社会信用代码校验不通过，请对照营业执照逐位核对。")
    code.fill("91330100MA27XL0F3L")
    expect(check).to_be_hidden()
    assert code.evaluate("input => input.checkValidity()")
