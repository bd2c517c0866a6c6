"""The dataset page's chart of numeric columns, and its API examples, as a citizen and as staff
see them: the rows come from the datastore as the reader may read them, and every example URL
answers."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.functional.catalog.conftest import Government
from tests.functional.core.test_pages import sign_in
from tests.support.databases import BoundDatabase
from yiwang.catalog import datastore
from yiwang.catalog.previews import CHART_ROWS
from yiwang.core.policy import ANONYMOUS

HTML = {"Accept": "text/html"}
ECHARTS = "/static/vendor/echarts/echarts.min.js?v=4.9.0"
CHART_JS = "/static/js/dataset-chart.js"

READINGS = """监测时间,站点,AQI,PM2.5
2025-10-01 08:00,西溪,42,18.5
2025-10-01 09:00,朝晖五区,57,31.2
2025-10-01 07:00,市监测站,63,40.0
"""

SUBSIDIES = """姓名,手机号码,区县,补贴金额
张伟,13812345678,西湖区,1200.50
王芳,13998765432,鄞州区,800
"""

STATIONS = """站点名称,地址类型,备注
西溪,城区,无
朝晖五区,城区,无
"""


def _dataset(
    db: BoundDatabase, gov: Government, tmp_path: Path, content: str, **fields: Any
) -> tuple[str, str]:
    """A published resource of the environment department with one loaded table; return the
    resource's name and the distribution's id."""
    with db.session() as session:
        resource = make_resource(session, gov.env_editor, department_id=gov.env.id, **fields)
        distribution_id = make_distribution(session, gov.env_editor, resource).id
        name = resource.name
    _, job = upload(db, gov.env_editor, distribution_id, content.encode(), "t.csv", tmp_path)
    assert job.status == "succeeded", job.error
    return name, distribution_id


def _chart_json(page: str, number: int = 1) -> tuple[str, Any]:
    """The raw text inside the chart's JSON <script> element, and what it holds."""
    match = re.search(
        rf'<script type="application/json" id="chart-data-{number}">(.*?)</script>', page, re.DOTALL
    )
    assert match, "the page carries no chart data"
    return match.group(1), json.loads(match.group(1))


def _options(page: str, select_id: str) -> list[tuple[str, bool]]:
    """The (label, selected) options of a <select>, labels unescaped."""
    match = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert match, f"no select #{select_id}"
    return [
        (html.unescape(label), " selected" in attributes)
        for attributes, label in re.findall(r"<option([^>]*)>(.*?)</option>", match.group(1))
    ]


def _attribute(page: str, name: str) -> str:
    """The value of the chart element's attribute ``name``."""
    match = re.search(rf'<div class="chart"[^>]*\s{name}="([^"]*)"', page, re.DOTALL)
    assert match, f"the chart has no {name}"
    return html.unescape(match.group(1))


def _no_chart(page: str) -> None:
    assert 'class="dataset-chart"' not in page
    assert "chart-data-" not in page
    assert ECHARTS not in page
    assert CHART_JS not in page


