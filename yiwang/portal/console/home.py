"""The console's front page: the sections the signed-in member of staff may use."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yiwang.core import calendar, identity, policy
from yiwang.core.policy import Actor
from yiwang.core.web.deps import SessionDep, SignedInActor
from yiwang.core.web.templating import render_page

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


@router.get("/console", response_class=HTMLResponse)
def console_home(request: Request, session: SessionDep, actor: SignedInActor) -> Response:
    department = (
        identity.get_department(session, actor.department_id) if actor.department_id else None
    )
    found = calendar.status(session)
    return render_page(
        request,
        "console/home.html",
        {
            "sections": sections(actor),
            "department": department,
            "calendar_warnings": list(zip(found.warnings, found.warning_years, strict=True)),
        },
    )
