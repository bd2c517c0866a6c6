"""The portal's pages as the server renders them: status, language, escaping of what a user
types, the phone viewport, figures and dashboard panels drawn from the engines' data, and the
precompressed vendored assets."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.cases import make_category, make_item
from tests.factories.core import make_department
from yiwang.core import packs as registry
from yiwang.core.policy import SYSTEM
from yiwang.demo import DEPARTMENTS
from yiwang.sensing import packs
from yiwang.sensing.parsing import NewObservation
from yiwang.sensing.service import create_observations

HTML = {"Accept": "text/html"}
PAGES = ["/", "/search?q=空气", "/monitor", "/monitor/panels", "/services", "/complaints"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_in_chinese_first_and_english_on_request(
    app_client: TestClient, path: str
) -> None:
    zh = app_client.get(path, headers=HTML)
    assert zh.status_code == 200
    if path != "/monitor/panels":  # a fragment, swapped into the page by htmx
        assert '<html lang="zh-CN">' in zh.text
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in zh.text
        assert 'hreflang="en"' in zh.text
    en = app_client.get(path, params={"lang": "en"}, headers=HTML)
    assert en.status_code == 200
    if path != "/monitor/panels":
        assert '<html lang="en">' in en.text


def test_home_shows_the_entries_and_live_figures(app_client: TestClient, session: Session) -> None:
    make_department(session, name_zh="<script>alert(1)</script>局")
    session.commit()
    page = app_client.get("/", headers=HTML).text
    for href, name in [
        ("/dataset", "数据开放"),
        ("/services", "办事服务"),
        ("/complaints", "投诉建议"),
        ("/monitor", "监测预警"),
    ]:
        assert re.search(
            rf'<a class="entry[^"]*" href="{href}">\s*<span class="entry-name">{name}', page
        )
    figures = dict(re.findall(r'<dd id="figure-(\w+)"><a href="[^"]+">(\d+)</a></dd>', page))
    assert set(figures) == {"datasets", "datastreams", "alerts", "items"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;局" in page
    assert "<script>alert(1)</script>" not in page
    assert '<label for="home-q"' in page  # the search box is labelled


def test_a_search_leads_to_the_item_page_and_to_the_complaint_form(
    app_client: TestClient, session: Session
) -> None:
    department = make_department(session)
    item = make_item(session, department, name="排水许可证核发")
    category = make_category(session, department, name="排水设施损坏")
    session.commit()
    page = app_client.get("/search", params={"q": "排水"}, headers=HTML).text
    assert f'href="/services/{item.code}"' in page
    assert f'href="/complaints/new?category={category.code}"' in page
    assert app_client.get(f"/services/{item.code}", headers=HTML).status_code == 200
    form = app_client.get("/complaints/new", params={"category": category.code}, headers=HTML)
    assert form.status_code == 200
    chosen = re.search(rf'<option value="{category.code}"[^>]*>', form.text)
    assert chosen
    assert " selected" in chosen.group(0)


def test_a_search_for_a_script_is_shown_escaped(app_client: TestClient) -> None:
    page = app_client.get("/search", params={"q": "<script>alert(1)</script>"}, headers=HTML)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_the_language_switch_keeps_the_query(app_client: TestClient) -> None:
    page = app_client.get("/search", params={"q": "空气 质量"}, headers=HTML).text
    link = re.search(r'<a href="([^"]+)" hreflang="en"', page)
    assert link is not None
    assert link.group(1) == "/search?q=%E7%A9%BA%E6%B0%94+%E8%B4%A8%E9%87%8F&amp;lang=en"


def test_a_query_too_long_is_refused(app_client: TestClient) -> None:
    assert app_client.get("/search", params={"q": "x" * 201}, headers=HTML).status_code == 422


def test_vendored_assets_travel_gzipped_when_accepted(app_client: TestClient) -> None:
    path = "/static/vendor/echarts/echarts.min.js"
    zipped = app_client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith("text/javascript")
    assert int(zipped.headers["content-length"]) < 400_000
    assert b"Licensed to the Apache Software Foundation" in zipped.content[:200]  # decoded
    plain = app_client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) > 700_000
    again = app_client.get(
        path, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]}
    )
    assert again.status_code == 304
    assert app_client.get("/static/vendor/echarts/zhejiang.json").json()["features"]
    assert app_client.get("/static/css/yiwang.css").status_code == 200  # the general mount


def test_the_dashboard_shows_a_river_above_its_guarantee_level_and_its_alert(
    app_client: TestClient, session: Session
) -> None:
    for slug, name, _en, _short, division, _office in DEPARTMENTS:  # those the pack names
        make_department(session, name_zh=name, division_code=division, slug=slug)
    registry.install(session, actor=SYSTEM, manifest=registry.find("water"))
    pack = packs.get_pack("water")
    section = next(t for t in pack.demo_things if t.name == "钱塘江闸口段")  # guarantee 8.5 m
    (thing,) = packs.install_things(session, actor=SYSTEM, pack=pack, things=[section])
    stream_id = packs.streams_of_things(session, [thing.id])[thing.id]["water_level"]
    session.commit()  # the rules are read from a cache that sees them once committed
    when = dt.datetime.now(dt.UTC).replace(microsecond=0)
    create_observations(
        session,
        actor=SYSTEM,
        observations=[NewObservation(stream_id=stream_id, phenomenon_time=when, result=9.1)],
    )
    session.commit()

    panels = app_client.get("/monitor/panels", headers=HTML).text
    row = re.search(
        r'<tr class="band-2 emphasis"><th scope="row">钱塘江闸口段</th>'
        r"<td>([\d.]+)</td><td>([^<]+)</td>",
        panels,
    )
    assert row is not None
    assert row.groups() == ("9.10", "超保证水位")
    assert '<h2 id="rivers-title">河道水位</h2>' in panels  # the water pack's panel
    assert 'id="aqi-table"' not in panels  # the environment pack is not installed
    dashboard = app_client.get("/monitor", headers=HTML).text
    alert = re.search(
        r'<li data-alert-id="\d+" class="alert level-2">(.*?)</li>', dashboard, re.DOTALL
    )
    assert alert is not None
    assert "超保证水位" in alert.group(1)
    assert "钱塘江闸口段" in alert.group(1)
    home = app_client.get("/", headers=HTML).text
    assert '<dd id="figure-alerts"><a href="/monitor#alerts">1</a></dd>' in home
