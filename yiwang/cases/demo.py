"""The cases engine's demo: about six months of history on the service items and complaint
categories the domain packs installed (``[[cases.items]]``; the engine holds no sector content):
applications closed on time and late, some still open and overdue, 好差评 ratings, and
geolocated complaints in the 11 cities routed by the categories' routing. What applicants apply
for and complainants write is drawn by the packs' ``demo = {weight, texts}``.

The history is written in bulk (hundreds of cases with their transitions, review tasks,
materials and ratings in a few statements) with the deadlines counted by the same functions the
service uses, so that the demo loads in seconds; a few cases are then filed through the
services, and the supervision scan issues the cards due. A random generator with a fixed seed
makes it the same each run, relative to the day it is loaded."""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy import insert as sa_insert
from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc

from yiwang.cases import access, deadlines, filing, items, materials, numbers, supervision, tasks
from yiwang.cases.demo_data import CITY_POINTS, DISTRICTS, STREETS
from yiwang.cases.materials import Upload
from yiwang.cases.models import (
    Case,
    ItemVersion,
    Material,
    Rating,
    ServiceItem,
    Task,
    Transition,
)
from yiwang.cases.packs import demo_items
from yiwang.cases.vocab import CST, ItemKind, State
from yiwang.core import audit, clock, identity
from yiwang.core.calendar import WorkCalendar
from yiwang.core.config import get_settings
from yiwang.core.identity import Department
from yiwang.core.policy import SYSTEM

APPLICATIONS = 520
COMPLAINTS = 165
DAYS = 180
_PDF = b"%PDF-1.4\n% yiwang demo material\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌浩宇晨欣怡雨轩子涵"
_FIRMS = ("科技", "贸易", "餐饮管理", "建设工程", "物流", "文化传媒", "生物医药", "新材料")


def _resident_id(rng: random.Random) -> str:
    city = rng.choice(list(CITY_POINTS))
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 45))
    county = rng.choice(["02", "03", "04", "81", "82"])
    body = f"{city[:4]}{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _uscc(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    while True:
        body = "9133" + rng.choice(list(CITY_POINTS))[2:] + "".join(rng.choices(alphabet, k=9))
        number = body + uscc.calc_check_digit(body)
        if uscc.is_valid(number):
            return number


_DELIVERY_COLUMNS = (
    "delivery_recipient",
    "delivery_phone",
    "delivery_division_code",
    "delivery_address",
)


def _delivery(rng: random.Random, method: str, recipient: str, phone: str) -> dict[str, Any]:
    """The delivery columns of a demo application: by courier, to an address in one of the
    11 cities (a district of :data:`DISTRICTS`, a street of :data:`STREETS`)."""
    if method != "courier":
        return dict.fromkeys(_DELIVERY_COLUMNS) | {"delivery_method": method}
    city = rng.choice(list(DISTRICTS))
    return {
        "delivery_method": method,
        "delivery_recipient": recipient,
        "delivery_phone": phone,
        "delivery_division_code": DISTRICTS[city],
        "delivery_address": f"{rng.choice(STREETS)}{rng.randrange(1, 400)}号",
    }


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2))))


def _form(version: ItemVersion, rng: random.Random, day: dt.date) -> dict[str, object]:
    values: dict[str, object] = {}
    for spec in version.form_fields:
        key, kind = spec["key"], spec.get("type", "text")
        if kind == "number":
            values[key] = rng.choice((50, 100, 120, 300, 500))
        elif kind == "date":
            values[key] = (day - dt.timedelta(days=rng.randrange(1, 20))).isoformat()
        elif key == "company_name":
            values[key] = f"浙江{rng.choice('瑞恒达鑫博远华泰')}{rng.choice(_FIRMS)}有限公司"
        elif key == "child_name":
            values[key] = _name(rng)
        else:
            values[key] = rng.choice(("新办", "按要求申请", "业务需要", "扩大经营"))
    return values


