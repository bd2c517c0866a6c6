"""The portal's main pages in English: no full-width punctuation (：，。（）’“”) in the text a
reader sees. The data shown is made without any, so whatever appears comes from the pages
themselves."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories.cases import make_category, make_item
from tests.factories.catalog import make_distribution, make_resource, upload
from tests.factories.core import actor, make_department, make_user
from tests.support.databases import BoundDatabase
from tests.support.html import FULL_WIDTH, visible_text
from yiwang.core.policy import Role

HTML = {"Accept": "text/html"}
TABLE = "站点编号,站点名称,城市,AQI\n1001,西溪,杭州市,42\n1002,朝晖五区,杭州市,57\n"


def test_the_main_pages_in_english_have_no_full_width_punctuation(
    app_client: TestClient, db: BoundDatabase, tmp_path: Path
) -> None:
    with db.session() as session:
        department = make_department(session, name_zh="测试生态环境厅", name_en="Test Ecology")
        editor = actor(make_user(session, role=Role.EDITOR, department=department))
        shown = make_resource(
            session,
            editor,
            department_id=department.id,
            title="空气质量小时数据",
            title_en="Hourly air quality",
            summary="用于测试的合成数据",
            share_class="conditional",
            share_conditions="仅限环境监管",
        )
        withheld = make_resource(
            session,
            editor,
            department_id=department.id,
            title="重点排污单位名单",
            summary="用于测试的合成数据",
            open_class="conditional",
            open_conditions="须签订协议",
        )
        shown_table = make_distribution(session, editor, shown, name="站点数据").id
        withheld_table = make_distribution(session, editor, withheld, name="名单").id
        item = make_item(session, department, name="排水许可证核发")
        make_category(session, department, name="排水设施损坏")
        pages = [
            "/",
            "/search?q=排水",
            "/dataset",
            f"/dataset/{shown.name}",
            f"/dataset/{withheld.name}",
            "/services",
            f"/services/{item.code}",
            f"/services/{item.code}/apply",
            "/complaints",
            "/complaints/new",
            "/monitor",
            "/track",
            "/login",
            "/no/such/page",
        ]
    upload(db, editor, shown_table, TABLE.encode(), "aqi.csv", tmp_path)
    upload(db, editor, withheld_table, TABLE.encode(), "list.csv", tmp_path)

    found = {}
    for path in pages:
        page = app_client.get(path, params={"lang": "en"}, headers=HTML)
        assert page.status_code == (404 if path == "/no/such/page" else 200), path
        assert '<html lang="en">' in page.text, path
        wrong = [p for p in visible_text(page.text, skip_lang="zh") if FULL_WIDTH.search(p)]
        if wrong:
            found[path] = wrong
    assert found == {}