def test_a_table_with_numbers_gets_a_chart_of_its_rows(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    name, distribution_id = _dataset(db, gov, tmp_path, READINGS, title="杭州市空气质量小时数据")
    page = app_client.get(f"/dataset/{name}", headers=HTML).text

    assert 'class="chart" id="chart-1" role="img"' in page
    assert '<label for="chart-y-1">数值列</label>' in page
    assert _options(page, "chart-y-1") == [("AQI", True), ("PM2.5", False)]
    assert '<label for="chart-x-1">横轴</label>' in page
    assert _options(page, "chart-x-1") == [("监测时间", True), ("站点", False), ("（行序）", False)]
    assert "图表显示全部 3 行。" in page
    assert page.count(ECHARTS) == 1
    assert page.count(CHART_JS) == 1
    assert '<link rel="stylesheet" href="/static/css/dataset.css">' in page

    _, data = _chart_json(page)
    assert data["columns"] == [
        {"name": "监测时间", "type": "datetime"},
        {"name": "站点", "type": "text"},
        {"name": "AQI", "type": "integer"},
        {"name": "PM2.5", "type": "decimal"},
    ]
    assert data["rows"] == [
        ["2025-10-01T08:00:00", "西溪", 42, 18.5],
        ["2025-10-01T09:00:00", "朝晖五区", 57, 31.2],
        ["2025-10-01T07:00:00", "市监测站", 63, 40.0],
    ]
    # The same rows the datastore gives the public through the API.
    api = app_client.get(f"/api/v1/catalog/distributions/{distribution_id}/data").json()
    assert [[r["AQI"], float(r["PM2.5"])] for r in api["records"]] == [
        row[2:] for row in data["rows"]
    ]

    # The filter (one select per text column with a few values) and the grouping of lines.
    filter_options = _options(page, "chart-f1-1")
    assert filter_options[0] == ("（全部）", False)
    assert sorted(label for label, _ in filter_options[1:]) == sorted(
        ["西溪", "朝晖五区", "市监测站"]
    )
    assert '<label for="chart-f1-1">站点</label>' in page
    assert _options(page, "chart-g-1") == [("（不分组）", False), ("站点", False)]
    # What the page's script asks for a filter: the native API, over the whole table.
    api_path = _attribute(page, "data-api")
    assert api_path == f"/api/v1/catalog/distributions/{distribution_id}/data"
    filtered = app_client.get(
        api_path,
        params={"limit": _attribute(page, "data-limit"), "filters": json.dumps({"站点": "西溪"})},
    ).json()
    assert filtered["total"] == 1
    assert [(r["站点"], r["AQI"]) for r in filtered["records"]] == [("西溪", 42)]

    english = app_client.get(f"/dataset/{name}", params={"lang": "en"}, headers=HTML).text
    assert '<label for="chart-y-1">Numeric column</label>' in english
    assert "The chart shows all 3 rows." in english


def test_the_chart_says_how_many_of_the_rows_it_shows(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    total = CHART_ROWS + 100
    content = "序号,读数\n" + "".join(f"R{i},{i * 2}\n" for i in range(total))
    name, _ = _dataset(db, gov, tmp_path, content)
    page = app_client.get(f"/dataset/{name}", headers=HTML).text
    assert f"图表显示前 {CHART_ROWS} 行（共 {total} 行）" in page
    assert f"共 {total} 行，以下为前 20 行" in page  # the preview table
    _, data = _chart_json(page)
    assert len(data["rows"]) == CHART_ROWS
    assert data["rows"][:2] == [["R0", 0], ["R1", 2]]
    assert data["rows"][-1] == [f"R{CHART_ROWS - 1}", (CHART_ROWS - 1) * 2]
    assert "data-filter=" not in page  # 600 codes: no filter
    assert 'id="chart-g-1"' not in page  # no date or time: no lines to group


def test_personal_data_never_reaches_the_chart(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    name, distribution_id = _dataset(db, gov, tmp_path, SUBSIDIES, title="补贴发放")
    page = app_client.get(f"/dataset/{name}", headers=HTML).text
    assert "张*" in page  # the preview, masked
    for secret in ("张伟", "王芳", "13812345678"):
        assert secret not in page
    assert _options(page, "chart-y-1") == [("补贴金额", True)]
    assert _options(page, "chart-x-1") == [("区县", True), ("（行序）", False)]
    assert re.findall(r'data-filter="([^"]*)"', page) == ["区县"]
    raw, data = _chart_json(page)
    assert [c["name"] for c in data["columns"]] == ["区县", "补贴金额"]
    assert data["rows"] == [["西湖区", 1200.5], ["鄞州区", 800.0]]
    assert "张" not in raw
    assert "138" not in raw

    # The providing department sees the names in the preview, still not in the chart.
    sign_in(app_client, "env_editor")
    own = app_client.get(f"/dataset/{name}", headers=HTML).text
    assert "张伟" in own
    own_raw, own_data = _chart_json(own)
    assert "张伟" not in own_raw
    assert own_data == data
    with db.session() as session:  # the public's rows, as the datastore service reads them
        result, _ = datastore.read(
            session,
            actor=ANONYMOUS,
            distribution_id=distribution_id,
            query=datastore.Query(limit=CHART_ROWS),
        )
    names = [c.name for c in result.columns]
    assert [
        [r[1 + names.index("区县")], float(r[1 + names.index("补贴金额")])] for r in result.records
    ] == data["rows"]
    assert result.records[0][1 + names.index("姓名")] == "张*"


def test_no_chart_without_numbers_or_without_access(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    plain, _ = _dataset(db, gov, tmp_path, STATIONS, title="站点名录")
    page = app_client.get(f"/dataset/{plain}", headers=HTML)
    assert page.status_code == 200
    assert "朝晖五区" in page.text  # the preview is there
    _no_chart(page.text)

    closed, closed_id = _dataset(
        db,
        gov,
        tmp_path,
        READINGS,
        title="有条件开放的监测数据",
        open_class="conditional",
        open_conditions="须登录并签署数据使用协议",
    )
    anonymous = app_client.get(f"/dataset/{closed}", headers=HTML)
    assert anonymous.status_code == 200
    assert "该资源的数据不对您开放" in anonymous.text
    assert "西溪" not in anonymous.text
    _no_chart(anonymous.text)
    refused = app_client.get(f"/api/v1/catalog/distributions/{closed_id}/data")
    assert refused.status_code in (401, 403)

    sign_in(app_client, "env_editor")  # the providing department reads it
    own = app_client.get(f"/dataset/{closed}", headers=HTML).text
    assert 'id="chart-1"' in own
    assert own.count(ECHARTS) == 1


def test_column_names_and_values_are_escaped_in_the_selects_and_the_json(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    evil_column = "<script>alert(1)</script>"
    evil_value = "</script><script>alert(2)</script>"
    content = f"名称,{evil_column}\n{evil_value},7\n正常,9\n"
    name, _ = _dataset(db, gov, tmp_path, content)
    page = app_client.get(f"/dataset/{name}", headers=HTML).text

    assert "<script>alert(" not in page
    assert "</script><script>" not in page
    assert '<option value="&lt;script&gt;alert(1)&lt;/script&gt;" selected>' in page
    assert _options(page, "chart-y-1") == [(evil_column, True)]
    raw, data = _chart_json(page)
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in raw
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(2)" in raw
    assert "<" not in raw
    assert [c["name"] for c in data["columns"]] == ["名称", evil_column]
    assert data["rows"] == [[evil_value, 7], ["正常", 9]]
    assert '<option value="&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;">' in page
    assert '<select id="chart-f1-1" data-filter="名称">' in page


def test_every_api_example_on_the_page_answers(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    name, distribution_id = _dataset(db, gov, tmp_path, READINGS, title="空气质量示例")
    page = app_client.get(f"/dataset/{name}", headers=HTML).text
    blocks = re.findall(r"<pre><code>(.*?)</code></pre>", page, re.DOTALL)
    examples = html.unescape("\n".join(blocks))
    base = "http://testserver"
    urls = re.findall(r"curl '([^']+)'", examples)
    assert {u.split("?")[0].removeprefix(base) for u in urls} == {
        "/api/3/action/datastore_search",
        "/api/3/action/package_show",
        f"/api/v1/catalog/distributions/{distribution_id}/data",
        f"/api/v1/catalog/resources/{name}",
        f"/dataset/{name}.jsonld",
    }
    for url in urls:
        assert url.startswith(base + "/"), url
        response = app_client.get(url.removeprefix(base))
        assert response.status_code == 200, (url, response.text[:300])
        body = response.json()
        if "/api/3/action/" in url:
            assert body["success"] is True, url
    search = app_client.get(
        f"/api/3/action/datastore_search?resource_id={distribution_id}&limit=5"
    ).json()["result"]
    assert search["total"] == 3
    assert [r["站点"] for r in search["records"]] == ["西溪", "朝晖五区", "市监测站"]

    # The Python example, called the way ckanapi's RemoteCKAN calls it (a JSON POST).
    assert f"RemoteCKAN('{base}')" in examples
    calls = re.findall(r"ckan\.action\.(\w+)\((.*)\)", examples)
    assert [action for action, _ in calls] == ["package_show", "datastore_search"]
    for action, arguments in calls:
        params = {
            key: int(value) if value.isdigit() else value.strip("'")
            for key, value in (part.strip().split("=", 1) for part in arguments.split(","))
        }
        answer = app_client.post(f"/api/action/{action}", json=params).json()
        assert answer["success"] is True, (action, answer)
    assert answer["result"]["records"][0]["AQI"] == 42


def test_a_new_load_shows_in_the_chart_at_once(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    name, distribution_id = _dataset(db, gov, tmp_path, READINGS)
    _, before = _chart_json(app_client.get(f"/dataset/{name}", headers=HTML).text)
    assert [row[2] for row in before["rows"]] == [42, 57, 63]

    newer = READINGS.replace(",42,", ",44,") + "2025-10-01 10:00,下沙,71,50.5\n"
    _, job = upload(db, gov.env_editor, distribution_id, newer.encode(), "t2.csv", tmp_path)
    assert job.status == "succeeded", job.error
    page = app_client.get(f"/dataset/{name}", headers=HTML).text
    _, after = _chart_json(page)
    assert [row[2] for row in after["rows"]] == [44, 57, 63, 71]
    assert "图表显示全部 4 行。" in page
    assert "下沙" in dict(_options(page, "chart-f1-1"))

    # A change in place (CKAN's datastore_upsert) too.
    inserted = app_client.post(
        "/api/3/action/datastore_upsert",
        json={
            "resource_id": distribution_id,
            "method": "insert",
            "records": [{"监测时间": "2025-10-01 11:00", "站点": "滨江", "AQI": 88, "PM2.5": 60}],
        },
        headers={"Authorization": gov.tokens["env_editor"]},
    )
    assert inserted.json()["success"] is True, inserted.text
    page = app_client.get(f"/dataset/{name}", headers=HTML).text
    _, upserted = _chart_json(page)
    assert [row[2] for row in upserted["rows"]] == [44, 57, 63, 71, 88]
    assert "滨江" in dict(_options(page, "chart-f1-1"))