def _moment(day: dt.date, rng: random.Random, start: int = 9, end: int = 17) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(start, end), rng.randrange(60)), CST)


@dataclass
class _History:
    """Rows of the demo's history, inserted in bulk at the end."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    materials: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)

    def number(self, division: str, day: dt.date) -> str:
        prefix = f"{division}-{day:%Y%m%d}"
        self.sequences[prefix] = self.sequences.get(prefix, 0) + 1
        return f"{prefix}-{self.sequences[prefix]:06d}"


@dataclass
class _Target:
    item: ServiceItem
    version: ItemVersion
    department_id: int
    division: str
    steps: list[tuple[str, str, list[int]]]
    staff: str


def _targets(session: Session) -> dict[str, _Target]:
    found: dict[str, _Target] = {}
    for item, version in items.list_items(session):
        department = identity.get_department(session, item.department_id)
        steps = [
            (
                step["key"],
                step["name"],
                [identity.find_department(session, s).id for s in step["departments"]]
                or [item.department_id],
            )
            for step in version.steps or [{"key": "review", "name": "审查", "departments": []}]
        ]
        found[item.code] = _Target(
            item, version, item.department_id, department.division_code, steps, department.slug
        )
    return found


def _drawn(
    targets: dict[str, _Target],
) -> tuple[list[tuple[_Target, int]], list[tuple[_Target, int, tuple[str, ...]]]]:
    """The packs' items installed here, by code: the service items applied for, with their
    weights, and the complaint categories complained of, with their weights and texts."""
    services: list[tuple[_Target, int]] = []
    categories: list[tuple[_Target, int, tuple[str, ...]]] = []
    for _pack, found in sorted(demo_items(), key=lambda entry: entry[1].data.code):
        target = targets.get(found.data.code)
        if target is None or target.item.kind != found.data.kind or found.weight <= 0:
            continue
        if found.data.kind == ItemKind.SERVICE:
            services.append((target, found.weight))
        elif found.data.kind == ItemKind.COMPLAINT_CATEGORY and found.texts:
            categories.append((target, found.weight, found.texts))
    return services, categories


def _simulate(  # noqa: PLR0915  (one case's story, told step by step)
    history: _History,
    rng: random.Random,
    cal: WorkCalendar,
    target: _Target,
    *,
    case_id: int,
    submitted: dt.datetime,
    today: dt.date,
    values: dict[str, Any],
    department_id: int,
    division: str,
    staff_names: dict[int, str],
) -> None:
    """Append one case and what happened to it up to ``today``."""
    version = target.version
    complaint = values["kind"] == "complaint"
    day = submitted.astimezone(CST).date()
    legal_due, due = deadlines.due_dates(
        cal, day, legal_days=version.legal_limit_days, promised_days=version.promised_limit_days
    )
    number = history.number(division, day)
    case: dict[str, Any] = {
        "id": case_id,
        "number": number,
        "item_id": target.item.id,
        "item_version_id": version.id,
        "department_id": department_id,
        "division_code": division,
        "state": State.SUBMITTED.value,
        "is_open": True,
        "query_code_digest": access.code_digest(number, f"DEMO{case_id:08d}"),
        "idempotency_key": None,
        "submitted_at": submitted,
        "submitted_on": day,
        "updated_at": submitted,
        "legal_due_on": legal_due,
        "due_on": due,
        "warn_days": version.warn_days,
        "paused_on": None,
        "paused_from": None,
        "paused_workdays": 0,
        "next_card_on": deadlines.next_card_on(
            cal, due_on=due, card=None, warn_days=version.warn_days
        ),
        "card": None,
        "finished_on": None,
        "workdays_used": None,
        "on_time": None,
        "decision": None,
        "decision_document": None,
        "tracking_number": None,
        "reply": None,
        "trips": version.trips,
        "trips_offline": version.trips_offline,
        "applicant_user_id": None,
        **values,
    }
    history.cases.append(case)
    staff = staff_names[department_id]

    def step(
        action: str,
        to: State,
        when: dt.datetime,
        party: str = "responsible",
        reason: str | None = None,
    ) -> None:
        history.transitions.append(
            {
                "case_id": case_id,
                "action": action,
                "from_state": case["state"],
                "to_state": to.value,
                "party": party,
                "actor_id": None,
                "actor_name": "applicant" if party == "applicant" else staff,
                "department_id": None if party == "applicant" else department_id,
                "reason": reason,
                "details": {},
                "at": when,
            }
        )
        case["state"] = to.value
        case["updated_at"] = when

    history.transitions.append(
        {
            "case_id": case_id,
            "action": "submit",
            "from_state": None,
            "to_state": State.SUBMITTED.value,
            "party": "applicant",
            "actor_id": None,
            "actor_name": "anonymous",
            "department_id": None,
            "reason": None,
            "details": {"version": version.number},
            "at": submitted,
        }
    )
    limit = max(1, cal.workdays_between(day, due))
    span = rng.randint(1, limit) if rng.random() < 0.82 else limit + rng.randint(1, 6)
    accept_on = cal.add_workdays(day, 0 if rng.random() < 0.6 else 1)
    if accept_on > today:
        return

    def finish(on: dt.date) -> None:
        case["finished_on"] = on
        case["on_time"] = on <= case["due_on"]
        case["next_card_on"] = None
        case["workdays_used"] = max(0, cal.workdays_between(day, on) - case["paused_workdays"])

    if not complaint and rng.random() < 0.05:
        step(
            "reject",
            State.REJECTED,
            _moment(accept_on, rng),
            reason="申请事项不属于本机关职权范围，请向属地部门申请。",
        )
        case["reply"] = "申请事项不属于本机关职权范围，请向属地部门申请。"
        case["is_open"] = False
        finish(accept_on)
        return
    step("accept", State.ACCEPTED, _moment(accept_on, rng))
    step("start_review", State.IN_REVIEW, _moment(accept_on, rng, 14, 18))
    tasks_: list[dict[str, Any]] = [
        {
            "case_id": case_id,
            "step_key": key,
            "step_name": name,
            "position": position,
            "department_id": dept,
            "state": "pending",
            "opinion": None,
            "comment": None,
            "done_by_id": None,
            "done_at": None,
        }
        for position, (key, name, departments) in enumerate(target.steps, start=1)
        for dept in departments
    ]
    history.tasks.extend(tasks_)
    if not complaint and rng.random() < 0.08:
        asked = _moment(accept_on, rng, 15, 18)
        step(
            "request_supplement",
            State.SUPPLEMENT_REQUESTED,
            asked,
            reason="请补充提交清晰的证明材料。",
        )
        back = cal.add_workdays(accept_on, rng.randint(1, 4))
        if back > today:
            case["paused_on"], case["paused_from"], case["next_card_on"] = (
                accept_on,
                State.IN_REVIEW.value,
                None,
            )
            return
        stopped = deadlines.stopped_workdays(cal, accept_on, back)
        case["paused_workdays"] = stopped
        case["due_on"] = cal.add_workdays(case["due_on"], stopped)
        case["legal_due_on"] = cal.add_workdays(case["legal_due_on"], stopped)
        case["next_card_on"] = deadlines.next_card_on(
            cal, due_on=case["due_on"], card=None, warn_days=case["warn_days"]
        )
        step("supplement", State.IN_REVIEW, _moment(back, rng), party="applicant")
        span += stopped
    decided_on = cal.add_workdays(day, span)
    if decided_on >= today:
        return  # still in review: the overdue ones get their cards from the scan
    reviewed = _moment(decided_on, rng, 9, 12)
    for task in tasks_:
        task.update(state="done", opinion="agree", comment="经审查，符合规定。", done_at=reviewed)
    when = _moment(decided_on, rng, 13, 18)
    if complaint:
        outcome = "resolved" if rng.random() < 0.8 else "unsubstantiated"
        case["reply"] = (
            "经现场核查，问题属实，已责令整改并完成处置，感谢您的监督。"
            if outcome == "resolved"
            else "经现场核查，未发现所反映的问题，将加强日常巡查。"
        )
        case["decision"] = outcome
        step("decide", State.DECIDED, when)
        finish(decided_on)
        step("close", State.CLOSED, when)
    elif rng.random() < 0.92:
        case["decision"] = "approved"
        case["decision_document"] = f"{number[-15:]}-{rng.randrange(10000):04d}"
        step("decide", State.DECIDED, when)
        finish(decided_on)
        send = cal.add_workdays(decided_on, 1)
        if send > today:
            return
        method = case.get("delivery_method") or "online"
        if method == "courier":
            case["tracking_number"] = f"SF{rng.randrange(10**11, 10**12)}"
        step("deliver", State.DELIVERED, _moment(send, rng))
        step("close", State.CLOSED, _moment(send, rng, 17, 19))
    else:
        case["decision"] = "denied"
        step("decide", State.DECIDED, when, reason="经审查，申请材料不符合法定条件。")
        finish(decided_on)
        step("close", State.CLOSED, when)
    case["is_open"] = case["state"] not in (State.CLOSED.value, State.REJECTED.value)
    if case["state"] == State.CLOSED.value and rng.random() < 0.7:
        late = not case["on_time"]
        history.ratings.append(
            {
                "case_id": case_id,
                "score": rng.choice((1, 2, 3, 4)) if late else rng.choice((3, 4, 5, 5, 5)),
                "comment": rng.choice(
                    (None, "办事效率高", "服务态度好", "网上办很方便", "等待时间偏长")
                ),
                "department_id": department_id,
                "item_id": target.item.id,
                "via": "query_code",
                "rated_at": _moment(min(today, decided_on + dt.timedelta(days=2)), rng, 19, 22),
            }
        )


def _write(session: Session, history: _History) -> None:
    dialect = session.get_bind().dialect.name
    session.execute(sa_insert(Case), history.cases)
    session.execute(sa_insert(Transition), history.transitions)
    if history.tasks:
        session.execute(sa_insert(Task), history.tasks)
    session.execute(sa_insert(Material), history.materials)
    if history.ratings:
        session.execute(sa_insert(Rating), history.ratings)
    numbers.raise_counters(session, history.sequences)
    if dialect == "postgresql":  # ids were given: move the sequence past them
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('cases_cases', 'id'), "
                "(SELECT max(id) FROM cases_cases))"
            )
        )


def _mark_provisional(cal: WorkCalendar, cases: list[dict[str, Any]]) -> None:
    """Say which cases' deadlines were counted over a year with no official schedule."""
    for case in cases:
        dates = [case[k] for k in ("legal_due_on", "due_on", "next_card_on") if case[k]]
        case["deadline_provisional"] = cal.is_provisional(case["submitted_on"], max(dates))


