"""The catalog engine's user-facing messages and the labels of its audit actions."""

from yiwang.core.audit import add_action_labels
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
        "catalog.sql_syntax": {
            ZH: "无法解析该 SQL：{reason}",
            EN: "This SQL cannot be parsed: {reason}",
        },
        "catalog.sql_too_long": {
            ZH: "SQL 语句过长（最多 {limit} 个字符）。",
            EN: "The SQL statement is too long (at most {limit} characters).",
        },
        "catalog.sql_too_deep": {
            ZH: "SQL 语句嵌套过深。",
            EN: "The SQL statement is nested too deeply.",
        },
        "catalog.sql_one_select": {
            ZH: "只能提交一条 SELECT 语句（可含 WITH 与 UNION），不能有其他语句。",
            EN: "Send exactly one SELECT statement (WITH and UNION are fine), and nothing else.",
        },
        "catalog.sql_no_table": {
            ZH: '请用资源 ID（加双引号）指明要查询的数据表，例如 SELECT * FROM "资源ID"。',
            EN: "Name the table to query by its resource id in double quotes, as in SELECT * "
            'FROM "resource id".',
        },
        "catalog.sql_table_refused": {
            ZH: "不能查询“{name}”：只能查询数据资源的表（用资源 ID 加双引号指明）"
            "和本语句 WITH 子句中定义的名称。",
            EN: "“{name}” cannot be queried: only datastore tables, named by their resource id "
            "in double quotes, and the names this statement's WITH clause defines.",
        },
        "catalog.sql_function_refused": {
            ZH: "不允许使用函数：{name}",
            EN: "This function is not allowed: {name}",
        },
        "catalog.sql_type_refused": {
            ZH: "不允许转换为该类型：{name}",
            EN: "Values cannot be cast to this type: {name}",
        },
        "catalog.sql_construct_refused": {
            ZH: "不允许的 SQL 结构：{name}",
            EN: "This SQL construct is not allowed: {name}",
        },
        "catalog.sql_timeout": {
            ZH: "查询超过时间限制（{ms} 毫秒），已停止。",
            EN: "The query ran past its time limit ({ms} ms) and was stopped.",
        },
        "catalog.sql_denied": {
            ZH: "数据库拒绝了该查询：它只能读取本次允许的数据表。",
            EN: "The database refused this query: it may read only the tables allowed to it.",
        },
        "catalog.sql_failed": {
            ZH: "查询未能执行：{reason}",
            EN: "The query failed: {reason}",
        },
        "catalog.sql_reader_missing": {
            ZH: "SQL 查询接口尚未配置好：数据库中没有只读角色 {role}，或本平台的数据库用户"
            "不能切换到该角色。请联系管理员。",
            EN: "SQL queries are not set up: the database has no read-only role {role}, or "
            "the platform's database user cannot switch to it. Please tell the administrator.",
        },
        "catalog.distinct_masked": {
            ZH: "不能对脱敏的个人信息列“{value}”去重（distinct）：去重会按原值排序和计数。",
            EN: "distinct is not offered over the masked personal-data column “{value}”: it "
            "would order and count the clear values.",
        },
        "catalog.bad_link": {
            ZH: "链接须为 {schemes} 地址：{url}",
            EN: "A link must be an address of {schemes}: {url}",
        },
        "catalog.upload_missing": {
            ZH: "请上传文件或提供链接。",
            EN: "Upload a file or give a URL.",
        },
    }
)

add_action_labels(
    {
        "resource.create": {ZH: "创建数据资源", EN: "Create a data resource"},
        "resource.update": {ZH: "修改数据资源", EN: "Change a data resource"},
        "resource.publish": {ZH: "发布数据资源", EN: "Publish a data resource"},
        "resource.delete": {ZH: "删除数据资源", EN: "Delete a data resource"},
        "resource.restore": {ZH: "恢复数据资源", EN: "Restore a data resource"},
        "distribution.create": {ZH: "添加数据表", EN: "Add a data table"},
        "distribution.update": {ZH: "修改数据表", EN: "Change a data table"},
        "datastore.upload": {ZH: "上传数据文件", EN: "Upload a data file"},
        "datastore.load": {ZH: "载入数据", EN: "Load data"},
        "datastore.upsert": {ZH: "写入数据行", EN: "Write data rows"},
        "datastore.delete": {ZH: "删除数据行", EN: "Delete data rows"},
        "datastore.index": {ZH: "建立数据索引", EN: "Index a data table"},
        "datastore.restore": {ZH: "恢复数据版本", EN: "Restore a data version"},
        "datastore.read": {ZH: "读取数据表", EN: "Read a data table"},
        "datastore.dump": {ZH: "导出数据表", EN: "Export a data table"},
        "datastore.sql": {ZH: "以 SQL 查询数据表", EN: "Query data tables with SQL"},
        "share.request": {ZH: "申请共享数据", EN: "Request shared data"},
        "share.read": {ZH: "查看共享申请", EN: "View a sharing request"},
        "share.decide": {ZH: "审批共享申请", EN: "Decide a sharing request"},
        "share.approve": {ZH: "批准共享申请", EN: "Approve a sharing request"},
        "share.reject": {ZH: "驳回共享申请", EN: "Reject a sharing request"},
        "share.revoke": {ZH: "撤销数据共享", EN: "Revoke data sharing"},
    }
)
