"""The open-data page of a resource: its title in the page's language only, a neutral notice
(not a success) where the data is not open to the reader, and a preview table that scrolls
sideways in a box a keyboard can reach."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.factories.core import actor, make_department, make_user
from tests.support.databases import BoundDatabase
from yiwang.core.policy import Role

HTML = {"Accept": "text/html"}
TABLE = (
    "站点编号,站点名称,城市,时间,AQI\n"
    "1001,西溪,杭州市,2025-11-17 08:00,42\n"
    "1002,朝晖五区,杭州市,2025-11-17 09:00,57\n"
)


def test_the_dataset_page_details(
    app_client: TestClient, db: BoundDatabase, tmp_path: Path
) -> None:
    with db.session() as session:
        department = make_department(session)
        editor = actor(make_user(session, role=Role.EDITOR, department=department))
        shown = make_resource(
            session,
            editor,
            department_id=department.id,
            title="空气质量小时数据",
            title_en="Hourly air quality",
        )
        withheld = make_resource(
            session,
            editor,
            department_id=department.id,
            title="重点排污单位名单",
            open_class="conditional",
            open_conditions="须签订协议",
        )
        shown_table = make_distribution(session, editor, shown, name="站点数据").id
        withheld_table = make_distribution(session, editor, withheld, name="名单").id
        shown_name, withheld_name = shown.name, withheld.name
    upload(db, editor, shown_table, TABLE.encode(), "aqi.csv", tmp_path)
    upload(db, editor, withheld_table, TABLE.encode(), "list.csv", tmp_path)

    chinese = app_client.get(f"/dataset/{shown_name}", headers=HTML).text
    assert "<h1>空气质量小时数据</h1>" in chinese
    assert "Hourly air quality" not in chinese  # no English subtitle on the Chinese page
    box = re.search(r'<div class="scroll preview-scroll"[^>]*>\s*<table class="preview">', chinese)
    assert box, "the preview table is not in its scroll box"
    assert 'tabindex="0"' in box.group(0)
    assert 'role="region"' in box.group(0)
    assert 'aria-label="数据预览：站点数据（表格可左右滚动）"' in box.group(0)
    assert "<td>2025-11-17 08:00</td>" in chinese  # a time as people read it, not ISO text

    english = app_client.get(f"/dataset/{shown_name}", params={"lang": "en"}, headers=HTML).text
    assert "<h1>Hourly air quality</h1>" in english
    assert '<p class="meta" lang="zh-CN">空气质量小时数据</p>' in english  # the official name
    assert "<title>Hourly air quality · " in english

    refused = app_client.get(
        f"/dataset/{withheld_name}", params={"lang": "zh-CN"}, headers=HTML
    ).text
    notice = re.search(r'<p class="([^"]*)"[^>]*>该资源的数据不对您开放', refused)
    assert notice
    assert notice.group(1).split() == ["notice", "notice-withheld"]
    assert "西溪" not in refused
    assert "开放类型</th><td>有条件开放：须签订协议</td>" in refused
    refused_en = app_client.get(
        f"/dataset/{withheld_name}", params={"lang": "en"}, headers=HTML
    ).text
    assert re.search(r"Openness</th><td>[^<：]+: 须签订协议</td>", refused_en)
