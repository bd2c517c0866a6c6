"""The console's front page, the workbench (工作台) a member of staff lands on after signing in:
what waits for their department (for a system administrator, the province), each count a link
to the list it counts, and the sections they may use."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yiwang.cases import public as cases
from yiwang.catalog import public as catalog
from yiwang.core import calendar, identity, policy
from yiwang.core.db import utcnow
from yiwang.core.policy import Actor
from yiwang.core.web.deps import SessionDep, SignedInActor
from yiwang.core.web.templating import render_page
from yiwang.sensing import public as sensing

router = APIRouter()


@dataclass(frozen=True, slots=True)
class Section:
    href: str
    name: tuple[str, str]  # zh, en
    note: tuple[str, str]


_SECTIONS = (
    Section(
        "/console/data",
        ("数据目录", "Datasets"),
        ("本部门的数据资源、上传新版本", "Your department's resources; upload new versions"),
    ),
    Section(
        "/console/sharing",
        ("共享申请", "Sharing requests"),
        ("审批他部门的共享申请，查看本部门提出的申请", "Approve or reject requests for your data"),
    ),
    Section(
        "/console/cases",
        ("办件队列", "Case queue"),
        ("待办办件、黄牌红牌和每一步的办理", "Cases to handle, yellow and red cards, each step"),
    ),
    Section(
        "/console/sensing",
        ("感知与预警", "Sensors and alerts"),
        ("传感器、预警规则，确认和解除预警", "Sensors, alert rules; acknowledge and resolve"),
    ),
    Section(
        "/console/calendar",
        ("节假日日历", "Holiday calendar"),
        ("哪些年份是官方安排、哪些是预计，导入国务院通知", "Official and provisional years"),
    ),
    Section(
        "/console/packs",
        ("领域包", "Domain packs"),
        ("已安装的行业内容包、版本和可升级的包", "Installed sector packs, versions, upgrades"),
    ),
)
_ADMIN = (
    Section(
        "/console/users",
        ("用户与令牌", "Users and tokens"),
        ("账号、角色和 API 令牌", "Accounts, roles and API tokens"),
    ),
    Section(
        "/console/audit",
        ("审计日志", "Audit log"),
        ("谁在何时做了什么，并校验哈希链", "Who did what and when; verify the hash chain"),
    ),
)


def sections(actor: Actor) -> list[Section]:
    """The console sections open to ``actor``: staff of a department get the working ones,
    administrators also users and tokens, and those the policy lets read the audit log, that."""
    shown: list[Section] = []
    if actor.role is not None:
        shown.extend(_SECTIONS)
    if policy.can_list_users(actor, department_id=actor.department_id):
        shown.append(_ADMIN[0])
    if policy.can_view_audit(actor):
        shown.append(_ADMIN[1])
    return shown


# --- what waits ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pending:
    """One count of the workbench, and the list it counts."""

    key: str
    name: tuple[str, str]  # zh, en
    count: int
    href: str


def _queue(**params: str) -> str:
    return "/console/cases?" + urlencode({"status": "open", **params})


def workbench_scope(actor: Actor) -> str | None:
    """Whose work the workbench counts: "province" for a system administrator, "department"
    for staff of a department, None for anyone else (the policy shows them no case)."""
    if actor.is_sysadmin:
        return "province"
    if actor.department_id is not None and actor.role is not None:
        return "department"
    return None


def pending(session: Session, actor: Actor) -> list[Pending]:
    """The workbench's counts for ``actor``, each with the link to the list it counts: the
    queue (its default view, the cases the actor handles), the raised alerts of the sensing
    page and the sharing requests made to the department, so a count and its list agree."""
    today = cases.local_date(utcnow())

    def count(
        *, states: tuple[str, ...] = (), card: str | None = None, due_soon: bool = False
    ) -> int:
        filters = cases.CaseFilters(
            status="open", states=states, card=card, due_soon_on=today if due_soon else None
        )
        return cases.count_cases(session, actor=actor, filters=filters)

    _, raised = sensing.list_alerts(
        session,
        actor=actor,
        filters=sensing.AlertFilters(
            state=sensing.RAISED, department_id=None if actor.is_sysadmin else actor.department_id
        ),
        limit=1,
    )
    to_decide = catalog.count_share_requests(
        session, actor=actor, incoming=True, status=catalog.SHARE_PENDING
    )
    return [
        Pending(
            "to-accept",
            ("待受理", "To accept"),
            count(states=(cases.State.SUBMITTED,)),
            _queue(state=cases.State.SUBMITTED),
        ),
        Pending(
            "in-review",
            ("审查中", "In review"),
            count(states=(cases.State.IN_REVIEW,)),
            _queue(state=cases.State.IN_REVIEW),
        ),
        Pending("due-soon", ("临近期限", "Due soon"), count(due_soon=True), _queue(due="soon")),
        Pending("yellow", ("黄牌", "Yellow cards"), count(card="yellow"), _queue(card="yellow")),
        Pending("red", ("红牌", "Red cards"), count(card="red"), _queue(card="red")),
        Pending(
            "alerts",
            ("未确认的预警", "Alerts to acknowledge"),
            raised,
            "/console/sensing?" + urlencode({"state": sensing.RAISED}),
        ),
        Pending(
            "sharing",
            ("共享申请待审批", "Sharing requests to decide"),
            to_decide,
            "/console/sharing?" + urlencode({"box": "incoming", "status": catalog.SHARE_PENDING}),
        ),
    ]


@router.get("/console", response_class=HTMLResponse)
def console_home(request: Request, session: SessionDep, actor: SignedInActor) -> Response:
    department = (
        identity.get_department(session, actor.department_id) if actor.department_id else None
    )
    found = calendar.status(session)
    scope = workbench_scope(actor)
    return render_page(
        request,
        "console/home.html",
        {
            "sections": sections(actor),
            "department": department,
            "scope": scope,
            "pending": pending(session, actor) if scope else [],
            # Those who import holiday schedules are told how; the others what it means.
            "calendar_warnings": [
                (code if policy.can_manage_calendar(actor) else f"{code}.staff", year)
                for code, year in zip(found.warnings, found.warning_years, strict=True)
            ],
        },
    )
