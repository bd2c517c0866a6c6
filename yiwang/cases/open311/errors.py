"""Every error under ``/open311/`` in GeoReport v2's form (``<errors><error><code/>
<description/></error></errors>``, or the JSON list), in the caller's language, with the
spec's statuses: 404 for what does not exist, 403 for a missing or bad ``api_key``, 400 for
any other request that cannot be fulfilled."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from yiwang.cases.open311 import render
from yiwang.core.errors import AppError
from yiwang.core.i18n import EN, ZH, add_messages, translate

MESSAGES: dict[str, dict[str, str]] = {
    "open311.jurisdiction_not_found": {
        ZH: "未找到管辖区域：{jurisdiction_id}（可用：{known}）",
        EN: "jurisdiction_id not found: {jurisdiction_id} (served here: {known})",
    },
    "open311.service_not_found": {
        ZH: "未找到服务类别：{service_code}",
        EN: "service_code not found: {service_code}",
    },
    "open311.request_not_found": {
        ZH: "未找到诉求：{service_request_id}",
        EN: "service_request_id not found: {service_request_id}",
    },
    "open311.token_not_found": {ZH: "未找到令牌：{token}", EN: "token not found: {token}"},
    "open311.format_not_found": {
        ZH: "不支持的格式：{format}（可用 xml 或 json）",
        EN: "Unknown format: {format} (use xml or json)",
    },
    "open311.api_key_missing": {
        ZH: "缺少 api_key，无法提交诉求。",
        EN: "No api_key received -- can't proceed with create_request.",
    },
    "open311.api_key_invalid": {
        ZH: "api_key 无效：{reason}",
        EN: "Invalid api_key received -- can't proceed with create_request: {reason}",
    },
    "open311.field_missing": {ZH: "缺少参数 {field}", EN: "{field} was not provided"},
    "open311.location_missing": {
        ZH: "缺少位置：请提供 lat 和 long，或 address_string，或 address_id",
        EN: "A location is required: lat and long, or address_string, or address_id",
    },
    "open311.lat_long_pair": {
        ZH: "lat 和 long 必须同时提供",
        EN: "lat and long must be sent together",
    },
    "open311.bad_coordinate": {
        ZH: "{field} 不是有效的 WGS84 坐标：{value}",
        EN: "{field} is not a valid WGS84 coordinate: {value}",
    },
    "open311.outside_jurisdiction": {
        ZH: "位置（经度 {long}，纬度 {lat}）不在{jurisdiction}境内",
        EN: "The location (longitude {long}, latitude {lat}) is outside {jurisdiction}",
    },
    "open311.bad_datetime": {
        ZH: "{field} 不是带时区的 W3C 日期时间（如 2010-01-01T00:00:00Z）：{value}",
        EN: "{field} is not a w3 datetime with a time zone (e.g. 2010-01-01T00:00:00Z): {value}",
    },
    "open311.date_order": {
        ZH: "start_date 不能晚于 end_date",
        EN: "start_date must not be after end_date",
    },
    "open311.date_span": {
        ZH: "查询时间跨度不能超过 {days} 天",
        EN: "start_date and end_date may not span more than {days} days",
    },
    "open311.bad_status": {
        ZH: "status 只能是 open 或 closed：{value}",
        EN: "status must be open or closed: {value}",
    },
    "open311.bad_integer": {
        ZH: "{field} 应为 {low} 到 {high} 之间的整数：{value}",
        EN: "{field} must be a whole number from {low} to {high}: {value}",
    },
    "open311.too_long": {
        ZH: "{field} 最多 {max} 个字符",
        EN: "{field} is limited to {max} characters",
    },
    "open311.attribute_required": {
        ZH: "缺少必填属性 attribute[{code}]（{description}）",
        EN: "attribute[{code}] is required ({description})",
    },
    "open311.attribute_unknown": {
        ZH: "该服务类别没有属性 attribute[{code}]",
        EN: "This service has no attribute[{code}]",
    },
    "open311.attribute_single": {
        ZH: "属性 attribute[{code}] 只能有一个值",
        EN: "attribute[{code}] takes one value",
    },
    "open311.attribute_not_in_list": {
        ZH: "属性 attribute[{code}] 的值不在可选列表中：{value}",
        EN: "attribute[{code}] has no option {value}",
    },
    "open311.attribute_number": {
        ZH: "属性 attribute[{code}] 应为数字：{value}",
        EN: "attribute[{code}] must be a number: {value}",
    },
    "open311.attribute_datetime": {
        ZH: "属性 attribute[{code}] 应为 ISO 8601 日期时间：{value}",
        EN: "attribute[{code}] must be an ISO 8601 datetime: {value}",
    },
    "open311.attribute_line_break": {
        ZH: "属性 attribute[{code}] 不能换行",
        EN: "attribute[{code}] must be one line",
    },
    "open311.field_invalid": {
        ZH: "参数 {field} 无效：{reason}",
        EN: "{field} is not valid: {reason}",
    },
    "open311.service_notice": {
        ZH: "已交{agency}办理，将于{expected}前答复。查询码：{query_code}（请妥善保存）",
        EN: "Sent to {agency}, who will answer by {expected}. Query code: {query_code} "
        "(keep it to follow the request).",
    },
    "open311.service_notice_no_code": {
        ZH: "已交{agency}办理，将于{expected}前答复。",
        EN: "Sent to {agency}, who will answer by {expected}.",
    },
    "open311.discovery_contact": {
        ZH: "请联系运行本平台的数据管理中心。",
        EN: "Please contact the data office that runs this platform.",
    },
    "open311.discovery_key_service": {
        ZH: "api_key 是本平台的 API 令牌：请向平台管理员申请（每个客户端应用一个）。",
        EN: "The api_key is an API token of this platform: ask its administrators for one "
        "(one per client application).",
    },
    "open311.bad_request": {
        ZH: "请求无效或诉求服务暂不可用。",
        EN: "The request is invalid or the Open311 service is not available.",
    },
    "open311.bad_encoding": {
        ZH: "表单内容不是 {charset} 编码；请以 UTF-8 提交（或在 Content-Type 中注明 charset）。",
        EN: "The form is not encoded in {charset}; send UTF-8 (or name the charset in "
        "Content-Type).",
    },
}
add_messages(MESSAGES)


class Open311Error(AppError):
    """One or more problems with a request, each a message code with its parameters."""

    def __init__(
        self, problems: list[tuple[str, dict[str, Any]]], *, status_code: int = 400
    ) -> None:
        # The parameters stay with each problem (one may be called ``code``, as attributes'
        # are), not in AppError's keyword parameters.
        super().__init__(problems[0][0], status_code=status_code)
        self.problems = problems

    @classmethod
    def one(cls, message: str, /, *, status_code: int = 400, **params: Any) -> Open311Error:
        return cls([(message, params)], status_code=status_code)

    def message(self, language: str) -> str:
        code, params = self.problems[0]
        return translate(code, language, params)

    def envelope(self, language: str) -> dict[str, Any]:
        details = [
            {
                "field": params.get("field") or params.get("code") or "-",
                "message": translate(code, language, params),
            }
            for code, params in self.problems
        ]
        return {"error": {"code": self.code, "message": self.message(language), "details": details}}


def format_of(path: str) -> render.Format:
    """The format a path asks for: ``.json`` or, by default, XML (the required format)."""
    return "json" if path.rstrip("/").endswith(".json") else "xml"


def spec_status(status: int) -> int:
    """Our status as GeoReport v2 uses them."""
    if status == 401:
        return 403
    if status in {403, 404, 405} or status >= 500:
        return status
    return 400


def render_error(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None
) -> Response:
    """Our error envelope, turned into GeoReport v2's ``errors``."""
    error = body.get("error", {})
    code = spec_status(status)
    details = error.get("details")
    messages = (
        [str(d["message"]) for d in details if isinstance(d, dict) and d.get("message")]
        if isinstance(details, list)
        else []
    )
    problems: list[tuple[int | str, str]] = [
        (code, message) for message in messages or [str(error.get("message", ""))]
    ]
    kept = {k: v for k, v in (headers or {}).items() if k.lower() != "www-authenticate"}
    return render.errors(format_of(request.url.path), code, problems, kept)
