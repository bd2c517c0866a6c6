"""The network search finds service items by the names people use (检索词 declared by the
packs), and the search boxes suggest only words that find something."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import make_department
from yiwang.core import packs
from yiwang.core.policy import SYSTEM
from yiwang.demo import DEPARTMENTS

HTML = {"Accept": "text/html"}


def _install(session: Session, *names: str) -> None:
    for slug, name, _en, _short, division, _office in DEPARTMENTS:
        make_department(session, name_zh=name, division_code=division, slug=slug)
    for name in names:
        packs.install(session, actor=SYSTEM, manifest=packs.find(name))
    session.commit()


def _placeholder(page: str, input_id: str) -> str:
    found = re.search(rf'<input[^>]*id="{input_id}"[^>]*placeholder="([^"]*)"', page, re.DOTALL)
    assert found, page
    return found.group(1)


def test_a_common_name_finds_the_item_it_means(app_client: TestClient, session: Session) -> None:
    _install(session, "market")
    page = app_client.get("/search", params={"q": "营业执照"}, headers=HTML).text
    # Found by a search word of the market pack: the items named so come first, none of them
    # has 营业执照 in its name.
    assert "企业设立登记" in page
    assert "个体工商户设立登记" in page
    every = app_client.get("/api/v1/cases/items").json()
    (register,) = [i for i in every if i["name"] == "企业设立登记"]
    assert "营业执照" in register["keywords"]
    # The items API takes the same search, best matches first.
    api = app_client.get("/api/v1/cases/items", params={"q": "营业执照", "kind": "service"}).json()
    assert {i["name"] for i in api} >= {"企业设立登记", "个体工商户设立登记"}
    by_word = [any("营业执照" in w for w in [i["name"], *i["keywords"]]) for i in api]
    assert by_word == sorted(by_word, reverse=True)  # then those whose description holds it
    assert all(
        held or "营业执照" in (i["description"] or "") for held, i in zip(by_word, api, strict=True)
    )
    # Every word of the query must match: a word the item does not hold finds nothing.
    nothing = app_client.get("/search", params={"q": "营业执照 捕捞"}, headers=HTML).text
    assert "企业设立登记" not in nothing


def test_the_search_boxes_suggest_words_that_find_something(
    app_client: TestClient, session: Session
) -> None:
    home = _placeholder(app_client.get("/", headers=HTML).text, "home-q")
    assert home == "搜索数据和办事事项"  # nothing installed: nothing suggested

    _install(session, "market", "government")
    home = _placeholder(app_client.get("/", headers=HTML).text, "home-q")
    # Installed without the demo: the packs' datasets (all demo) are not there, so only the
    # service examples that find an item are offered.
    assert home == "搜索数据和办事事项，例如：居住证"
    words = home.split("例如：")[1].split("、")
    for word in words:
        page = app_client.get("/search", params={"q": word}, headers=HTML).text
        assert "没有匹配的办事事项" not in page, word
    data = _placeholder(app_client.get("/dataset", headers=HTML).text, "q")
    assert data == "搜索数据资源"
    english = _placeholder(app_client.get("/", params={"lang": "en"}, headers=HTML).text, "home-q")
    assert english == "Search data and services"
