"""SensorThings errors: the message codes of the STA layer and the renderer that turns the
application's error envelope into FROST-Server's ``{"code", "type", "message"}`` shape."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from yiwang.core.errors import AppError
from yiwang.core.i18n import EN, ZH, add_messages

PREFIX = "/sta/"

add_messages(
    {
        "sta.bad_path": {
            ZH: "无法识别的资源路径：{path}",
            EN: "Unknown resource path: {path}",
        },
        "sta.bad_option": {
            ZH: "查询参数 {option} 的值无效：{value}",
            EN: "The value of the query option {option} is not valid: {value}",
        },
        "sta.bad_filter": {
            ZH: "{option} 表达式无效，问题出现在“{near}”附近。",
            EN: "The {option} expression is not valid near “{near}”.",
        },
        "sta.filter_too_deep": {
            ZH: "{option} 表达式嵌套过深：最多 {limit} 层。",
            EN: "The {option} expression is nested too deeply: at most {limit} levels.",
        },
        "sta.filter_too_long": {
            ZH: "{option} 表达式过长：最多 {limit} 个词元。",
            EN: "The {option} expression is too long: at most {limit} tokens.",
        },
        "sta.not_computable": {
            ZH: "无法对已存数据计算该查询（例如除以零或数值超出范围）。",
            EN: "The query cannot be evaluated on the stored data (for example a division by "
            "zero or a number out of range).",
        },
        "sta.bad_relate_pattern": {
            ZH: "st_relate 的交叉矩阵模式无效：{pattern}（应为 9 个 T、F、0、1、2 或 * 字符）",
            EN: "The intersection matrix pattern of st_relate is not valid: {pattern} "
            "(9 characters of T, F, 0, 1, 2 or *)",
        },
        "sta.expand_too_deep": {
            ZH: "$expand 嵌套过深：最多 {limit} 层。",
            EN: "$expand is nested too deeply: at most {limit} levels.",
        },
        "sta.expand_twice": {
            ZH: "$expand 两次展开 {name}，且选项不同。",
            EN: "$expand expands {name} twice with different options.",
        },
        "sta.bad_expand": {
            ZH: "$expand 无效：{entity} 没有导航属性 {name}",
            EN: "$expand is not valid: {entity} has no navigation property {name}",
        },
        "sta.unknown_property": {
            ZH: "{entity} 没有属性 {name}",
            EN: "{entity} has no property {name}",
        },
        "sta.unknown_function": {
            ZH: "未知的函数：{name}",
            EN: "Unknown function: {name}",
        },
        "sta.wrong_arguments": {
            ZH: "函数 {name} 需要 {expected} 个参数",
            EN: "The function {name} takes {expected} argument(s)",
        },
        "sta.type_mismatch": {
            ZH: "{name} 的参数类型不正确",
            EN: "The arguments of {name} have the wrong type",
        },
        "sta.personal_property": {
            ZH: "{entity} 的属性 {name} 含个人信息，对您脱敏显示，不能用于 $filter 或 $orderby。",
            EN: "The property {name} of {entity} holds personal data shown masked to you: it "
            "cannot be used in $filter or $orderby.",
        },
        "sta.not_implemented": {
            ZH: "暂不支持：{feature}",
            EN: "Not implemented: {feature}",
        },
        "sta.spatial_unavailable": {
            ZH: "本数据库未启用空间扩展（PostGIS），无法使用空间函数。",
            EN: "Spatial functions need PostGIS, which this database does not have.",
        },
        "sta.body_too_deep": {
            ZH: "请求正文嵌套过深：最多 {limit} 层。",
            EN: "The request body is nested too deeply: at most {limit} levels.",
        },
        "sta.bad_number": {
            ZH: "请求正文中的数值无效或超出范围：{value}",
            EN: "The request body has a number that is not valid or out of range: {value}",
        },
        "sta.body_not_object": {
            ZH: "请求正文应为 JSON 对象。",
            EN: "The request body must be a JSON object.",
        },
        "sta.field_missing": {
            ZH: "{entity} 缺少必填字段 {field}（SensorThings 数据模型规定的必填项）。",
            EN: "{entity} needs the field {field}, which the SensorThings data model makes "
            "mandatory.",
        },
        "sta.field_invalid": {
            ZH: "{entity} 的字段 {field} 无效：应为{expected_zh}",
            EN: "The field {field} of {entity} is not valid: expected {expected_en}",
        },
        "sta.unknown_field": {
            ZH: "{entity} 没有字段 {field}",
            EN: "{entity} has no field {field}",
        },
        "sta.bad_geometry": {
            ZH: "{entity} 的字段 {field} 不是有效的 GeoJSON 几何对象",
            EN: "The field {field} of {entity} is not a valid GeoJSON geometry",
        },
        "sta.bad_time": {
            ZH: "时间值无效（须为带时区的 ISO 8601 时间）：{value}",
            EN: "Not a valid time (ISO 8601 with a time zone is required): {value}",
        },
        "sta.multi_lengths": {
            ZH: "MultiDatastream 的 ObservedProperties、unitOfMeasurements 和 "
            "multiObservationDataTypes 数量必须相同。",
            EN: "A MultiDatastream needs as many ObservedProperties as unitOfMeasurements and "
            "multiObservationDataTypes.",
        },
        "sta.not_a_collection": {
            ZH: "只能向实体集合提交新实体：{path}",
            EN: "New entities can only be posted to a collection: {path}",
        },
        "sta.not_an_entity": {
            ZH: "只能修改或删除单个实体：{path}",
            EN: "Only a single entity can be changed or deleted: {path}",
        },
        "sta.inline_in_update": {
            ZH: "修改 {entity} 时，{field} 只能用 @iot.id 链接已有实体，不能内嵌新实体。",
            EN: "An update of {entity} may only link existing entities in {field} by @iot.id, "
            "not contain new ones.",
        },
        "sta.read_only": {
            ZH: "{entity} 不能通过此接口修改。",
            EN: "{entity} cannot be changed this way.",
        },
        "sta.bad_json_patch": {
            ZH: "JSON Patch 无效：{reason}",
            EN: "The JSON Patch is not valid: {reason}",
        },
        "sta.json_patch_test_failed": {
            ZH: "JSON Patch 的 test 操作未通过：{path}",
            EN: "A JSON Patch test operation failed: {path}",
        },
        "sta.bad_data_array": {
            ZH: "CreateObservations 请求无效：{reason}",
            EN: "The CreateObservations request is not valid: {reason}",
        },
        "sta.not_found_path": {
            ZH: "未找到：{path}",
            EN: "Nothing found at {path}",
        },
    }
)


def not_implemented(feature: str) -> AppError:
    """An error for something of the standard this server does not do (HTTP 501)."""
    return AppError("sta.not_implemented", status_code=501, feature=feature)


def bad_request(code: str, **params: Any) -> AppError:
    return AppError(code, status_code=400, **params)


def render_error(
    request: Request,  # noqa: ARG001  (the renderer signature)
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None,
) -> Response:
    """Our error envelope as FROST-Server shapes it: ``{"code", "type", "message"}``."""
    error = body.get("error", {})
    payload: dict[str, Any] = {
        "code": status,
        "type": "error",
        "message": error.get("message", ""),
    }
    if error.get("code"):
        payload["errorCode"] = error["code"]
    if error.get("details") is not None:
        payload["details"] = error["details"]
    return JSONResponse(payload, status_code=status, headers=headers)


__all__ = ["PREFIX", "bad_request", "not_implemented", "render_error"]
