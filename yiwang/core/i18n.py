"""Messages in the user's language. Chinese is the default; English is offered.

Every user-facing message has a stable code; its texts live in ``MESSAGES``. Engines add their
own with :func:`add_messages`.

A message names a kind of object with the ``object`` format spec (``{object:object}``): the
parameter holds the kind's code word (``resource``, ``case``, ...) and the message shows its
name in the reader's language from ``OBJECT_NAMES``; a kind without a name there shows as
"对象" / "object", never as its code word.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

ZH = "zh-CN"
EN = "en"
SUPPORTED = (ZH, EN)

MESSAGES: dict[str, dict[str, str]] = {
    "internal_error": {
        ZH: "服务器内部错误，请稍后重试。",
        EN: "Internal server error; please try again later.",
    },
    "database_busy": {
        ZH: "数据库正忙（其他写入尚未完成），请稍后重试；未保存任何内容。",
        EN: "The database is busy with other writes; nothing was stored. Please retry shortly.",
    },
    "auth.throttled": {
        ZH: "尝试次数过多，请 {seconds} 秒后再试。",
        EN: "Too many failed attempts; try again in {seconds} s.",
    },
    "integrity_conflict": {
        ZH: "与已有数据冲突（例如名称或编号已被使用），未保存任何内容。",
        EN: "This conflicts with data already stored (a name or number already taken, for "
        "example); nothing was stored.",
    },
    "value_out_of_range": {
        ZH: "请求中的数值过大或嵌套过深，无法处理。",
        EN: "A number in the request is too large, or a value is nested too deep.",
    },
    "server_busy": {
        ZH: "服务器正忙，请 {seconds} 秒后重试；本次请求未做任何处理。",
        EN: "The server is busy; nothing was done. Please retry in {seconds} s.",
    },
    "not_found": {ZH: "未找到请求的资源。", EN: "The requested resource was not found."},
    "object_not_found": {
        ZH: "{object:object}不存在：{id}",
        EN: "No {object:object} with the id {id}.",
    },
    "method_not_allowed": {ZH: "不支持该请求方法。", EN: "This method is not allowed here."},
    "validation_failed": {ZH: "请求数据无效。", EN: "The request is not valid."},
    "malformed_json": {ZH: "请求正文不是有效的 JSON。", EN: "The request body is not valid JSON."},
    "field_invalid": {
        ZH: "字段 {field} 无效：{reason}",
        EN: "Field {field} is not valid: {reason}",
    },
    "field_missing": {ZH: "缺少必填字段 {field}", EN: "Field {field} is required."},
    "auth.required": {ZH: "需要登录或提供 API 令牌。", EN: "Authentication is required."},
    "auth.invalid_token": {ZH: "API 令牌无效。", EN: "The API token is not valid."},
    "auth.expired_token": {ZH: "API 令牌已过期。", EN: "The API token has expired."},
    "auth.revoked_token": {ZH: "API 令牌已被吊销。", EN: "The API token has been revoked."},
    "auth.bad_credentials": {ZH: "用户名或密码错误。", EN: "Wrong username or password."},
    "auth.inactive_user": {ZH: "该用户已被停用。", EN: "This user has been deactivated."},
    "auth.csrf_failed": {
        ZH: "表单已失效或缺少 CSRF 令牌，请刷新页面后重试。",
        EN: "The form has expired or its CSRF token is missing; reload the page and try again.",
    },
    "auth.second_factor_pending": {
        ZH: "登录尚未完成：请先输入身份验证器应用中的动态验证码（首次登录须先绑定身份验证器）。",
        EN: "Sign-in is not finished: enter the code from your authenticator app first (or, at "
        "a first sign-in, set one up).",
    },
    "auth.basic_second_factor": {
        ZH: "该账号登录须使用两步验证，不接受以密码进行的 HTTP Basic 认证；请改用 API 令牌"
        "（Bearer 方式，或作为 Basic 认证的密码）。",
        EN: "This account signs in with two-step verification, so HTTP Basic with its password "
        "is refused; use an API token (as a bearer token, or as the Basic password).",
    },
    "second_factor.wrong_code": {
        ZH: "验证码或恢复码不正确，或已使用过。",
        EN: "The code is wrong, or has been used already.",
    },
    "second_factor.expired": {
        ZH: "本次登录已超时，请重新输入用户名和密码。",
        EN: "This sign-in has timed out; enter your username and password again.",
    },
    "second_factor.not_offered": {
        ZH: "本系统未开放自行开启两步验证。",
        EN: "Two-step verification cannot be turned on for this account.",
    },
    "second_factor.required": {
        ZH: "您的角色必须使用两步验证，不能关闭。",
        EN: "Your role must use two-step verification; it cannot be turned off.",
    },
    "second_factor.not_enabled": {
        ZH: "两步验证尚未开启。",
        EN: "Two-step verification is not on.",
    },
    "second_factor.no_enrolment": {
        ZH: "没有正在绑定的身份验证器，请重新开始绑定。",
        EN: "No authenticator is being set up; start again.",
    },
    "second_factor.unreadable": {
        ZH: "无法读取保存的身份验证器密钥（服务器密钥可能已更换），请联系系统管理员重置两步验证。",
        EN: "The stored authenticator secret cannot be read (the server's secret key may have "
        "changed); ask a system administrator to reset your two-step verification.",
    },
    "identity.sign_in_notice": {
        ZH: "{start} 至 {end}，您的账号有 {failures} 次登录失败，来自地址 {addresses}；"
        "此后的登录尝试已被放缓。如非本人操作，请尽快告知系统管理员。",
        EN: "{failures} failed sign-ins to your account from {addresses} between {start} and "
        "{end}; further tries were slowed down. If that was not you, tell a system "
        "administrator.",
    },
    "policy.denied": {
        ZH: "无权执行此操作：{action}",
        EN: "You are not allowed to do this: {action}",
    },
    "identity.duplicate_username": {
        ZH: "用户名已存在：{username}",
        EN: "The username is taken: {username}",
    },
    "identity.duplicate_department": {
        ZH: "部门已存在：{name}（{division_code}）",
        EN: "The department already exists: {name} ({division_code})",
    },
    "identity.bad_slug": {
        ZH: "部门简码只能由小写字母、数字、- 和 _ 组成（2–64 个字符）：{slug}",
        EN: "A department slug is 2–64 lowercase letters, digits, - and _: {slug}",
    },
    "identity.duplicate_slug": {
        ZH: "部门简码已被使用：{slug}",
        EN: "The department slug is taken: {slug}",
    },
    "identity.unknown_role": {ZH: "未知角色：{role}", EN: "Unknown role: {role}"},
    "identity.unknown_department": {
        ZH: "部门不存在：{department}",
        EN: "No such department: {department}",
    },
    "identity.department_required": {
        ZH: "该角色的用户必须属于一个部门。",
        EN: "A user with this role must belong to a department.",
    },
    "identity.weak_password": {
        ZH: "密码至少需要 {min} 个字符。",
        EN: "The password must have at least {min} characters.",
    },
    "identity.parent_cycle": {
        ZH: "上级部门不能是本部门或其下级部门。",
        EN: "A department cannot be its own parent or the parent of its parent.",
    },
    "codes.uscc_invalid": {
        ZH: "统一社会信用代码无效（GB 32100）：{value}",
        EN: "Not a valid unified social credit code (GB 32100): {value}",
    },
    "codes.ric_invalid": {
        ZH: "居民身份证号码无效（GB 11643）：{value}",
        EN: "Not a valid resident identity number (GB 11643): {value}",
    },
    "codes.division_invalid": {
        ZH: "行政区划代码无效（GB/T 2260）：{value}",
        EN: "Not a valid administrative division code (GB/T 2260): {value}",
    },
    "calendar.year_not_loaded": {
        ZH: "无法按工作日计算到 {year} 年：该年没有导入官方节假日安排，"
        "且不在按《全国年节及纪念日放假办法》（2025 年起施行）可推算的年份（2025—2099 年）之内。",
        EN: "Working days cannot be counted into {year}: no official holiday schedule is loaded "
        "for it, and it is outside the years (2025-2099) for which the holiday law lets one be "
        "derived.",
    },
    "calendar.not_utf8": {
        ZH: "节假日文件不是 UTF-8 文本。",
        EN: "The holiday file is not UTF-8 text.",
    },
    "calendar.bad_json": {
        ZH: "节假日文件第 {line} 行：不是有效的 JSON。",
        EN: "Holiday file, line {line}: not valid JSON.",
    },
    "calendar.bad_years": {
        ZH: "节假日文件的 years 应为年份列表。",
        EN: "The holiday file's years must be a list of years.",
    },
    "calendar.bad_row": {
        ZH: "节假日文件第 {line} 行：应为 日期,类型[,名称]（date,type[,name]）。",
        EN: "Holiday file, line {line}: expected date,type[,name].",
    },
    "calendar.bad_date": {
        ZH: "节假日文件第 {line} 行：“{value}”不是日期（YYYY-MM-DD）。",
        EN: "Holiday file, line {line}: {value!r} is not a date (YYYY-MM-DD).",
    },
    "calendar.bad_type": {
        ZH: "节假日文件第 {line} 行：类型应为 holiday（休）或 workday（班），而不是“{value}”。",
        EN: "Holiday file, line {line}: the type must be holiday or workday, not {value!r}.",
    },
    "calendar.empty": {ZH: "节假日文件中没有任何日期。", EN: "The holiday file lists no days."},
    "calendar.duplicate_day": {
        ZH: "节假日文件第 {line} 行：{day} 已在第 {first} 行列出。",
        EN: "Holiday file, line {line}: {day} is already listed on line {first}.",
    },
    "calendar.undeclared_year": {
        ZH: "节假日文件第 {line} 行：{day} 不在文件声明的年份 {years} 之内。",
        EN: "Holiday file, line {line}: {day} is not in the years the file declares ({years}).",
    },
    "calendar.wrong_year": {
        ZH: "节假日文件应为 {expected} 年的安排，但其中的日期属于 {found} 年。",
        EN: "The holiday file should hold the schedule of {expected}, but its days are of {found}.",
    },
    "calendar.workday_on_holiday": {
        ZH: "节假日文件第 {line} 行：{day} 是法定节假日（{name}），不能调为上班日。",
        EN: "Holiday file, line {line}: {day} is a statutory holiday ({name}) and cannot be a "
        "make-up workday.",
    },
    "calendar.missing_holiday": {
        ZH: "节假日文件缺少 {year} 年的法定节假日 {day}（{name}）；这可能不是该年的安排。",
        EN: "The holiday file does not list {day} ({name}), a statutory holiday of {year}; it "
        "may not be that year's schedule.",
    },
    "calendar.this_year_provisional": {
        ZH: "{year} 年没有导入官方节假日安排，按法定假日推算的预计日历计算期限；"
        "请用 yiwang calendar import 导入国务院办公厅的通知。",
        EN: "{year} has no official holiday schedule; deadlines are counted on the provisional "
        "calendar derived from the law. Import the State Council's notice with "
        "yiwang calendar import.",
    },
    "calendar.next_year_provisional": {
        ZH: "{year} 年的官方节假日安排尚未导入，跨入该年的期限均为预计；国务院办公厅发布通知后，"
        "请用 yiwang calendar import 或控制台导入，系统将重新计算受影响的期限。",
        EN: "{year}'s official holiday schedule is not loaded yet, so deadlines reaching into it "
        "are provisional. When the State Council publishes its notice, import it with yiwang "
        "calendar import or in the console; the affected deadlines are then recomputed.",
    },
    "calendar.this_year_provisional.staff": {
        ZH: "{year} 年的官方节假日安排尚未导入，期限暂按法定假日推算；系统管理员导入后，"
        "受影响的期限将自动重新计算。",
        EN: "{year}'s official holiday schedule is not loaded yet, so deadlines are counted on "
        "the statutory holidays for now; once an administrator imports it, the affected "
        "deadlines are recomputed.",
    },
    "calendar.next_year_provisional.staff": {
        ZH: "{year} 年的官方节假日安排尚未导入，跨入该年的期限为预计；"
        "国务院办公厅发布、系统管理员导入后，受影响的期限将自动重新计算。",
        EN: "{year}'s official holiday schedule is not loaded yet, so deadlines reaching into it "
        "are provisional; once an administrator imports it, the affected deadlines are "
        "recomputed.",
    },
    "jobs.unknown_kind": {ZH: "未知的任务类型：{kind}", EN: "Unknown job kind: {kind}"},
    "upload.too_large": {
        ZH: "上传内容超过大小限制（{limit} 字节）。",
        EN: "The upload exceeds the size limit ({limit} bytes).",
    },
}


# The kinds of object a message may name (the code word a NotFound carries), in each language.
# The SensorThings entity types appear under their singular and plural names, as paths use both.
OBJECT_NAMES: dict[str, dict[str, str]] = {
    # the core
    "department": {ZH: "部门", EN: "department"},
    "user": {ZH: "用户", EN: "user"},
    "api_token": {ZH: "API 令牌", EN: "API token"},
    "notice": {ZH: "通知", EN: "notice"},
    "job": {ZH: "后台任务", EN: "background job"},
    # the catalogue
    "resource": {ZH: "数据资源", EN: "data resource"},
    "distribution": {ZH: "数据表", EN: "data table"},
    "share_request": {ZH: "共享申请", EN: "sharing request"},
    "organization": {ZH: "部门", EN: "department"},
    "group": {ZH: "资源分类", EN: "category"},
    # cases
    "case": {ZH: "办件", EN: "case"},
    "service_item": {ZH: "办事事项", EN: "service"},
    "item": {ZH: "事项", EN: "service"},
    "item_version": {ZH: "事项版本", EN: "version of the service"},
    "power": {ZH: "权力事项", EN: "administrative power"},
    "task": {ZH: "待办任务", EN: "task"},
    "action": {ZH: "办理操作", EN: "action"},
    "material": {ZH: "申请材料", EN: "document"},
    # sensing
    "thing": {ZH: "监测设备", EN: "monitoring device"},
    "Thing": {ZH: "监测设备", EN: "monitoring device"},
    "Things": {ZH: "监测设备", EN: "monitoring device"},
    "Location": {ZH: "位置", EN: "location"},
    "Locations": {ZH: "位置", EN: "location"},
    "HistoricalLocation": {ZH: "历史位置", EN: "historical location"},
    "HistoricalLocations": {ZH: "历史位置", EN: "historical location"},
    "Sensor": {ZH: "传感器", EN: "sensor"},
    "Sensors": {ZH: "传感器", EN: "sensor"},
    "ObservedProperty": {ZH: "观测属性", EN: "observed property"},
    "ObservedProperties": {ZH: "观测属性", EN: "observed property"},
    "Datastream": {ZH: "数据流", EN: "datastream"},
    "Datastreams": {ZH: "数据流", EN: "datastream"},
    "MultiDatastream": {ZH: "多值数据流", EN: "multi-value datastream"},
    "MultiDatastreams": {ZH: "多值数据流", EN: "multi-value datastream"},
    "Observation": {ZH: "观测值", EN: "observation"},
    "Observations": {ZH: "观测值", EN: "observation"},
    "FeatureOfInterest": {ZH: "观测对象", EN: "feature of interest"},
    "FeaturesOfInterest": {ZH: "观测对象", EN: "feature of interest"},
    "alert": {ZH: "预警", EN: "alert"},
    "alert rule": {ZH: "预警规则", EN: "alert rule"},
    "webhook": {ZH: "消息推送地址", EN: "webhook"},
}
_UNKNOWN_OBJECT = {ZH: "对象", EN: "object"}


def object_name(kind: str, language: str) -> str:
    """Return the name of the kind of object ``kind`` (a code word such as ``resource``) in
    ``language``; a kind without a name says "对象" / "object"."""
    names = OBJECT_NAMES.get(kind, _UNKNOWN_OBJECT)
    return names.get(language) or names[ZH]


def add_object_names(names: Mapping[str, Mapping[str, str]]) -> None:
    """Register the names of an engine's kinds of object. A kind may be registered once."""
    for kind, texts in names.items():
        if kind in OBJECT_NAMES and OBJECT_NAMES[kind] != texts:
            raise ValueError(f"object kind registered twice: {kind}")
        OBJECT_NAMES[kind] = dict(texts)


class _Formatter(string.Formatter):
    """``str.format`` with one more format spec, ``object``: the named kind of object."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec == "object":
            return object_name(str(value), self.language)
        return super().format_field(value, format_spec)


def add_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Register an engine's messages. A code may be registered once."""
    for code, texts in messages.items():
        if code in MESSAGES and MESSAGES[code] != texts:
            raise ValueError(f"message code registered twice: {code}")
        MESSAGES[code] = dict(texts)


def negotiate(accept_language: str | None, default: str = ZH) -> str:
    """Return the supported language that best matches an ``Accept-Language`` header."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return ZH
        if tag.startswith("en"):
            return EN
        if tag == "*":
            return default
    return default


def translate(code: str, language: str, params: Mapping[str, Any] | None = None) -> str:
    """Return the message ``code`` in ``language`` with ``params`` filled in."""
    texts = MESSAGES.get(code)
    if texts is None:
        return code
    template = texts.get(language) or texts[ZH]
    try:
        return _Formatter(language).format(template, **(params or {}))
    except (KeyError, IndexError):
        return template
