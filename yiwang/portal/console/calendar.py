"""The console's holiday calendar: which years are official or provisional, the warnings an
operator should act on, and (for those the policy lets) importing the State Council's notice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yiwang.core import calendar, policy
from yiwang.core.errors import AppError, InvalidInput
from yiwang.core.policy import Actor
from yiwang.core.web.csrf import check_csrf
from yiwang.core.web.deps import SessionDep, SettingsDep, SignedInActor, request_language
from yiwang.core.web.templating import render_page

router = APIRouter()


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    error: AppError | None = None,
    imported: str = "",
    status_code: int = 200,
) -> Response:
    return render_page(
        request,
        "console/calendar.html",
        {
            "status": calendar.status(session),
            "can_import": policy.can_manage_calendar(actor),
            "error": error,
            "imported": imported,
        },
        status_code=status_code,
    )


@router.get("/console/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request, session: SessionDep, actor: SignedInActor, imported: str = ""
) -> Response:
    return _page(request, session, actor, imported=imported[:40])


def _read(request: Request, file: UploadFile | None, limit: int) -> bytes:
    if file is None or not file.filename:
        zh = request_language(request).startswith("zh")
        raise InvalidInput("field_missing", field="文件" if zh else "file")
    content = file.file.read(limit + 1)
    if len(content) > limit:
        raise AppError("upload.too_large", status_code=413, limit=limit)
    return content


def _year(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput("field_invalid", field="year", reason=value)
    return int(value)


@router.post("/console/calendar", response_class=HTMLResponse)
def calendar_import(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File()] = None,
    year: Annotated[str, Form(max_length=4)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Import the notice; the deadlines counted on provisional days are then recounted by a
    job (the import's event queues it)."""
    check_csrf(request, csrf)
    try:
        years = calendar.import_schedule(
            session,
            actor=actor,
            content=_read(request, file, settings.max_upload_bytes),
            filename=file.filename if file is not None and file.filename else "",
            year=_year(year),
        )
    except AppError as exc:
        if exc.status_code == 403:
            raise
        return _page(request, session, actor, error=exc, status_code=exc.status_code)
    return RedirectResponse(
        f"/console/calendar?imported={'-'.join(map(str, years))}", status_code=303
    )
