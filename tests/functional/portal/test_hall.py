"""The service hall as the server renders it: browsing items by department, theme and life
event; an item's page; the application form generated from the item, filing through it (and
refusals that keep what was typed and file nothing); tracking a case with its number and query
code, and rating it once it has ended."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.cases import (
    CITIZEN_ID,
    ENTERPRISE_ID,
    PDF,
    PNG,
    apply,
    make_category,
    make_item,
)
from tests.factories.core import actor as actor_of
from tests.factories.core import make_department, make_user
from tests.functional.core.test_pages import csrf_of
from yiwang.cases import access, materials, queries, workflow
from yiwang.cases.models import Case, ServiceItem
from yiwang.cases.packs import demo_items
from yiwang.cases.schemas import TransitionIn
from yiwang.cases.vocab import LifeEvent, Theme
from yiwang.core.config import Settings
from yiwang.core.identity import Department
from yiwang.core.policy import SYSTEM, Actor, Role

pytestmark = pytest.mark.dates


HTML = {"Accept": "text/html"}


def _section(page: str, anchor: str) -> str:
    """The HTML of the group with this anchor on the hall page ('' when it is not there)."""
    match = re.search(
        rf'<section class="hall-group card" id="{anchor}".*?</section>', page, re.DOTALL
    )
    return match.group(0) if match else ""


def _cases(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Case)) or 0


@pytest.fixture
def market(session: Session) -> Department:
    department = make_department(
        session, name_zh="杭州市市场监督管理局", slug="t-hall-market", division_code="330100"
    )
    session.commit()
    return department


@pytest.fixture
def staff(session: Session, market: Department) -> Actor:
    user = make_user(session, role=Role.EDITOR, department=market)
    session.commit()
    return actor_of(user)


@pytest.fixture
def food_licence(session: Session, market: Department) -> ServiceItem:
    """An item for enterprises, with a fee, a form of every field type and three materials."""
    item = make_item(
        session,
        market,
        name="食品经营许可",
        legal_basis="《中华人民共和国食品安全法》第三十五条",
        legal_limit_days=20,
        promised_limit_days=5,
        trips=1,
        trips_offline=3,
        applicant_types=["enterprise"],
        fees=[{"name": "证照工本费", "amount": 10, "basis": "浙价费〔2020〕1号"}],
        form_fields=[
            {"key": "shop", "label": "经营场所名称", "required": True, "max_length": 100},
            {"key": "scope", "label": "经营项目", "type": "textarea", "max_length": 2000},
            {"key": "area", "label": "经营面积（平方米）", "type": "number", "required": True},
            {"key": "opening", "label": "开业日期", "type": "date"},
            {
                "key": "kind",
                "label": "主体业态",
                "type": "select",
                "required": True,
                "options": ["食品销售经营者", "餐饮服务经营者"],
            },
            {"key": "contact", "label": "联系电话", "type": "phone"},
            {"key": "chain", "label": "是否连锁经营", "type": "boolean"},
            {"key": "online", "label": "是否网络经营", "type": "boolean", "required": True},
        ],
        materials=[
            {"key": "licence", "name": "营业执照", "types": ["pdf", "jpeg", "png"]},
            {"key": "layout", "name": "平面布局图", "types": ["pdf"], "original": True},
            {"key": "other", "name": "其他材料", "mandatory": False, "types": ["pdf"]},
        ],
        delivery_methods=["online", "pickup"],
        themes=["operating_licence"],
        life_events=["permits"],
    )
    session.commit()
    return item


@pytest.fixture
def birth_certificate(session: Session, market: Department) -> ServiceItem:
    """A free, fully online item for citizens."""
    item = make_item(
        session,
        market,
        name="出生医学证明首次签发",
        name_en="First issue of a birth certificate",
        applicant_types=["citizen"],
        trips=0,
        themes=["marriage_birth", "health"],
        life_events=["birth"],
    )
    session.commit()
    return item


# --- browsing ------------------------------------------------------------------------------------


def test_the_hall_lists_items_by_department_theme_and_life_event(
    app_client: TestClient,
    session: Session,
    food_licence: ServiceItem,
    birth_certificate: ServiceItem,
) -> None:
    transport = make_department(session, name_zh="绍兴市交通运输局", division_code="330600")
    make_item(
        session,
        transport,
        name="道路货物运输经营许可",
        themes=["transport", "operating_licence"],
        life_events=["permits"],
        applicant_types=["enterprise"],
    )
    make_category(session, transport, name="违章停车")
    session.commit()

    page = app_client.get("/services", headers=HTML).text
    assert "共 3 个办事事项" in page
    assert "违章停车" not in page  # a complaint category is not applied for
    market_group = next(
        g
        for g in re.findall(r'id="(department-\d+)"', page)
        if "杭州市市场监督管理局" in _section(page, g)
    )
    assert "食品经营许可" in _section(page, market_group)
    assert "道路货物运输经营许可" not in _section(page, market_group)
    assert re.search(r'<a href="/services\?by=department"\s+aria-current="page">按部门</a>', page)
    assert "零跑动" in page  # the birth certificate needs no trip
    assert "承诺 5 个工作日" in page

    themes = app_client.get("/services", params={"by": "theme"}, headers=HTML).text
    licences = _section(themes, "theme-operating_licence")
    assert "食品经营许可" in licences
    assert "道路货物运输经营许可" in licences
    assert "出生医学证明首次签发" not in licences
    assert "出生医学证明首次签发" in _section(themes, "theme-health")
    assert _section(themes, "theme-social_security") == ""  # no item, no group

    events = app_client.get("/services", params={"by": "life_event"}, headers=HTML).text
    assert "个人办事 · 人生事件" in events
    assert "法人办事 · 企业生命周期" in events
    assert "出生医学证明首次签发" in _section(events, "event-birth")
    permits = _section(events, "event-permits")
    assert "食品经营许可" in permits
    assert "出生医学证明首次签发" not in permits
    link = f'href="/services/{food_licence.code}"'
    assert link in permits

    citizens = app_client.get(
        "/services", params={"by": "life_event", "applicant": "citizen"}, headers=HTML
    ).text
    assert "出生医学证明首次签发" in citizens
    assert "食品经营许可" not in citizens
    assert "法人办事 · 企业生命周期" not in citizens

    english = app_client.get("/services", params={"by": "theme", "lang": "en"}, headers=HTML).text
    assert "Operating licences" in english
    assert "By life event" in english
    # An unknown way of browsing falls back to departments.
    assert app_client.get("/services", params={"by": "<x>"}, headers=HTML).status_code == 200


def test_the_items_api_filters_by_theme_and_life_event(
    app_client: TestClient, food_licence: ServiceItem, birth_certificate: ServiceItem
) -> None:
    health = app_client.get("/api/v1/cases/items", params={"theme": "health"}).json()
    assert [i["code"] for i in health] == [birth_certificate.code]
    assert health[0]["themes"] == ["marriage_birth", "health"]
    permits = app_client.get("/api/v1/cases/items", params={"life_event": "permits"}).json()
    assert [i["code"] for i in permits] == [food_licence.code]
    assert app_client.get("/api/v1/cases/items", params={"theme": "astrology"}).status_code == 422


def test_every_demo_item_has_themes_and_life_events() -> None:
    services = [item.data for _, item in demo_items() if item.data.kind == "service"]
    assert len(services) >= 35  # the shipped packs' service items
    for data in services:
        assert data.themes, data.code
        assert data.life_events, data.code
        assert all(Theme(t) for t in data.themes)
        assert all(LifeEvent(e) for e in data.life_events)


def test_a_theme_outside_the_vocabulary_is_refused(session: Session, market: Department) -> None:
    with pytest.raises(ValueError, match="themes"):
        make_item(session, market, themes=["astrology"])
    with pytest.raises(ValueError, match="life_events keys repeat"):
        make_item(session, market, life_events=["birth", "birth"])


# --- an item's page ------------------------------------------------------------------------------


def test_the_item_page_shows_limits_trips_fees_and_materials(
    app_client: TestClient, food_licence: ServiceItem, birth_certificate: ServiceItem
) -> None:
    answer = app_client.get(f"/services/{food_licence.code}", headers=HTML)
    assert answer.status_code == 200
    page = answer.text
    assert "<h1>食品经营许可</h1>" in page
    assert "杭州市市场监督管理局" in page
    assert '<dd id="legal-limit">20 个工作日</dd>' in page
    assert '<dd id="promised-limit">5 个工作日</dd>' in page
    assert '<dd id="trips">1 次</dd>' in page
    assert "3 次（网上办理少跑 2 次）" in page
    assert "证照工本费：10.00 元（浙价费〔2020〕1号）" in page
    assert "《中华人民共和国食品安全法》第三十五条" in page
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>', page)
    assert rows == [
        ("营业执照", "必交", "复印件"),
        ("平面布局图", "必交", "原件"),
        ("其他材料", "选交", "复印件"),
    ]
    assert "PDF、JPEG、PNG" in page
    assert "法人" in page
    assert "网上送达（电子证照）" in page
    assert f'href="/services/{food_licence.code}/apply">在线申请</a>' in page
    assert 'href="/services?by=theme#theme-operating_licence">准营准办</a>' in page

    free = app_client.get(f"/services/{birth_certificate.code}", headers=HTML).text
    assert "不收费" in free
    assert "0 次（零跑动，全程网办）" in free


def test_an_unknown_retired_or_complaint_code_is_not_found(
    app_client: TestClient, session: Session, market: Department, food_licence: ServiceItem
) -> None:
    category = make_category(session, market)
    food_licence.state = "retired"
    session.commit()
    for code in ("NO-SUCH-ITEM", category.code, food_licence.code):
        for path in (f"/services/{code}", f"/services/{code}/apply"):
            answer = app_client.get(path, headers=HTML)
            assert answer.status_code == 404, path
            assert "未找到办事事项" in answer.text
    english = app_client.get("/services/NO-SUCH-ITEM", params={"lang": "en"}, headers=HTML)
    assert english.status_code == 404
    assert "Service not found" in english.text


# --- the application form ------------------------------------------------------------------------


def _input(page: str, element_id: str) -> str:
    match = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{element_id}"[^>]*>', page)
    assert match, f"no field {element_id}"
    return match.group(0)


def test_the_form_is_generated_from_the_item(
    app_client: TestClient, food_licence: ServiceItem
) -> None:
    page = app_client.get(f"/services/{food_licence.code}/apply", headers=HTML).text
    assert re.search(
        r'<form method="post" action="/services/[^"]+/apply" enctype="multipart/form-data"', page
    )
    csrf_of(page)
    assert re.search(r'name="idempotency_key" value="[\w-]{20,}"', page)
    applicant_type = re.search(r'<select id="applicant-type".*?</select>', page, re.DOTALL)
    assert applicant_type
    assert re.findall(r'<option value="(\w+)"', applicant_type.group(0)) == ["enterprise"]
    assert "统一社会信用代码" in page  # the enterprise's identity number
    assert 'type="email"' in _input(page, "applicant-email")
    assert 'type="tel"' in _input(page, "applicant-phone")

    shop = _input(page, "field-shop")
    assert 'type="text"' in shop
    assert 'maxlength="100"' in shop
    assert "required" in shop
    assert _input(page, "field-scope").startswith("<textarea")
    assert 'maxlength="2000"' in _input(page, "field-scope")
    assert 'type="number"' in _input(page, "field-area")
    assert 'type="date"' in _input(page, "field-opening")
    assert 'type="tel"' in _input(page, "field-contact")
    assert 'type="checkbox"' in _input(page, "field-chain")
    assert 'type="radio"' in _input(page, "field-online-yes")
    kind = re.search(r'<select id="field-kind".*?</select>', page, re.DOTALL)
    assert kind
    assert "<option>餐饮服务经营者</option>" in kind.group(0)
    for label_for in ("field-shop", "field-area", "file-licence", "applicant-id-number"):
        assert f'<label for="{label_for}"' in page

    licence = _input(page, "file-licence")
    assert 'type="file"' in licence
    assert "required" in licence
    assert 'accept=".pdf,application/pdf,.jpg,.jpeg,image/jpeg,.png,image/png"' in licence
    assert 'accept=".pdf,application/pdf"' in _input(page, "file-layout")
    assert "required" not in _input(page, "file-other")
    delivery = re.search(r'<select id="delivery-method".*?</select>', page, re.DOTALL)
    assert delivery
    assert re.findall(r'<option value="(\w+)"', delivery.group(0)) == ["online", "pickup"]

    english = app_client.get(
        f"/services/{food_licence.code}/apply", params={"lang": "en"}, headers=HTML
    ).text
    assert "Unified social credit code" in english


def _form(page: str, **overrides: str) -> dict[str, str]:
    """The application form of the food licence filled in, as a browser would send it."""
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key
    values = {
        "csrf": csrf_of(page),
        "idempotency_key": key.group(1),
        "applicant_type": "enterprise",
        "applicant_name": "杭州西湖餐饮管理有限公司",
        "applicant_id_number": ENTERPRISE_ID,
        "applicant_phone": "13812345678",
        "applicant_email": "",
        "field_shop": "西湖小厨",
        "field_scope": "热食类食品制售",
        "field_area": "120",
        "field_opening": "2026-12-01",
        "field_kind": "餐饮服务经营者",
        "field_contact": "",
        "field_chain": "true",
        "field_online": "false",
        "delivery_method": "online",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


FILES = [
    ("file_licence", ("营业执照.pdf", PDF, "application/pdf")),
    ("file_layout", ("平面布局图.pdf", PDF + b"%layout", "application/pdf")),
    ("file_other", ("", b"", "application/octet-stream")),  # an input left empty
]


def _apply(
    client: TestClient, item: ServiceItem, data: dict[str, str], files: list[Any] | None = None
) -> Any:
    return client.post(
        f"/services/{item.code}/apply",
        data=data,
        files=FILES if files is None else files,
        headers=HTML,
    )


def test_applying_files_a_case_and_shows_its_number_and_code_once(
    app_client: TestClient, session: Session, settings: Settings, food_licence: ServiceItem
) -> None:
    page = app_client.get(f"/services/{food_licence.code}/apply", headers=HTML).text
    data = _form(page)
    answer = _apply(app_client, food_licence, data)
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"  # the code stays out of caches
    receipt = answer.text
    number = re.search(r'<dd id="case-number" class="code">([\d-]+)</dd>', receipt)
    code = re.search(r'<dd id="query-code" class="code">(\w{8})</dd>', receipt)
    assert number
    assert code
    assert '<dd id="case-state">已提交</dd>' in receipt
    # 预计 when the deadline reaches into a year whose holiday notice is not imported yet.
    assert re.search(
        r'<dd id="due-on">\d{4}-\d{2}-\d{2}(<span class="provisional">（预计）</span>)?</dd>',
        receipt,
    )
    assert "妥善保管" in receipt
    track = re.search(r'<form method="post" action="/track".*?</form>', receipt, re.DOTALL)
    assert track
    assert f'name="number" value="{number.group(1)}"' in track.group(0)
    assert f'name="code" value="{code.group(1)}"' in track.group(0)
    assert not re.search(rf'href="[^"]*{code.group(1)}', receipt)  # never in a URL

    session.expire_all()
    case = access.get_case(session, actor=SYSTEM, number=number.group(1), query_code=code.group(1))
    assert access.is_applicant(case, SYSTEM, code.group(1))
    assert (case.state, case.source, case.kind) == ("submitted", "web", "application")
    assert (case.applicant_type, case.applicant_id_number) == ("enterprise", ENTERPRISE_ID)
    assert case.delivery_method == "online"
    assert case.form_data == {
        "shop": "西湖小厨",
        "scope": "热食类食品制售",
        "area": 120.0,
        "opening": "2026-12-01",
        "kind": "餐饮服务经营者",
        "chain": True,
        "online": False,
    }
    stored = queries.materials_of(session, case)
    assert sorted((m.key, m.filename, m.file_type) for m in stored) == [
        ("layout", "平面布局图.pdf", "pdf"),
        ("licence", "营业执照.pdf", "pdf"),
    ]
    for material in stored:
        assert materials.path_of(settings.var_dir, material.digest).read_bytes()[:5] == b"%PDF-"

    again = _apply(app_client, food_licence, data)  # the same form sent twice
    assert again.status_code == 200
    assert f'<dd id="case-number" class="code">{number.group(1)}</dd>' in again.text
    assert f'<dd id="query-code" class="code">{code.group(1)}</dd>' in again.text
    assert "该申请此前已提交" in again.text
    assert _cases(session) == 1


def _kept_files(settings: Settings) -> list[Path]:
    root = settings.var_dir / "cases" / "materials"
    return [p for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp"]


@pytest.mark.parametrize(
    ("overrides", "files", "status", "message", "target"),
    [
        (
            {"applicant_id_number": "91330100MA27XL0F3X"},
            None,
            422,
            "统一社会信用代码无效",
            "applicant-id-number",
        ),
        ({"field_shop": ""}, None, 422, "请填写“经营场所名称”。", "field-shop"),
        ({"field_online": None}, None, 422, "请填写“是否网络经营”。", "field-online"),
        ({"applicant_email": "not-an-address"}, None, 422, "电子邮箱", "applicant-email"),
        (
            {},
            [
                ("file_licence", ("营业执照.pdf", PDF, "application/pdf")),
                ("file_layout", ("平面布局图.png", PNG, "image/png")),
            ],
            422,
            "该材料只接受：PDF",
            "file-layout",
        ),
        (
            {},
            [("file_licence", ("营业执照.pdf", PDF, "application/pdf"))],
            422,
            "缺少必交材料：平面布局图",
            "file-layout",
        ),
        (
            {},
            [
                ("file_licence", ("营业执照.pdf", PDF, "application/pdf")),
                ("file_layout", ("平面布局图.pdf", PDF + b"0" * 3000, "application/pdf")),
            ],
            413,
            "超过大小限制",
            "file-layout",
        ),
    ],
)
def test_a_refused_application_keeps_what_was_typed_and_files_nothing(
    app_client: TestClient,
    session: Session,
    settings: Settings,
    food_licence: ServiceItem,
    overrides: dict[str, str | None],
    files: list[Any] | None,
    status: int,
    message: str,
    target: str,
) -> None:
    if status == 413:
        app_client.app.state.settings.max_upload_bytes = 2000  # type: ignore[attr-defined]
    page = app_client.get(f"/services/{food_licence.code}/apply", headers=HTML).text
    data = _form(page, **overrides)  # type: ignore[arg-type]
    answer = _apply(app_client, food_licence, data, files)
    assert answer.status_code == status, answer.text
    refused = answer.text
    error = re.search(
        r'<div class="error" role="alert" id="form-error">(.*?)</div>', refused, re.DOTALL
    )
    assert error
    assert message in error.group(1)
    assert "申请未提交" in error.group(1)
    assert "已上传的材料均已保留" in error.group(1)  # no file need be chosen again
    assert re.search(r'id="file-licence-kept"><strong>已上传：</strong>营业执照.pdf', refused)
    assert f'<a href="#{target}">' in error.group(1)
    assert f'id="{target}-error"' in refused  # the message beside the field too
    assert 'value="杭州西湖餐饮管理有限公司"' in refused
    assert "热食类食品制售</textarea>" in refused
    assert "<option selected>餐饮服务经营者</option>" in refused
    assert f'name="idempotency_key" value="{data["idempotency_key"]}"' in refused
    session.expire_all()
    assert _cases(session) == 0
    assert _kept_files(settings) == []


def test_an_application_without_its_csrf_token_is_refused(
    app_client: TestClient, session: Session, food_licence: ServiceItem
) -> None:
    page = app_client.get(f"/services/{food_licence.code}/apply", headers=HTML).text
    for csrf in ("", "0" * 40):
        answer = _apply(app_client, food_licence, _form(page, csrf=csrf))
        assert answer.status_code == 403
        assert "CSRF" in answer.text
    assert _cases(session) == 0


# --- tracking and rating -------------------------------------------------------------------------


def _track(client: TestClient, number: str, code: str, lang: str = "zh-CN") -> Any:
    page = client.get("/track", headers=HTML).text
    return client.post(
        "/track",
        params={"lang": lang},
        data={"csrf": csrf_of(page), "number": number, "code": code},
        headers=HTML,
    )


def test_the_track_form_has_labelled_fields(app_client: TestClient) -> None:
    page = app_client.get("/track", headers=HTML).text
    assert '<label for="track-number">办件编号</label>' in page
    assert '<label for="track-code">查询码</label>' in page
    assert 'name="number"' in page
    assert 'name="code"' in page
    assert '<form method="post" action="/track"' in page


def test_a_case_is_tracked_with_its_number_and_query_code(
    app_client: TestClient,
    session: Session,
    tmp_path: Path,
    birth_certificate: ServiceItem,
) -> None:
    filed = apply(session, birth_certificate, tmp_path)
    session.commit()
    number, code = filed.case.number, filed.query_code or ""

    answer = _track(app_client, number, code.lower())  # typed in lower case
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"  # not brought back from a cache
    page = answer.text
    assert '<h2 id="case-title">出生医学证明首次签发</h2>' in page
    assert '<dd id="case-state"><strong>已提交</strong></dd>' in page
    assert "杭州市市场监督管理局" in page
    assert re.search(r"<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}</time> <strong>提交</strong>", page)
    assert "张**" in page
    assert CITIZEN_ID not in page
    assert "<dt>申请事由</dt><dd>测试</dd>" in page
    assert "办件结束（归档、不予受理或撤回）后可在此评价" in page
    assert 'action="/track/rate"' not in page

    for wrong_number, wrong_code in ((number, "ABCDEFGH"), ("330100-20250101-000001", code)):
        refused = _track(app_client, wrong_number, wrong_code)
        assert refused.status_code == 404
        assert "没有找到办件：办件编号或查询码不正确" in refused.text
        assert "出生医学证明首次签发" not in refused.text
        assert 'id="case-state"' not in refused.text

    english = _track(app_client, number, code, lang="en").text
    assert '<h2 id="case-title">First issue of a birth certificate</h2>' in english
    assert '<dd id="case-state"><strong>Submitted</strong></dd>' in english
    assert '<strong>Submitted</strong> <span class="meta">Applicant · submitted</span>' in english
    no_csrf = app_client.post("/track", data={"number": number, "code": code}, headers=HTML)
    assert no_csrf.status_code == 403
    assert "出生医学证明首次签发" not in no_csrf.text


def test_a_script_typed_into_the_form_is_shown_escaped(
    app_client: TestClient, session: Session, settings: Settings, food_licence: ServiceItem
) -> None:
    page = app_client.get(f"/services/{food_licence.code}/apply", headers=HTML).text
    script = "<script>alert(1)</script>"
    answer = _apply(app_client, food_licence, _form(page, field_shop=script))
    assert answer.status_code == 201, answer.text
    number = re.search(r'<dd id="case-number" class="code">([\d-]+)</dd>', answer.text)
    code = re.search(r'<dd id="query-code" class="code">(\w{8})</dd>', answer.text)
    assert number
    assert code
    tracked = _track(app_client, number.group(1), code.group(1)).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tracked
    assert script not in tracked
    assert "<dt>经营面积（平方米）</dt><dd>120</dd>" in tracked
    assert "<dt>是否连锁经营</dt><dd>是</dd>" in tracked


def _close(session: Session, staff: Actor, number: str) -> None:
    """Accept, review, approve, deliver and close the case, as its department's staff."""
    for action in ("accept", "start_review"):
        workflow.transition(session, actor=staff, number=number, action=action)
    case = access.get_case(session, actor=staff, number=number)
    for task in queries.tasks_of(session, case):
        workflow.complete_task(
            session, actor=staff, number=number, task_id=task.id, opinion="agree"
        )
    workflow.transition(
        session,
        actor=staff,
        number=number,
        action="decide",
        data=TransitionIn(decision="approved", document_number="杭食经〔2026〕0001号"),
    )
    workflow.transition(
        session,
        actor=staff,
        number=number,
        action="deliver",
        data=TransitionIn(delivery_method="courier", tracking_number="SF1234567890"),
    )
    workflow.transition(session, actor=staff, number=number, action="close")
    session.commit()


