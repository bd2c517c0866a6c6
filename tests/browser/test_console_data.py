"""The console's data pages in a real browser: a member of staff asks for another department's
conditionally shared data, that department's admin approves the request and the data can then
be read; an editor uploads a CSV of a few megabytes and sees the progress bar reach 100% and
the new version reported once a worker has loaded it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import live
from tests.support.processes import base_env

REQUESTER = "consoledata_env_member"  # 浙江省生态环境厅
APPROVER = "consoledata_ls_admin"  # 丽水市生态环境局, which provides the resource
EDITOR = "consoledata_water_editor"  # 浙江省水利厅
SHARED_ON_CONDITIONS = "丽水市生态补偿资金发放名单"  # a demo resource: 有条件共享, 不予开放


@pytest.fixture(scope="module")
def accounts(demo_url: str) -> None:
    live.create_user(demo_url, REQUESTER, "member", "浙江省生态环境厅")
    live.create_user(demo_url, APPROVER, "department_admin", "丽水市生态环境局")
    live.create_user(demo_url, EDITOR, "editor", "浙江省水利厅")


@pytest.fixture
def worker(demo_url: str, tmp_path: Path) -> Iterator[None]:
    """A ``yiwang worker`` for the loads on the demo database (the test server runs none)."""
    env = base_env()
    env.update(
        YIWANG_DATABASE_URL=demo_url,
        YIWANG_VAR_DIR=str(tmp_path / "var"),
        YIWANG_LOG_FORMAT="text",
        PYTHONPATH=str(live.ROOT),
    )
    with (tmp_path / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "yiwang", "worker", "--kind", "catalog.load", "--poll", "0.2"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_an_admin_approves_a_sharing_request(
    page: Page, browser: Browser, server: live.Server, accounts: None
) -> None:
    purpose = f"核查生态补偿资金发放情况（审计 {uuid.uuid4().hex[:6]}）"
    live.sign_in(page, REQUESTER)
    page.goto("/console/data")
    page.get_by_label("查找数据资源（含其他部门）").fill("生态补偿")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name=SHARED_ON_CONDITIONS).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SHARED_ON_CONDITIONS)
    expect(page.locator(".data-access")).to_contain_text("无权读取数据")
    resource_page = page.url
    distribution = page.locator("section.console-distribution").first.get_attribute("id")
    assert distribution is not None
    data_url = f"/api/v1/catalog/distributions/{distribution.removeprefix('dist-')}/data?limit=1"
    assert page.request.get(data_url).status == 403  # not before the request is approved

    page.get_by_label("申请用途").fill(purpose)
    page.get_by_label("姓名", exact=True).check()
    page.get_by_label("发放金额(元)", exact=True).check()
    page.get_by_role("button", name="提交共享申请").click()
    page.wait_for_url("**/console/sharing?box=outgoing*")
    expect(page.get_by_role("status")).to_contain_text("已提交，等待提供部门审批")
    expect(page.locator("article.share-request", has_text=purpose)).to_contain_text("待审批")

    context = browser.new_context(base_url=server.url, locale="zh-CN")
    try:
        admin = context.new_page()
        live.sign_in(admin, APPROVER)
        admin.goto("/console")
        admin.get_by_role("link", name="共享申请").first.click()
        request = admin.locator("article.share-request", has_text=purpose)
        expect(request).to_contain_text("浙江省生态环境厅")
        expect(request).to_contain_text("姓名、发放金额(元)")
        request.get_by_role("button", name="批准").click()
        admin.wait_for_url("**/console/sharing?decided=*")
        expect(admin.get_by_role("status")).to_contain_text("已批准")
        expect(admin.locator("article.share-request", has_text=purpose)).to_contain_text("已批准")
    finally:
        context.close()

    page.goto(resource_page)
    expect(page.locator(".data-access")).to_contain_text("共享数据，不脱敏")
    expect(page.locator(".data-access")).to_contain_text("姓名、发放金额(元)")
    data = page.request.get(data_url).json()
    assert data["access"] == "shared"
    assert [f["name"] for f in data["fields"]] == ["姓名", "发放金额(元)"]
    assert data["records"][0]["姓名"]  # readable now, and unmasked
    assert "*" not in data["records"][0]["姓名"]


def _reservoirs(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("测站编码,水库名称,所在县区,观测时间,库水位(米),蓄水量(万立方米),备注\n")
        for n in range(rows):
            out.write(
                f"{63000000 + n % 500},第{n % 500}号水库,衢江区,"
                f"2025-10-{1 + n % 28:02d} {n % 24:02d}:00,{80 + n % 40}.{n % 100:02d},"
                f"{1000 + n % 9000},汛后例行观测\n"
            )


def test_an_upload_shows_its_progress_and_the_new_version(
    page: Page, accounts: None, worker: None, tmp_path: Path
) -> None:
    source = tmp_path / "reservoirs.csv"
    _reservoirs(source, 40_000)
    assert source.stat().st_size > 3_000_000

    live.sign_in(page, EDITOR)
    page.goto("/console/data")
    csrf = {"X-CSRF-Token": page.locator('meta[name="csrf-token"]').get_attribute("content") or ""}
    me = page.request.get("/api/v1/users/me").json()
    created = page.request.post(
        "/api/v1/catalog/resources",
        data={
            "title": f"水库逐时观测（上传测试 {uuid.uuid4().hex[:6]}）",
            "summary": "浏览器测试上传的合成数据。",
            "department_id": me["department_id"],
            "category": "water",
            "open_conditions": "部门内部核对用，不予开放",  # a draft, seen by its department only
        },
        headers=csrf,
    )
    assert created.status == 201, created.text()
    resource = created.json()["name"]
    added = page.request.post(
        f"/api/v1/catalog/resources/{resource}/distributions",
        data={"name": "逐时观测表", "format": "CSV"},
        headers=csrf,
    )
    assert added.status == 201, added.text()

    page.goto("/console/data")
    page.get_by_role("link", name="逐时观测表").click()
    form = page.locator("form.upload-form")
    form.get_by_label("上传新版本").set_input_files(source)
    form.get_by_role("button", name="上传", exact=True).click()

    sent = form.locator("progress.upload-sent")
    page.wait_for_function(
        "p => p.max > 1000000 && p.value === p.max", arg=sent.element_handle(), timeout=60_000
    )
    expect(form.locator(".upload-bytes")).to_contain_text("100%")
    status = form.locator(".upload-status")
    expect(status).to_contain_text("载入完成：40,000 行，第 1 版已成为当前版本。", timeout=90_000)
    expect(form.locator("progress.upload-load")).to_have_attribute("value", "100")

    status.get_by_role("link", name="刷新页面查看版本").click()
    expect(page.locator("table.versions")).to_contain_text("reservoirs.csv")
    expect(page.get_by_text("当前版本：第 1 版，40,000 行")).to_be_visible()


def test_the_console_data_pages_fit_a_phone(
    browser: Browser, server: live.Server, accounts: None
) -> None:
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        viewport={"width": 375, "height": 740},
        is_mobile=True,
    )
    try:
        phone = context.new_page()
        live.sign_in(phone, APPROVER)
        for path in (
            "/console/data",
            "/console/sharing",
            "/console/sharing?box=outgoing",
            "/console/users",
        ):
            phone.goto(path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide at 375 px"
        phone.goto("/console/data")
        phone.locator("article.console-resource h2 a").first.click()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{phone.url} is {width} px wide at 375 px"
    finally:
        context.close()
