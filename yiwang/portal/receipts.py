"""Receipts a citizen can keep: the receipt of an application or a complaint as a PDF, made on
the server from ``portal/receipt_pdf.html`` by :func:`yiwang.core.pdf.html_to_pdf`.

The PDF asks the proof the track page asks: the case number and its query code, both in the
POST body (the code never travels in a URL), checked by the cases engine's ``get_case``, which
counts wrong codes as guesses and makes a guesser wait. Staff prove the code too, since the
receipt prints it. Personal data is masked as the track page masks it. The receipt pages print
on their own too (``/static/css/receipt.css``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from yiwang.cases import public as cases
from yiwang.cases.public import STATE_LABELS, State
from yiwang.core import clock, identity
from yiwang.core.errors import NotFound
from yiwang.core.pdf import html_to_pdf
from yiwang.core.policy import ANONYMOUS
from yiwang.core.web.csrf import check_csrf
from yiwang.core.web.deps import CurrentActor, SessionDep, register_read_only
from yiwang.core.web.templating import environment, render_page
from yiwang.portal.common import NO_STORE, is_zh, local_time

router = APIRouter(include_in_schema=False)

PATH = "/track/receipt.pdf"
_NUMBER_MAX = 64  # as the track form: longer than any case number
_CODE_MAX = 32
KIND_LABELS = {
    "application": ("办事申请", "Application"),
    "complaint": ("投诉建议", "Complaint or suggestion"),
    "task": ("处置任务", "Task"),
}


def _state_words(state: str) -> tuple[str, str]:
    """The state of a case in words, (Chinese, English), as the track page says it."""
    return STATE_LABELS.get(State(state), (state, state))


def _reads_only(request: Request) -> bool:
    """Making the PDF is a POST (the query code stays out of URLs) that only reads."""
    return request.method == "POST" and request.url.path == PATH


register_read_only(_reads_only)


def receipt_context(
    session: Session, case: cases.Case, *, query_code: str, zh: bool, track_url: str
) -> dict[str, Any]:
    """What the receipt of ``case`` shows, personal data masked, in the page's language."""
    body = cases.case_dict(session, case, full=False)
    _, version = cases.item_of(session, case)
    department = identity.get_department(session, case.department_id)
    state = _state_words(body["state"])
    kind = KIND_LABELS.get(body["kind"], (body["kind"], body["kind"]))
    return {
        "zh": zh,
        "case": body,
        "kind": kind[0] if zh else kind[1],
        "query_code": query_code.upper(),
        "item_name": version.name if zh else (version.name_en or version.name),
        "department": (department.name_zh if zh else (department.name_en or department.name_zh))
        if department is not None
        else "",
        "state": state[0] if zh else state[1].capitalize(),
        "submitted": local_time(body["submitted_at"]),
        "promised_days": version.promised_limit_days,
        "provisional": body["deadline_provisional"] and body["is_open"],
        "track_url": track_url,
        "issued": local_time(clock.now()),
    }


def receipt_pdf(context: dict[str, Any]) -> bytes:
    """The receipt :func:`receipt_context` describes, as a PDF."""
    html = environment().get_template("portal/receipt_pdf.html").render(context)
    return html_to_pdf(html)


def _filename(number: str) -> str:
    """The PDF's file name: the case number in it, nothing a header could be broken with."""
    return "receipt-" + re.sub(r"[^0-9A-Za-z-]", "_", number) + ".pdf"


@router.post(PATH)
def receipt_download(
    request: Request,
    session: SessionDep,
    _actor: CurrentActor,
    csrf: Annotated[str, Form()] = "",
    number: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    number, code = number.strip()[:_NUMBER_MAX], code.strip()[:_CODE_MAX]
    return _download(request, session, number, code)


def _download(request: Request, session: Session, number: str, code: str) -> Response:
    try:
        # The code is proven by whoever asks, staff too: the receipt prints it.
        case = cases.get_case(session, actor=ANONYMOUS, number=number, query_code=code)
    except NotFound:
        # One message whether the number or the code was wrong, as the track page says it.
        return render_page(
            request,
            "portal/hall/track.html",
            {"case": None, "number": number, "not_found": True},
            status_code=404,
        )
    track_url = str(request.base_url).rstrip("/") + "/track"
    context = receipt_context(
        session, case, query_code=code, zh=is_zh(request), track_url=track_url
    )
    return Response(
        receipt_pdf(context),
        media_type="application/pdf",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="{_filename(case.number)}"',
        },
    )


__all__ = ["PATH", "receipt_context", "receipt_pdf", "router"]
