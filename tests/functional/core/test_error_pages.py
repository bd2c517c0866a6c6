"""What a reader meets where there is nothing: a real 404 page in their language that says what
was not found and offers a way back, "not found" messages that name the object in Chinese
(or English), and the site's icon where browsers look for it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import make_department, make_user
from tests.functional.core.test_pages import sign_in
from tests.support.html import FULL_WIDTH, visible_text
from yiwang.core.policy import Role

HTML = {"Accept": "text/html"}
# Latin words a Chinese page may show: the API (in "API 文档").
_ALLOWED_LATIN = {"API"}


def _latin_words(page: str) -> set[str]:
    """The Latin-letter words of a page's visible text, the link to the English page (marked
    lang="en") left out."""
    text = " ".join(visible_text(page, skip_lang="en"))
    return set(re.findall(r"[A-Za-z]{2,}", text)) - _ALLOWED_LATIN


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/不存在的页面", "找不到地址为 /不存在的页面 的页面"),
        ("/dataset/不存在的资源", "数据资源不存在：不存在的资源"),
    ],
)
def test_a_missing_page_is_a_chinese_404_page_with_ways_back(
    app_client: TestClient, path: str, said: str
) -> None:
    page = app_client.get(path, headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>页面不存在 · " in page.text
    assert "<h1>页面不存在</h1>" in page.text
    assert said in page.text
    assert '<a href="/">返回首页</a>' in page.text
    assert '<form method="get" action="/search"' in page.text  # a search box
    assert 'href="/console"' not in page.text  # no console for the public
    assert _latin_words(page.text) == set()
    assert "出错了" not in page.text


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/no/such/page", "There is no page at /no/such/page"),
        ("/dataset/no-such", "No data resource with the id no-such."),
    ],
)
def test_the_404_page_in_english(app_client: TestClient, path: str, said: str) -> None:
    page = app_client.get(path, params={"lang": "en"}, headers=HTML)
    assert page.status_code == 404
    assert '<html lang="en">' in page.text
    assert "<title>Page not found · " in page.text
    assert said in page.text
    assert '<a href="/">Back to the home page</a>' in page.text
    assert '<form method="get" action="/search"' in page.text
    shown = visible_text(page.text, skip_lang="zh")
    assert [piece for piece in shown if FULL_WIDTH.search(piece)] == []
    assert not re.search(r"[\u4e00-\u9fff]", " ".join(shown))  # no Chinese but the 中文 link


def test_a_missing_console_page_leads_back_to_the_console(
    app_client: TestClient, session: Session
) -> None:
    make_user(session, role=Role.EDITOR, department=make_department(session), username="e404")
    session.commit()
    sign_in(app_client, "e404")
    page = app_client.get("/console/data/不存在的资源", headers=HTML)
    assert page.status_code == 404
    assert "<title>页面不存在 · " in page.text
    assert "数据资源不存在：不存在的资源" in page.text
    assert '<a href="/console">返回工作台首页</a>' in page.text
    assert '<a href="/">返回首页</a>' in page.text
    nowhere = app_client.get("/console/nowhere", params={"lang": "en"}, headers=HTML)
    assert nowhere.status_code == 404
    assert '<a href="/console">Back to the console</a>' in nowhere.text


@pytest.mark.parametrize(
    ("path", "zh", "en"),
    [
        ("/api/v1/departments/999999", "部门不存在：999999", "No department with the id 999999."),
        (
            "/api/v1/catalog/resources/no-such",
            "数据资源不存在：no-such",
            "No data resource with the id no-such.",
        ),
    ],
)
def test_not_found_messages_name_the_object_in_the_callers_language(
    app_client: TestClient, path: str, zh: str, en: str
) -> None:
    chinese = app_client.get(path)
    assert chinese.status_code == 404
    assert chinese.json() == {"error": {"code": "object_not_found", "message": zh, "details": None}}
    english = app_client.get(path, headers={"Accept-Language": "en"})
    assert english.json()["error"]["message"] == en


def test_every_page_links_the_icon_and_favicon_ico_answers(app_client: TestClient) -> None:
    for path in ("/", "/login", "/no/such/page"):
        page = app_client.get(path, headers=HTML).text
        assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page
    for path in ("/favicon.ico", "/static/img/favicon.svg"):
        icon = app_client.get(path)
        assert icon.status_code == 200, path
        assert icon.headers["content-type"].startswith("image/svg+xml"), path
        assert icon.text.lstrip().startswith("<svg"), path
    assert app_client.head("/favicon.ico").status_code == 200


def test_the_api_docs_lead_back_to_the_portal(app_client: TestClient) -> None:
    docs = app_client.get("/api/docs")
    assert docs.status_code == 200
    assert re.search(r'<a href="/">.*返回一网门户.*</a>', docs.text)
    assert '<link rel="icon" href="/static/img/favicon.svg"' in docs.text
