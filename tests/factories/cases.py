"""Factories for the cases engine, through its public services."""

from __future__ import annotations

import io
import itertools
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from yiwang.cases import filing, items
from yiwang.cases.materials import Upload
from yiwang.cases.models import ServiceItem
from yiwang.cases.schemas import ApplicationCreate, ComplaintCreate, ItemCreate
from yiwang.core.identity import Department
from yiwang.core.policy import SYSTEM, Actor

_n = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
CITIZEN_ID = "11010519491231002X"  # the GB 11643 standard's own example
OTHER_CITIZEN_ID = "33010619900101123X"
ENTERPRISE_ID = "91330100MA27XL0F3L"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def ofd_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD/>")
    return buffer.getvalue()


def make_item(
    session: Session,
    department: Department,
    *,
    actor: Actor = SYSTEM,
    **fields: Any,
) -> ServiceItem:
    n = next(_n)
    values: dict[str, Any] = {
        "code": f"T-ITEM-{n:04d}",
        "department_id": department.id,
        "name": f"测试事项{n}",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "trips": 0,
        "trips_offline": 2,
        "materials": [
            {"key": "id_card", "name": "身份证明", "types": ["pdf", "jpeg", "png"]},
            {"key": "form", "name": "申请书", "types": ["pdf", "docx", "ofd"]},
            {"key": "other", "name": "其他材料", "mandatory": False, "types": ["pdf"]},
        ],
        "form_fields": [
            {"key": "purpose", "label": "申请事由", "required": True},
            {"key": "count", "label": "数量", "type": "number"},
        ],
        **fields,
    }
    return items.create_item(session, actor=actor, data=ItemCreate.model_validate(values))


def make_category(
    session: Session,
    department: Department,
    *,
    routing: dict[str, str] | None = None,
    **fields: Any,
) -> ServiceItem:
    n = next(_n)
    values: dict[str, Any] = {
        "code": f"T-CAT-{n:04d}",
        "kind": "complaint_category",
        "department_id": department.id,
        "name": f"测试投诉类别{n}",
        "legal_limit_days": 15,
        "promised_limit_days": 5,
        "routing": routing or {},
        **fields,
    }
    return items.create_item(session, actor=SYSTEM, data=ItemCreate.model_validate(values))


def make_task_item(
    session: Session, department: Department, *, code: str | None = None, **fields: Any
) -> ServiceItem:
    """A task item (处置事项): what other engines ask cases of, with a patrol step."""
    n = next(_n)
    values: dict[str, Any] = {
        "code": code or f"T-TASK-{n:04d}",
        "kind": "task",
        "department_id": department.id,
        "name": f"测试处置事项{n}",
        "legal_limit_days": 3,
        "promised_limit_days": 1,
        "steps": [{"key": "patrol", "name": "河道巡查", "departments": []}],
        "delivery_methods": ["online"],
        **fields,
    }
    return items.create_item(session, actor=SYSTEM, data=ItemCreate.model_validate(values))


def uploads(**files: bytes) -> list[Upload]:
    return [
        Upload(key, f"{key}.{_ext(content)}", io.BytesIO(content)) for key, content in files.items()
    ]


def _ext(content: bytes) -> str:
    if content.startswith(b"%PDF"):
        return "pdf"
    if content.startswith(b"\x89PNG"):
        return "png"
    if content.startswith(b"\xff\xd8"):
        return "jpg"
    return "docx"


def apply(
    session: Session,
    item: ServiceItem,
    tmp_path: Path,
    *,
    actor: Actor = SYSTEM,
    id_number: str = CITIZEN_ID,
    key: str | None = None,
    **kwargs: Any,
) -> filing.Filed:
    data = ApplicationCreate.model_validate(
        {
            "item_code": item.code,
            "applicant": {
                "type": "citizen",
                "name": "张三丰",
                "id_number": id_number,
                "phone": "13812345678",
            },
            "form": {"purpose": "测试"},
        }
    )
    return filing.submit_application(
        session,
        actor=actor,
        data=data,
        uploads=kwargs.pop("files", None) or uploads(id_card=PDF, form=PDF),
        storage=filing.Storage(root=tmp_path, max_bytes=10**7),
        idempotency_key=key,
        **kwargs,
    )


def complain(
    session: Session, category: ServiceItem, *, division_code: str = "330100", **kwargs: Any
) -> filing.Filed:
    data = ComplaintCreate(
        category_code=category.code,
        division_code=division_code,
        latitude=30.27,
        longitude=120.15,
        address="杭州市西湖区文三路90号",
        description="深夜施工噪声扰民",
        contact={"name": "李四", "phone": "13900001111", "email": "li@example.cn"},
    )
    return filing.file_complaint(session, actor=kwargs.pop("actor", SYSTEM), data=data, **kwargs)