def test_a_closed_case_is_rated_once(
    app_client: TestClient,
    session: Session,
    tmp_path: Path,
    staff: Actor,
    birth_certificate: ServiceItem,
) -> None:
    filed = apply(session, birth_certificate, tmp_path)
    session.commit()
    number, code = filed.case.number, filed.query_code or ""
    _close(session, staff, number)

    page = _track(app_client, number, code).text
    assert '<dd id="case-state"><strong>已归档</strong></dd>' in page
    assert "准予许可，文书编号 杭食经〔2026〕0001号" in page
    assert "快递送达，快递单号 SF1234567890" in page
    for step in ("受理", "开始审查", "审查意见", "办结决定", "送达", "归档"):
        assert f"<strong>{step}</strong>" in page
    form = re.search(r'<form method="post" action="/track/rate".*?</form>', page, re.DOTALL)
    assert form
    radios = re.findall(
        r'<input type="radio" id="score-(\d)" name="score" value="\d" required>'
        r'<label for="score-\d">([^<]+)</label>',
        form.group(0),
    )
    assert radios == [
        ("1", "非常不满意"),
        ("2", "不满意"),
        ("3", "基本满意"),
        ("4", "满意"),
        ("5", "非常满意"),
    ]

    rating = {"csrf": csrf_of(page), "number": number, "code": code, "score": "5"}
    rated = app_client.post("/track/rate", data={**rating, "comment": "网上办很方便"}, headers=HTML)
    assert rated.status_code == 201, rated.text
    assert "您的评价：<strong>非常满意</strong>（5/5） — 网上办很方便" in rated.text
    assert 'action="/track/rate"' not in rated.text
    session.expire_all()
    stored = workflow.rating_of(session, access.get_case(session, actor=staff, number=number))
    assert stored is not None
    assert (stored.score, stored.comment, stored.via) == (5, "网上办很方便", "query_code")

    twice = app_client.post("/track/rate", data={**rating, "score": "1"}, headers=HTML)
    assert twice.status_code == 409
    assert f"办件 {number} 已评价过，每件只能评价一次。" in twice.text
    assert "非常满意" in twice.text  # the rating given stands

    wrong = app_client.post("/track/rate", data={**rating, "code": "ABCDEFGH"}, headers=HTML)
    assert wrong.status_code == 404
    assert "没有找到办件" in wrong.text


