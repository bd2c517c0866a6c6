"""Demo data: Zhejiang's data office and departments across the 11 cities, with users for
every role. Synthetic but plausible; engines add their own demo data after the core's."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwang import (
    engines,
    portal,  # noqa: F401  (the portal's sections of packs: dashboard panels, search examples)
)
from yiwang.core import identity, packs
from yiwang.core.identity import Department
from yiwang.core.policy import SYSTEM, Role

# (key, Chinese name, English name, short name, division code, is the data office)
DEPARTMENTS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("zjdata", "浙江省数据局", "Zhejiang Provincial Data Bureau", "省数据局", "330000", True),
    (
        "zjenv",
        "浙江省生态环境厅",
        "Department of Ecology and Environment of Zhejiang Province",
        "省生态环境厅",
        "330000",
        False,
    ),
    (
        "zjtransport",
        "浙江省交通运输厅",
        "Department of Transportation of Zhejiang Province",
        "省交通运输厅",
        "330000",
        False,
    ),
    (
        "zjtourism",
        "浙江省文化和旅游厅",
        "Department of Culture and Tourism of Zhejiang Province",
        "省文化和旅游厅",
        "330000",
        False,
    ),
    (
        "zjmarket",
        "浙江省市场监督管理局",
        "Zhejiang Administration for Market Regulation",
        "省市场监管局",
        "330000",
        False,
    ),
    (
        "zjwater",
        "浙江省水利厅",
        "Department of Water Resources of Zhejiang Province",
        "省水利厅",
        "330000",
        False,
    ),
    (
        "zjhealth",
        "浙江省卫生健康委员会",
        "Health Commission of Zhejiang Province",
        "省卫生健康委",
        "330000",
        False,
    ),
    (
        "zjagri",
        "浙江省农业农村厅",
        "Department of Agriculture and Rural Affairs of Zhejiang Province",
        "省农业农村厅",
        "330000",
        False,
    ),
    (
        "hzdata",
        "杭州市数据资源管理局",
        "Hangzhou Data Resources Bureau",
        "杭州市数据局",
        "330100",
        True,
    ),
    (
        "nbdata",
        "宁波市大数据发展管理局",
        "Ningbo Big Data Development Bureau",
        "宁波市大数据局",
        "330200",
        True,
    ),
    (
        "wzenv",
        "温州市生态环境局",
        "Wenzhou Ecology and Environment Bureau",
        "温州市生态环境局",
        "330300",
        False,
    ),
    (
        "jxmarket",
        "嘉兴市市场监督管理局",
        "Jiaxing Administration for Market Regulation",
        "嘉兴市市场监管局",
        "330400",
        False,
    ),
    (
        "hutourism",
        "湖州市文化广电旅游局",
        "Huzhou Bureau of Culture, Radio, Television and Tourism",
        "湖州市文广旅游局",
        "330500",
        False,
    ),
    (
        "sxtransport",
        "绍兴市交通运输局",
        "Shaoxing Transportation Bureau",
        "绍兴市交通运输局",
        "330600",
        False,
    ),
    (
        "jhhealth",
        "金华市卫生健康委员会",
        "Jinhua Health Commission",
        "金华市卫生健康委",
        "330700",
        False,
    ),
    ("qzwater", "衢州市水利局", "Quzhou Water Resources Bureau", "衢州市水利局", "330800", False),
    (
        "zsocean",
        "舟山市海洋与渔业局",
        "Zhoushan Ocean and Fishery Bureau",
        "舟山市海洋与渔业局",
        "330900",
        False,
    ),
    (
        "tzmarket",
        "台州市市场监督管理局",
        "Taizhou Administration for Market Regulation",
        "台州市市场监管局",
        "331000",
        False,
    ),
    (
        "lsenv",
        "丽水市生态环境局",
        "Lishui Ecology and Environment Bureau",
        "丽水市生态环境局",
        "331100",
        False,
    ),
    (
        "hzmarket",
        "杭州市市场监督管理局",
        "Hangzhou Administration for Market Regulation",
        "杭州市市场监管局",
        "330100",
        False,
    ),
    (
        "xhmarket",
        "杭州市西湖区市场监督管理局",
        "Xihu District Administration for Market Regulation",
        "西湖区市场监管局",
        "330106",
        False,
    ),
)

# The department that guides each one (业务指导), by key.
PARENTS = {
    "hzdata": "zjdata",
    "nbdata": "zjdata",
    "wzenv": "zjenv",
    "lsenv": "zjenv",
    "jxmarket": "zjmarket",
    "tzmarket": "zjmarket",
    "hzmarket": "zjmarket",
    "xhmarket": "hzmarket",
    "hutourism": "zjtourism",
    "sxtransport": "zjtransport",
    "jhhealth": "zjhealth",
    "qzwater": "zjwater",
}

# Users per department key: (suffix, role, display name)
_STAFF = (
    ("admin", Role.DEPARTMENT_ADMIN, "管理员"),
    ("editor", Role.EDITOR, "数据编辑"),
)
_MEMBERS = {"zjenv": "环境监测科", "zjmarket": "信用监管处", "hzdata": "数据共享科"}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    department: str | None
    password: str


def is_loaded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Department)))


def load_core(session: Session) -> list[DemoUser]:
    """Create the demo departments and users; return the users with their passwords."""
    by_key: dict[str, Department] = {}
    for key, name_zh, name_en, short, division, is_office in DEPARTMENTS:
        parent = by_key[PARENTS[key]].id if key in PARENTS else None
        by_key[key] = identity.create_department(
            session,
            actor=SYSTEM,
            slug=key,
            name_zh=name_zh,
            name_en=name_en,
            short_name=short,
            division_code=division,
            parent_id=parent,
            is_data_office=is_office,
        )

    users: list[DemoUser] = []

    def add(username: str, role: Role, department: Department | None, display: str) -> None:
        password = secrets.token_urlsafe(9)
        identity.create_user(
            session,
            actor=SYSTEM,
            username=username,
            role=role,
            department_id=department.id if department else None,
            display_name=display,
            password=password,
        )
        users.append(DemoUser(username, role, department.name_zh if department else None, password))

    add("admin", Role.SYSADMIN, None, "系统管理员")
    for key, department in by_key.items():
        for suffix, role, title in _STAFF:
            add(f"{key}_{suffix}", role, department, f"{department.short_name}{title}")
        if key in _MEMBERS:
            add(f"{key}_member", Role.MEMBER, department, f"{department.short_name}{_MEMBERS[key]}")
    return users


def install_packs(session: Session) -> None:
    """Install every pack found, with its demo content, through the pack registry."""
    for manifest in packs.found().values():
        packs.install(
            session, actor=SYSTEM, manifest=manifest, options=packs.InstallOptions(demo=True)
        )


def load(session: Session) -> list[DemoUser]:
    """Load the core demo, install every pack (with its demo content), then load every
    engine's demo; return the demo users."""
    users = load_core(session)
    loaded = engines.load()
    install_packs(session)
    for engine in loaded:
        load_demo = getattr(engine, "load_demo", None)
        if load_demo is not None:
            load_demo(session)
    return users
