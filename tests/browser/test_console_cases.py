"""The staff console in a real browser: a complaint a citizen filed with a pin on the map is
accepted by a member of staff of the department it was routed to, and the citizen, in a
browser of their own, sees the new state on the tracking page; a member of staff of the
environment department acknowledges and resolves an alert; the console's pages fit a 375 px
phone."""

from __future__ import annotations

import datetime as dt

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser import citizen, live

PM25 = "urn:yiwang:def:environment:pm25"
RULE = "控制台演练：PM2.5 超标"
FOOD = "食品安全"


def _file_complaint(server: live.Server) -> dict[str, object]:
    """A complaint filed through the JSON API, for the tests that start from one."""
    answer = httpx.post(
        f"{server.url}/api/v1/cases/complaints",
        json={
            "category_code": "TS-FOOD",
            "division_code": "330100",
            "latitude": 30.2596,
            "longitude": 120.1693,
            "address": "杭州市上城区解放路",
            "description": "超市销售过期食品",
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_a_staff_member_accepts_the_case_and_the_citizen_sees_the_new_state(
    page: Page, browser: Browser, server: live.Server, demo_url: str
) -> None:
    # The citizen, not signed in, files a complaint with a pin on the map, in a browser of
    # their own.
    citizen_context = browser.new_context(base_url=server.url, locale="zh-CN")
    description = "路边摊贩售卖无标签散装熟食"
    try:
        mine = citizen_context.new_page()
        mine.set_default_timeout(15_000)
        receipt = citizen.file_complaint_with_pin(
            mine, category=FOOD, code="TS-FOOD", description=description
        )
    finally:
        citizen_context.close()
    number, code = receipt.number, receipt.code
    live.create_user(demo_url, "console_cases_clerk", "editor", receipt.department)

    live.sign_in(page, "console_cases_clerk")
    page.goto("/console/cases")
    expect(page.get_by_role("heading", level=1)).to_have_text("办件队列")
    page.get_by_label("办件编号").fill(number)
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name=number).click()
    page.wait_for_url(f"**/console/cases/{number}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.locator(".state")).to_have_text("已提交")
    expect(page.get_by_text(description)).to_be_visible()

    page.get_by_role("button", name="受理", exact=True).click()
    page.wait_for_url(f"**/console/cases/{number}?done=accept")
    expect(page.locator(".notice")).to_contain_text("已完成：受理")
    expect(page.locator(".state")).to_have_text("已受理")
    expect(page.get_by_role("button", name="开始审查", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="受理", exact=True)).to_have_count(0)

    # The citizen, back in a browser of their own, tracks it.
    citizen_context = browser.new_context(base_url=server.url, locale="zh-CN")
    try:
        track = citizen_context.new_page()
        track.goto("/track")
        track.get_by_label("办件编号").fill(number)
        track.get_by_label("查询码").fill(code)
        track.get_by_role("button", name="查询").click()
        expect(track.locator("#case-state")).to_contain_text("已受理")
        expect(track.locator("#case-timeline")).to_contain_text("受理")
    finally:
        citizen_context.close()


def _raise_alert(server: live.Server, editor: str) -> int:
    """Set a rule on one of the environment department's PM2.5 streams through the API and
    send an observation over it; return the alert it raised."""
    with httpx.Client(base_url=server.url, auth=(editor, live.PASSWORD), timeout=30) as api:
        me = api.get("/api/v1/users/me")
        assert me.status_code == 200, me.text
        latest = api.get(
            "/api/v1/sensing/latest",
            params={"department_id": me.json()["department_id"], "observed_property": PM25},
        )
        assert latest.status_code == 200, latest.text
        stream = latest.json()["items"][0]["datastream_id"]
        rule = api.post(
            "/api/v1/sensing/rules",
            json={
                "name": RULE,
                "datastream_id": stream,
                "levels": [{"label": "演练超标", "value": 500}],
            },
        )
        assert rule.status_code == 201, rule.text
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        sent = api.post(
            f"/sta/v1.1/Datastreams({stream})/Observations",
            json={"phenomenonTime": now.isoformat(), "result": 888},
        )
        assert sent.status_code == 201, sent.text
        alerts = api.get(
            "/api/v1/sensing/alerts", params={"state": "open", "datastream_id": stream}
        )
        raised = [a for a in alerts.json()["items"] if a["rule_name"] == RULE]
        assert len(raised) == 1, alerts.text
        return int(raised[0]["id"])


def test_a_staff_member_acknowledges_and_resolves_an_alert(
    page: Page, server: live.Server, demo_url: str
) -> None:
    editor = live.create_user(demo_url, "console_sensing_editor", "editor", "浙江省生态环境厅")
    member = live.create_user(demo_url, "console_sensing_member", "member", "浙江省生态环境厅")

    live.sign_in(page, member)
    page.goto("/console/sensing")
    expect(page.get_by_role("heading", level=1)).to_have_text("感知与预警")
    expect(page.get_by_text("浙江省生态环境厅")).to_be_visible()
    # A new alert is announced on the open page; the list has it once reloaded.
    expect(page.locator("#live-alerts")).to_have_attribute("data-connected", "true")
    alert_id = _raise_alert(server, editor)
    live_notice = page.locator("#live-alerts")
    expect(live_notice).to_be_visible()
    expect(live_notice).to_contain_text("演练超标")
    live_notice.get_by_role("link", name="刷新列表").click()
    row = page.locator(f"#alert-{alert_id}")
    expect(row).to_contain_text(RULE)
    expect(row).to_contain_text("待确认")
    expect(page.get_by_role("rowheader", name=RULE)).to_have_count(1)  # in the rules' table

    row.get_by_role("button", name="确认预警").click()
    expect(row).to_contain_text("已确认")
    expect(row.get_by_role("button", name="确认预警")).to_have_count(0)
    row.get_by_label("解除说明").fill("现场核查：监测仪校准后恢复正常")
    row.get_by_role("button", name="解除预警").click()
    expect(row).to_contain_text("已解除")
    expect(row).to_contain_text("人工解除")
    expect(row.get_by_role("button")).to_have_count(0)

    with httpx.Client(base_url=server.url, auth=(member, live.PASSWORD), timeout=30) as api:
        alert = api.get(f"/api/v1/sensing/alerts/{alert_id}").json()
    assert alert["state"] == "resolved"
    assert alert["resolution"] == "manual"
    assert [c["action"] for c in alert["history"]][-2:] == ["acknowledged", "resolved"]
    assert alert["history"][-1]["note"] == "现场核查：监测仪校准后恢复正常"


def test_the_console_pages_fit_a_phone(
    browser: Browser, server: live.Server, demo_url: str
) -> None:
    filed = _file_complaint(server)
    clerk = live.create_user(demo_url, "console_cases_phone", "editor", str(filed["department_id"]))
    context = browser.new_context(
        base_url=server.url, viewport={"width": 375, "height": 740}, is_mobile=True, locale="zh-CN"
    )
    try:
        phone = context.new_page()
        live.sign_in(phone, clerk)
        for path in ("/console/cases", f"/console/cases/{filed['number']}", "/console/sensing"):
            phone.goto(path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide at 375 px"
    finally:
        context.close()
