"""A receipt the citizen keeps, in a real browser: printed, the page is the receipt alone (no
navigation, footer or buttons) with the number, the query code and what happens next; the
"下载回执 (PDF)" button downloads the receipt as a PDF with the case number in it."""

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader
from stdnum.cn import ric

ITEM = "330700-WJ-001"  # 出生医学证明首次签发: citizens, two fields, two materials
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _apply(page: Page, tmp_path: Path) -> tuple[str, str]:
    """Apply for the birth certificate; return the receipt's number and query code."""
    body = "33010619900307123"
    page.goto(f"/services/{ITEM}/apply")
    page.get_by_label(re.compile("^姓名")).fill("王小明")
    page.get_by_label("身份证号").fill(body + ric.calc_check_digit(body + "0"))
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_label("新生儿姓名").fill("王一一")
    page.get_by_label("出生日期").fill("2026-11-20")
    pdf = tmp_path / "材料.pdf"
    pdf.write_bytes(PDF)
    for field in page.locator("input[type=file][required]").all():
        field.set_input_files(pdf)
    page.get_by_label("送达方式").select_option("pickup")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
    return page.locator("#case-number").inner_text(), page.locator("#query-code").inner_text()


def test_the_receipt_prints_alone_and_downloads_as_a_pdf(page: Page, tmp_path: Path) -> None:
    number, code = _apply(page, tmp_path)
    pdf_button = page.get_by_role("button", name="下载回执 (PDF)")
    print_button = page.get_by_role("button", name="打印回执")
    expect(pdf_button).to_be_visible()
    expect(print_button).to_be_visible()  # shown by its script
    expect(page.locator("#receipt-next")).to_contain_text("承诺 1 个工作日内办结")

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(pdf_button).to_be_hidden()
    expect(print_button).to_be_hidden()
    expect(page.get_by_role("button", name="查询办理进度")).to_be_hidden()
    expect(page.locator("#case-number")).to_be_visible()
    expect(page.locator("#case-number")).to_have_text(number)
    expect(page.locator("#query-code")).to_be_visible()
    expect(page.locator("#query-code")).to_have_text(code)
    expect(page.locator("#case-state")).to_have_text("已提交")
    printed = page.locator("#receipt-next")
    expect(printed).to_be_visible()
    expect(printed).to_contain_text("/track")
    expect(printed).to_contain_text(code)
    colour = page.locator("#case-number").evaluate("e => getComputedStyle(e).color")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert colour == "rgb(0, 0, 0)"
    assert background == "rgb(255, 255, 255)"

    page.emulate_media(media="screen")
    with page.expect_download() as downloading:
        pdf_button.click()
    download = downloading.value
    assert download.suggested_filename == f"receipt-{number}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert number in text.replace("\n", "")
    assert code not in page.url