def test_an_open_case_cannot_be_rated_and_a_bad_score_is_refused(
    app_client: TestClient,
    session: Session,
    tmp_path: Path,
    staff: Actor,
    birth_certificate: ServiceItem,
) -> None:
    filed = apply(session, birth_certificate, tmp_path)
    session.commit()
    number, code = filed.case.number, filed.query_code or ""
    page = app_client.get("/track", headers=HTML).text
    rating = {"csrf": csrf_of(page), "number": number, "code": code}
    early = app_client.post("/track/rate", data={**rating, "score": "4"}, headers=HTML)
    assert early.status_code == 409
    assert "办件结束（归档、不予受理或撤回）后才能评价" in early.text

    workflow.transition(
        session,
        actor=staff,
        number=number,
        action="reject",
        data=TransitionIn(reason="不属于本机关受理范围"),
    )
    session.commit()
    for score in ("", "9"):
        bad = app_client.post(
            "/track/rate", data={**rating, "score": score, "comment": "窗口<b>"}, headers=HTML
        )
        assert bad.status_code == 422
        assert "评分应为 1 到 5。" in bad.text
        assert 'action="/track/rate"' in bad.text  # the form is still there
        assert 'maxlength="2000">窗口&lt;b&gt;</textarea>' in bad.text  # the comment is kept
    too_long = app_client.post(
        "/track/rate", data={**rating, "score": "2", "comment": "长" * 2001}, headers=HTML
    )
    assert too_long.status_code == 422
    assert 'id="rating-error"' in too_long.text
    assert 'name="score" value="2" required checked>' in too_long.text  # the score is kept
    assert "长" * 2001 in too_long.text
    tracked = _track(app_client, number, code).text
    assert '<dd id="case-state"><strong>不予受理</strong></dd>' in tracked
    assert "不属于本机关受理范围" in tracked  # the reason, as the applicant sees it
