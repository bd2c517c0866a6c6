"""The catalog engine's user-facing messages."""

from yiwang.core.i18n import EN, ZH, add_messages

add_messages(
    {
        "catalog.conditions_required": {
            ZH: "“{klass}”须说明条件或依据（{field}）。",
            EN: "A resource that is “{klass}” needs its conditions or basis ({field}).",
        },
        "catalog.unknown_category": {
            ZH: "未知的资源分类：{value}",
            EN: "Unknown category: {value}",
        },
        "catalog.unknown_license": {ZH: "未知的开放许可：{value}", EN: "Unknown licence: {value}"},
        "catalog.duplicate_code": {
            ZH: "资源代码已存在：{value}",
            EN: "The resource code is taken: {value}",
        },
        "catalog.duplicate_name": {
            ZH: "资源名已存在：{value}",
            EN: "The resource name is taken: {value}",
        },
        "catalog.not_deleted": {
            ZH: "该资源未被删除：{value}",
            EN: "This resource is not deleted: {value}",
        },
        "catalog.no_data": {
            ZH: "该资源尚无数据，或数据正在载入。",
            EN: "This resource has no data yet, or it is loading.",
        },
        "catalog.unknown_field": {ZH: "没有这个字段：{value}", EN: "No such field: {value}"},
        "catalog.bad_value": {
            ZH: "字段“{field}”的值无效：{value}",
            EN: "Not a valid value for field “{field}”: {value}",
        },
        "catalog.bad_sort": {ZH: "无法按此排序：{value}", EN: "Cannot sort by: {value}"},
        "catalog.unknown_version": {
            ZH: "没有这个数据版本：{value}",
            EN: "No such data version: {value}",
        },
        "catalog.share_not_allowed": {
            ZH: "该资源不接受共享申请（仅“有条件共享”的资源可申请，且不能申请本部门的资源）。",
            EN: "This resource takes no share requests (only conditionally shared resources of "
            "another department do).",
        },
        "catalog.share_already_decided": {
            ZH: "该申请已处理，不能再次审批。",
            EN: "This request has already been decided.",
        },
        "catalog.reason_required": {ZH: "驳回申请须说明理由。", EN: "A rejection needs a reason."},
        "catalog.sql_disabled": {
            ZH: "本平台未开启 SQL 查询接口。",
            EN: "SQL queries are not enabled on this platform.",
        },
        "catalog.sql_rejected": {
            ZH: "不允许的 SQL：{reason}",
            EN: "This SQL is not allowed: {reason}",
        },
        "catalog.upload_missing": {
            ZH: "请上传文件或提供链接。",
            EN: "Upload a file or give a URL.",
        },
    }
)
