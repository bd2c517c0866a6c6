"""The workbench in a real browser: a clerk of a demo department with cases carrying yellow or
red cards signs in, lands on the workbench, reads what waits for the department, follows the
count of cases in review to the queue filtered to them, most urgent first, and finds the filter
kept in the address and the form."""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.browser import live
from yiwang.cases import public as cases
from yiwang.core import identity
from yiwang.core.db import make_engine
from yiwang.core.policy import SYSTEM

URGENCY = {"red": 0, "yellow": 1, None: 2}


def carded_department_clerk(database_url: str) -> str:
    """The demo editor of the department with the most open cases in review carrying a card
    (the demo's cards fall where its dates put them, relative to the day it was loaded)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            flagged = cases.supervision_view(session, actor=SYSTEM, limit=10_000)["flagged"]
            carded = Counter(f["department_id"] for f in flagged if f["state"] == "in_review")
            assert carded, "the demo has open cases in review with a card"
            department_id, _ = carded.most_common(1)[0]
            return f"{identity.get_department(session, department_id).slug}_editor"
    finally:
        engine.dispose()


def test_a_clerk_lands_on_the_workbench_and_follows_a_count_to_the_queue(
    page: Page, demo_url: str
) -> None:
    clerk = carded_department_clerk(demo_url)
    live.sign_in(page, clerk, live.demo_password(demo_url, clerk))
    assert page.url.endswith("/console")
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
    expect(page.get_by_role("heading", name="本部门待办")).to_be_visible()

    counts = {}
    for name in ("待受理", "审查中", "临近期限", "黄牌", "红牌", "未确认的预警", "共享申请待审批"):
        link = page.locator(".pending a", has_text=name)
        expect(link).to_have_count(1)
        counts[name] = int(link.locator(".pending-count").inner_text())
    assert counts["审查中"] > 0
    assert counts["红牌"] + counts["黄牌"] > 0

    page.locator(".pending a", has_text="审查中").click()
    page.wait_for_url(re.compile(r"/console/cases\?.*state=in_review"))
    expect(page.get_by_role("heading", level=1)).to_have_text("办件队列")
    expect(page.get_by_label("环节")).to_have_value("in_review")
    expect(page.get_by_label("办理状态")).to_have_value("open")
    expect(page.get_by_label("排序")).to_have_value("urgency")
    expect(page.get_by_role("status").filter(has_text="共")).to_contain_text(
        f"共 {counts['审查中']} 件"
    )

    rows = page.locator("table.queue tbody tr")
    cards = []
    for i in range(rows.count()):
        classes = rows.nth(i).get_attribute("class") or ""
        found = re.search(r"carded-(red|yellow)", classes)
        cards.append(found.group(1) if found else None)
    assert 0 < cards.count("red") + cards.count("yellow") <= counts["红牌"] + counts["黄牌"]
    assert [URGENCY[c] for c in cards] == sorted(URGENCY[c] for c in cards)  # red, yellow, rest
    expect(rows.first.locator(".badge")).to_have_text("红牌" if "red" in cards else "黄牌")

    # A filter changed is kept in the address.
    page.get_by_label("排序").select_option("newest")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"state=in_review.*sort=newest"))
    expect(page.get_by_label("环节")).to_have_value("in_review")
    expect(page.get_by_label("排序")).to_have_value("newest")
