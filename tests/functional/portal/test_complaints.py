"""投诉建议 on the portal: the categories are the Open311 services, grouped by department; the
form files a complaint with a map pin (placed in its city on the server) or with an address
and a city; errors come back on the form in the user's language with what was typed; a
double submission files once; the receipt shows the number, the query code, the department
and the promised reply date, and hands them to the tracking page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.cases import make_category
from tests.factories.core import make_department
from yiwang.cases import access, queries
from yiwang.cases.models import Case, ServiceItem
from yiwang.core.identity import Department
from yiwang.core.policy import ANONYMOUS, SYSTEM

HTML = {"Accept": "text/html"}
HANGZHOU_PIN = {"longitude": "120.16", "latitude": "30.27"}


class Desk:
    """Two departments owning categories; Hangzhou's and Ningbo's bureaus take their cities'
    noise complaints."""

    def __init__(self, session: Session) -> None:
        self.env: Department = make_department(
            session,
            name_zh="浙江省生态环境厅",
            name_en="Department of Ecology and Environment of Zhejiang",
            division_code="330000",
            slug="t-zjenv",
        )
        self.transport: Department = make_department(
            session, name_zh="浙江省交通运输厅", division_code="330000", slug="t-zjjt"
        )
        self.hangzhou: Department = make_department(
            session, name_zh="杭州市生态环境局", division_code="330100", slug="t-hzenv"
        )
        self.ningbo: Department = make_department(
            session, name_zh="宁波市生态环境局", division_code="330200", slug="t-nbenv"
        )
        self.noise: ServiceItem = make_category(
            session,
            self.env,
            name="噪声扰民",
            name_en="Noise",
            description="夜间施工、商铺外放等噪声",
            routing={"330100": "t-hzenv", "330200": "t-nbenv", "default": "t-zjenv"},
        )
        self.road: ServiceItem = make_category(
            session, self.transport, name="道路损坏", description="路面坑洞、井盖缺失"
        )
        self.smell: ServiceItem = make_category(
            session, self.env, name="异味污染", promised_limit_days=3
        )
        session.commit()


@pytest.fixture
def desk(session: Session) -> Desk:
    return Desk(session)


def form_of(client: TestClient, category: str = "", **params: str) -> dict[str, str]:
    """The hidden fields of the form as the server rendered it (CSRF token, idempotency key)."""
    page = client.get("/complaints/new", params={"category": category, **params}, headers=HTML)
    assert page.status_code == 200
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    assert hidden["csrf"]
    assert hidden["idempotency_key"]
    return {"csrf": hidden["csrf"], "idempotency_key": hidden["idempotency_key"]}


def post(client: TestClient, fields: dict[str, str], **params: str) -> Any:
    return client.post("/complaints/new", data=fields, params=params, headers=HTML)


def complaints(session: Session) -> int:
    session.expire_all()
    _, total = queries.list_cases(
        session, actor=SYSTEM, filters=queries.CaseFilters(kind="complaint"), limit=1
    )
    return total or 0


def receipt_of(page: str) -> tuple[str, str]:
    number = re.search(r'<dd id="case-number" class="token">([^<]+)</dd>', page)
    code = re.search(r'<dd id="query-code" class="token">([^<]+)</dd>', page)
    assert number is not None, page
    assert code is not None, page
    return number.group(1), code.group(1)


def filed_case(session: Session, number: str) -> Case:
    session.expire_all()
    case = queries.find_case(session, number=number)
    assert case is not None
    return case


# --- the categories ------------------------------------------------------------------------------


def test_the_categories_are_the_open311_services_by_department(
    app_client: TestClient, desk: Desk
) -> None:
    services = app_client.get("/open311/v2/services.json").json()
    page = app_client.get("/complaints", headers=HTML)
    assert page.status_code == 200
    shown = re.findall(r'<li data-category="([^"]+)">', page.text)
    assert sorted(shown) == sorted(s["service_code"] for s in services)
    # Grouped by department, each group in the order of the service list.
    sections = re.findall(r'<h3 id="group-\d+">([^<]+)</h3>(.*?)</section>', page.text, re.DOTALL)
    assert {html.unescape(name) for name, _ in sections} == {s["group"] for s in services}
    for name, body in sections:
        in_group = [s["service_code"] for s in services if s["group"] == html.unescape(name)]
        assert re.findall(r'<li data-category="([^"]+)">', body) == in_group
    env = dict(sections)["浙江省生态环境厅"]
    assert "噪声扰民" in env
    assert "夜间施工、商铺外放等噪声" in env
    assert "主管部门：浙江省生态环境厅" in env
    assert f'href="/complaints/new?category={desk.noise.code}"' in env
    assert "我要投诉/建议" in env
    for link in ('href="/track"', 'href="/open311/discovery.json"', 'href="/api/docs"'):
        assert link in page.text
    assert 'href="/open311/v2/services.json"' in page.text


def test_the_form_offers_the_services_with_the_one_asked_for_chosen(
    app_client: TestClient, desk: Desk
) -> None:
    page = app_client.get("/complaints/new", params={"category": desk.road.code}, headers=HTML)
    assert page.status_code == 200
    options = re.findall(r'<option value="(T-CAT-[^"]+)"[^>]*?( selected)?>', page.text)
    services = [s["service_code"] for s in app_client.get("/open311/v2/services.json").json()]
    assert sorted(code for code, _ in options) == sorted(services)
    assert [code for code, selected in options if selected] == [desk.road.code]
    for field in ("category", "description", "address", "city", "contact_name", "phone", "email"):
        assert f'<label for="{field}"' in page.text
    assert 'maxlength="10000"' in page.text  # the schema's limit on the description
    assert 'data-map-url="/static/vendor/echarts/zhejiang.json?v=4.9.0"' in page.text
    assert '<option value="330100">杭州市（330100）</option>' in page.text
    assert '<option value="331100">丽水市（331100）</option>' in page.text
    assert "联系方式只供承办部门回访使用，在公开信息中隐去" in page.text
    # A fresh idempotency key each time the form is opened.
    assert form_of(app_client)["idempotency_key"] != form_of(app_client)["idempotency_key"]


# --- filing --------------------------------------------------------------------------------------


def test_a_pin_in_hangzhou_is_filed_there_and_routed_to_hangzhou(
    app_client: TestClient, session: Session, desk: Desk
) -> None:
    fields = form_of(app_client, desk.noise.code) | HANGZHOU_PIN
    fields |= {
        "category": desk.noise.code,
        "description": "工地凌晨仍在打桩",
        "city": "330200",  # the browser's word for the city is not taken when a pin is given
        "contact_name": "王五",
        "phone": "13800001234",
        "email": "wang@example.cn",
    }
    response = post(app_client, fields)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"  # the code stays out of caches
    number, code = receipt_of(response.text)
    case = filed_case(session, number)
    assert (case.latitude, case.longitude) == (30.27, 120.16)
    assert case.division_code == "330100"
    assert number.startswith("330100-")
    assert case.department_id == desk.hangzhou.id  # the category's routing for Hangzhou
    assert case.kind == "complaint"
    assert case.source == "web"
    assert case.description == "工地凌晨仍在打桩"
    assert (case.applicant_name, case.applicant_phone) == ("王五", "13800001234")
    assert access.is_applicant(case, ANONYMOUS, code)  # the code shown opens the case

    page = response.text
    assert '<dd id="department">杭州市生态环境局</dd>' in page
    assert f"5 个工作日内（{case.due_on.isoformat()} 前）" in page
    assert "查询码只在此显示一次" in page
    track = re.search(r'<form method="post" action="/track"[^>]*>(.*?)</form>', page, re.DOTALL)
    assert track is not None
    assert f'<input type="hidden" name="number" value="{number}">' in track.group(1)
    assert f'<input type="hidden" name="code" value="{code}">' in track.group(1)
    assert 'name="csrf"' in track.group(1)
    assert "查看办理进度" in track.group(1)
    hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', track.group(1)))
    tracked = app_client.post("/track", data=hidden, headers=HTML)
    assert tracked.status_code == 200
    assert number in tracked.text
    assert "工地凌晨仍在打桩" in tracked.text


def test_an_address_and_a_city_without_a_pin(
    app_client: TestClient, session: Session, desk: Desk
) -> None:
    fields = form_of(app_client) | {
        "category": desk.noise.code,
        "description": "广场舞音量过大影响休息",
        "address": "宁波市海曙区中山西路 1 号",
        "city": "330200",
        "contact_name": "赵六",
        "anonymous": "1",  # the contact typed before ticking the box is not kept
    }
    response = post(app_client, fields)
    assert response.status_code == 201, response.text
    number, _ = receipt_of(response.text)
    case = filed_case(session, number)
    assert case.division_code == "330200"
    assert case.department_id == desk.ningbo.id
    assert (case.latitude, case.longitude) == (None, None)
    assert case.address == "宁波市海曙区中山西路 1 号"
    assert case.applicant_name is None
    assert "宁波市生态环境局" in response.text


def test_a_category_without_routing_goes_to_its_own_department(
    app_client: TestClient, session: Session, desk: Desk
) -> None:
    fields = form_of(app_client) | HANGZHOU_PIN
    fields |= {"category": desk.smell.code, "description": "化工厂异味"}
    response = post(app_client, fields)
    assert response.status_code == 201
    case = filed_case(session, receipt_of(response.text)[0])
    assert case.department_id == desk.env.id
    assert f"3 个工作日内（{case.due_on.isoformat()} 前）" in response.text


@pytest.mark.parametrize(
    ("longitude", "latitude"),
    [("123.5", "29.0"), ("121.47", "31.23")],
    ids=["at-sea", "shanghai"],
)
def test_a_pin_outside_the_province_is_refused_on_the_form(
    app_client: TestClient, session: Session, desk: Desk, longitude: str, latitude: str
) -> None:
    before = complaints(session)
    fields = form_of(app_client) | {
        "category": desk.noise.code,
        "description": "夜间施工噪声",
        "longitude": longitude,
        "latitude": latitude,
        "address": "某地",
        "city": "330100",  # a city chosen does not save a pin outside the province
    }
    response = post(app_client, fields)
    assert response.status_code == 422
    page = response.text
    assert "不在浙江省 11 个设区市内" in page
    assert f"经度 {float(longitude):.5f}" in page
    assert 'role="alert"' in page
    # What was typed comes back, the pin too.
    assert ">夜间施工噪声</textarea>" in page
    assert f'name="longitude" value="{longitude}"' in page
    assert f'name="latitude" value="{latitude}"' in page
    assert f'<option value="{desk.noise.code}"' in page
    assert re.search(rf'<option value="{desk.noise.code}"[^>]* selected>', page)
    assert f'name="idempotency_key" value="{fields["idempotency_key"]}"' in page
    assert complaints(session) == before


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        ({"description": "   "}, "请填写投诉或建议的内容。", "description"),
        ({"description": "x" * 10001}, "投诉或建议内容最多 10000 个字符（现有 10001 个）。", None),
        ({"category": ""}, "请选择投诉类别。", "category"),
        ({"category": "NO-SUCH"}, "“NO-SUCH”不是投诉类别。", "category"),
        ({"longitude": "", "latitude": ""}, "请在地图上点选位置，或填写地址并选择所在城市。", None),
        (
            {"longitude": "", "latitude": "", "address": "杭州市上城区"},
            "填写地址时请选择所在城市。",
            "city",
        ),
        ({"longitude": "东经120", "latitude": "30"}, "地图位置无效，请在地图上重新点选。", None),
        ({"email": "not-an-address"}, "电子邮箱格式不正确：not-an-address", "email"),
    ],
    ids=[
        "empty",
        "too-long",
        "no-category",
        "unknown-category",
        "no-location",
        "no-city",
        "bad-point",
        "bad-email",
    ],
)
def test_what_cannot_be_filed_comes_back_with_a_chinese_message(
    app_client: TestClient,
    session: Session,
    desk: Desk,
    changes: dict[str, str],
    message: str,
    field: str | None,
) -> None:
    before = complaints(session)
    fields = form_of(app_client) | HANGZHOU_PIN
    fields |= {"category": desk.noise.code, "description": "路灯不亮"} | changes
    response = post(app_client, fields)
    assert 400 <= response.status_code < 500
    assert f'<p class="error" role="alert" id="form-error">{html.escape(message)}</p>' in (
        response.text
    )
    if field is not None:
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', response.text)
    assert complaints(session) == before


def test_a_script_in_the_description_comes_back_escaped(
    app_client: TestClient, session: Session, desk: Desk
) -> None:
    fields = form_of(app_client) | {
        "category": desk.noise.code,
        "description": "<script>alert(1)</script>",
        "address": '"><script>alert(2)</script>',
    }
    response = post(app_client, fields)
    assert response.status_code == 422  # no city chosen for the address
    assert "<script>alert(" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in response.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in response.text


def test_without_the_csrf_token_nothing_is_filed(
    app_client: TestClient, session: Session, desk: Desk
) -> None:
    before = complaints(session)
    fields = form_of(app_client) | HANGZHOU_PIN
    fields |= {"category": desk.noise.code, "description": "夜间施工噪声"}
    del fields["csrf"]
    assert post(app_client, fields).status_code == 403
    fields["csrf"] = "forged"
    response = post(app_client, fields)
    assert response.status_code == 403
    assert "表单已失效或缺少 CSRF 令牌" in response.text
    assert complaints(session) == before


def test_a_double_submission_files_once(
    app_client: TestClient, session: Session, desk: Desk
) -> None:
    before = complaints(session)
    fields = form_of(app_client) | HANGZHOU_PIN
    fields |= {"category": desk.noise.code, "description": "商铺音响外放声音过大"}
    first = post(app_client, fields)
    again = post(app_client, fields)
    assert (first.status_code, again.status_code) == (201, 200)
    assert receipt_of(first.text) == receipt_of(again.text)  # the same number and query code
    assert "这份表单已经提交过，没有重复登记" in again.text
    assert complaints(session) == before + 1
    fresh = post(app_client, fields | {"idempotency_key": form_of(app_client)["idempotency_key"]})
    assert fresh.status_code == 201
    assert receipt_of(fresh.text)[0] != receipt_of(first.text)[0]
    assert complaints(session) == before + 2


def test_the_pages_in_english(app_client: TestClient, session: Session, desk: Desk) -> None:
    page = app_client.get("/complaints", params={"lang": "en"}, headers=HTML)
    assert '<html lang="en">' in page.text
    assert "Complaints and suggestions" in page.text
    assert "File a complaint or suggestion" in page.text
    assert "How a complaint is handled" in page.text
    assert '<strong class="complaint-category-name">Noise</strong>' in page.text
    assert "Department of Ecology and Environment of Zhejiang" in page.text
    assert "噪声扰民" not in page.text
    assert "噪声扰民" in app_client.get("/complaints", params={"lang": "zh-CN"}, headers=HTML).text
    app_client.cookies.set("yiwang_lang", "en")
    form = app_client.get("/complaints/new", params={"lang": "en"}, headers=HTML)
    assert '<html lang="en">' in form.text
    assert '<label for="description">What is wrong, or what do you suggest? *</label>' in form.text
    fields = form_of(app_client, lang="en") | {
        "category": desk.noise.code,
        "description": "Loud music at night",
        "longitude": "121.47",
        "latitude": "31.23",
    }
    refused = post(app_client, fields)  # the language is remembered by the cookie
    assert refused.status_code == 422
    assert "is not in any of Zhejiang&#39;s 11 cities" in refused.text
    filed = post(app_client, fields | HANGZHOU_PIN)
    assert filed.status_code == 201
    assert "Your complaint has been sent" in filed.text
    assert "within 5 working days" in filed.text
    assert "<dd>Noise</dd>" in filed.text


def test_a_category_s_own_questions_are_asked_and_kept(
    app_client: TestClient, session: Session, desk: Desk
) -> None:
    pothole = make_category(
        session,
        desk.transport,
        name="井盖缺失",
        form_fields=[
            {
                "key": "kind",
                "label": "破损类型",
                "type": "select",
                "required": True,
                "options": ["坑洞", "井盖缺失"],
            },
            {"key": "width", "label": "宽度（米）", "type": "number"},
        ],
    )
    session.commit()
    page = app_client.get("/complaints/new", params={"category": pothole.code}, headers=HTML)
    kind, width = f"attr:{pothole.code}:kind", f"attr:{pothole.code}:width"
    assert f'<fieldset class="complaint-attributes" data-category="{pothole.code}">' in page.text
    assert f'<label for="{kind}">破损类型 *</label>' in page.text
    assert '<option value="井盖缺失">井盖缺失</option>' in page.text

    fields = form_of(app_client) | HANGZHOU_PIN
    fields |= {"category": pothole.code, "description": "人行道井盖缺失", width: "0.8"}
    refused = post(app_client, fields)
    assert refused.status_code == 422
    assert "请填写“破损类型”。" in refused.text
    assert f'name="{width}" value="0.8"' in refused.text
    filed = post(app_client, fields | {kind: "井盖缺失"})
    assert filed.status_code == 201
    case = filed_case(session, receipt_of(filed.text)[0])
    assert case.form_data == {"kind": "井盖缺失", "width": 0.8}