def load(session: Session) -> None:
    """Load the demo's history on the items the packs installed (:func:`yiwang.demo.load`
    installs them first); the core demo's departments must exist."""
    rng = random.Random("yiwang-cases-demo")  # noqa: S311  (not for secrets)
    services, categories = _drawn(_targets(session))
    cal = deadlines.work_calendar(session)
    today = clock.today()
    storage = filing.Storage(root=Path(get_settings().var_dir), max_bytes=10**7)
    pdf = materials.store(
        session,
        Upload("demo", "demo.pdf", io.BytesIO(_PDF)),
        root=storage.root,
        max_bytes=storage.max_bytes,
        accepted=["pdf"],
        material_name="demo",
    )
    jpeg = materials.store(
        session,
        Upload("demo", "demo.jpg", io.BytesIO(_JPEG)),
        root=storage.root,
        max_bytes=storage.max_bytes,
        accepted=["jpeg"],
        material_name="demo",
    )
    staff_names = {d.id: f"{d.slug}_editor" for d in session.scalars(select(Department))}
    history = _History()
    next_id = (session.scalar(select(func.max(Case.id))) or 0) + 1
    weights = [weight for _, weight in services]
    moments = sorted(
        _moment(today - dt.timedelta(days=rng.randrange(1, DAYS)), rng, 8, 20)
        for _ in range(APPLICATIONS if services else 0)
    )
    for submitted in moments:
        target = rng.choices(services, weights=weights)[0][0]
        version = target.version
        kind = rng.choice(version.applicant_types)
        day = submitted.astimezone(CST).date()
        applicant = _name(rng)  # the citizen, or who receives an enterprise's result
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        for material in version.materials:
            if material.get("mandatory", True):
                stored = pdf if "pdf" in material["types"] else jpeg
                history.materials.append(
                    {
                        "case_id": next_id,
                        "key": material["key"],
                        "purpose": "application",
                        "filename": f"{material['name']}.{'pdf' if stored is pdf else 'jpg'}",
                        "file_type": stored.file_type,
                        "size": stored.size,
                        "digest": stored.digest,
                        "uploaded_at": submitted,
                    }
                )
        _simulate(
            history,
            rng,
            cal,
            target,
            case_id=next_id,
            submitted=submitted,
            today=today,
            department_id=target.department_id,
            division=target.division,
            staff_names=staff_names,
            values={
                "kind": "application",
                "source": "demo",
                "applicant_type": kind,
                "applicant_name": applicant
                if kind == "citizen"
                else f"浙江{rng.choice('瑞恒达鑫')}{rng.choice(_FIRMS)}有限公司",
                "applicant_id_number": _resident_id(rng) if kind == "citizen" else _uscc(rng),
                "applicant_phone": phone,
                "applicant_email": None,
                "form_data": _form(version, rng, day),
                "extra": {},
                **_delivery(rng, rng.choice(version.delivery_methods), applicant, phone),
                "latitude": None,
                "longitude": None,
                "address": None,
                "description": None,
                "media_url": None,
            },
        )
        next_id += 1
    category_weights = [weight for _, weight, _ in categories]
    cities = list(CITY_POINTS)
    moments = sorted(
        _moment(today - dt.timedelta(days=rng.randrange(1, DAYS)), rng, 7, 23)
        for _ in range(COMPLAINTS if categories else 0)
    )
    for index, submitted in enumerate(moments):
        target, _, texts = rng.choices(categories, weights=category_weights)[0]
        city = cities[index % len(cities)]
        lat, long, district = CITY_POINTS[city]
        department_id = filing.route_complaint(session, target.version, target.item, city)
        contact = rng.random() < 0.6
        _simulate(
            history,
            rng,
            cal,
            target,
            case_id=next_id,
            submitted=submitted,
            today=today,
            department_id=department_id,
            division=city,
            staff_names=staff_names,
            values={
                "kind": "complaint",
                "source": "demo",
                "applicant_type": None,
                "applicant_name": _name(rng) if contact else None,
                "applicant_id_number": None,
                "applicant_phone": f"139{rng.randrange(10**8):08d}" if contact else None,
                "applicant_email": None,
                "form_data": {},
                "extra": {},
                "delivery_method": None,
                "latitude": round(lat + rng.uniform(-0.03, 0.03), 6),
                "longitude": round(long + rng.uniform(-0.03, 0.03), 6),
                "address": f"浙江省{district}{rng.choice(STREETS)}{rng.randrange(1, 300)}号附近",
                "description": rng.choice(texts),
                "media_url": None,
            },
        )
        next_id += 1
    _mark_provisional(cal, history.cases)
    _write(session, history)
    audit.record(
        session,
        actor=SYSTEM,
        action="cases.demo.load",
        object_type="case",
        details={"cases": len(history.cases), "until": today.isoformat()},
    )
    supervision.scan(session, today=today)
    tasks.schedule_supervision(session)
