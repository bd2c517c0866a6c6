"""The names of audit actions in the reader's language.

An entry keeps its action as a stable code (``user.login``, ``share.approve``); the log is read
by its label. ``ACTION_LABELS`` holds the core's actions; engines add theirs with
:func:`add_action_labels`. An action without a label shows as its code.

A label names the act, whatever came of it: the entry's outcome says whether it was done,
refused or failed.
"""

from __future__ import annotations

from collections.abc import Mapping

from yiwang.core.i18n import EN, ZH

ACTION_LABELS: dict[str, dict[str, str]] = {
    # the audit log itself
    "audit.read": {ZH: "查阅审计日志", EN: "Read the audit log"},
    "audit.verify": {ZH: "校验哈希链", EN: "Verify the hash chain"},
    # signing in
    "auth.throttled": {ZH: "登录尝试过多，暂停受理", EN: "Pause sign-in attempts"},
    "user.login": {ZH: "登录", EN: "Sign in"},
    "user.login_password": {ZH: "登录：密码通过，待第二步验证", EN: "Sign in: password checked"},
    "user.logout": {ZH: "退出登录", EN: "Sign out"},
    "user.second_factor_verified": {
        ZH: "登录：动态验证码通过",
        EN: "Sign in: second factor checked",
    },
    "user.second_factor_failed": {ZH: "动态验证码错误", EN: "Wrong second-factor code"},
    "user.recovery_code_used": {ZH: "使用恢复码", EN: "Use a recovery code"},
    "user.sign_in_notice": {ZH: "发出异常登录提醒", EN: "Warn of failed sign-ins"},
    "user.sign_in_notice_seen": {ZH: "已读异常登录提醒", EN: "Read a sign-in warning"},
    # second factor
    "user.second_factor_enrol": {ZH: "设置动态验证码", EN: "Set up a second factor"},
    "user.second_factor_enrolment": {
        ZH: "开始设置动态验证码",
        EN: "Start setting up a second factor",
    },
    "user.second_factor_on": {ZH: "启用动态验证码", EN: "Turn on the second factor"},
    "user.second_factor_off": {ZH: "关闭动态验证码", EN: "Turn off the second factor"},
    "user.second_factor_reset": {ZH: "重置动态验证码", EN: "Reset the second factor"},
    "user.recovery_codes": {ZH: "重新生成恢复码", EN: "Make new recovery codes"},
    # users, departments and tokens
    "user.create": {ZH: "创建用户", EN: "Create a user"},
    "user.read": {ZH: "查看用户", EN: "View a user"},
    "user.list": {ZH: "查看用户列表", EN: "List users"},
    "user.update": {ZH: "修改用户", EN: "Change a user"},
    "user.activate": {ZH: "启用用户", EN: "Reactivate a user"},
    "user.deactivate": {ZH: "停用用户", EN: "Deactivate a user"},
    "user.password": {ZH: "修改密码", EN: "Change a password"},
    "department.create": {ZH: "创建部门", EN: "Create a department"},
    "department.update": {ZH: "修改部门", EN: "Change a department"},
    "department.list": {ZH: "查看部门列表", EN: "List departments"},
    "token.create": {ZH: "创建 API 令牌", EN: "Create an API token"},
    "token.list": {ZH: "查看 API 令牌", EN: "List API tokens"},
    "token.revoke": {ZH: "吊销 API 令牌", EN: "Revoke an API token"},
    # the platform
    "calendar.import": {ZH: "导入节假日安排", EN: "Import the holiday schedule"},
    "config.read": {ZH: "查看系统配置", EN: "Read the configuration"},
    "job.read": {ZH: "查看后台任务", EN: "View a background job"},
    "pack.install": {ZH: "安装领域包", EN: "Install a sector pack"},
    "pack.upgrade": {ZH: "升级领域包", EN: "Upgrade a sector pack"},
    "pack.list": {ZH: "查看领域包", EN: "List sector packs"},
}


def action_label(action: str, language: str) -> str:
    """Return the label of ``action`` in ``language``; an action without one shows its code."""
    labels = ACTION_LABELS.get(action)
    if labels is None:
        return action
    return labels.get(language) or labels[ZH]


def add_action_labels(labels: Mapping[str, Mapping[str, str]]) -> None:
    """Register the labels of an engine's audit actions. An action may be labelled once."""
    for action, texts in labels.items():
        if action in ACTION_LABELS and ACTION_LABELS[action] != texts:
            raise ValueError(f"audit action labelled twice: {action}")
        ACTION_LABELS[action] = dict(texts)


def labelled_actions(language: str) -> list[tuple[str, str]]:
    """Every labelled action and its label in ``language``, in the order of their codes (an
    engine's actions stand together)."""
    return [(action, action_label(action, language)) for action in sorted(ACTION_LABELS)]
