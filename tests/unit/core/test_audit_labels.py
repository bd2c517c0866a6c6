"""The audit log page names each action in the reader's language: every action the code writes to
the log, or refuses and so logs as denied, has a Chinese and an English label, and an action
without one shows its code."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import yiwang

# The engines register the labels of their actions when their messages are imported.
import yiwang.cases.messages
import yiwang.catalog.messages
import yiwang.sensing.messages
from yiwang.cases.vocab import TRANSITIONS
from yiwang.core.audit import ACTION_LABELS, action_label, add_action_labels
from yiwang.core.i18n import EN, ZH

SOURCE = Path(yiwang.__file__).parent

# The calls that write an audit entry, or raise the refusal the web layer writes as a denied entry,
# keyed by (module, or "*" for any; the function as called), with where they take the action:
# the ``action`` keyword, or a position. A prefix is put before what they are given.
_CARRIERS: dict[tuple[str, str], tuple[str | int, str]] = {
    ("*", "record"): ("action", ""),
    ("*", "record_read"): ("action", ""),
    ("*", "record_at_commit"): ("action", ""),
    ("*", "record_change"): ("action", ""),
    ("*", "require"): (1, ""),
    ("*", "PermissionDenied"): (0, ""),
    ("catalog/datastore_edits.py", "_editable"): ("action", ""),
    ("catalog/service.py", "_changed"): ("action", "resource."),
    ("sensing/alerting/alerts.py", "_handled_alert"): ("action", ""),
    ("sensing/alerting/service.py", "_changed"): (3, ""),
    ("sensing/alerting/webhooks.py", "_audit"): (3, ""),
    ("sensing/sta/store.py", "writer.record"): (0, "sensing.sta."),
}

# Where a carrier passes on an action it was given rather than one it names: the scan reads the
# action where it is named (the carrier's callers above), except for the case transitions, whose
# actions are the keys of the state machine.
_PASSED_ON = {
    ("cases/auditing.py", "entry.action"),
    ("cases/workflow.py", "f'case.{action}'"),
    ("catalog/datastore_edits.py", "action"),
    ("catalog/datastore_versions.py", "action"),
    ("catalog/service.py", "f'resource.{action}'"),
    ("core/audit/service.py", "action"),
    ("core/policy.py", "action"),
    ("core/web/deps.py", "exc.action"),
    ("sensing/alerting/alerts.py", "action"),
    ("sensing/alerting/service.py", "action"),
    ("sensing/alerting/webhooks.py", "action"),
    ("sensing/sta/store.py", "f'sensing.sta.{action}'"),
}


def _argument(call: ast.Call, where: str | int) -> ast.expr | None:
    if isinstance(where, int):
        return call.args[where] if len(call.args) > where else None
    return next((k.value for k in call.keywords if k.arg == where), None)


def _texts(node: ast.expr) -> Iterator[str] | None:
    """The strings ``node`` can be, or None when it is not written out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return iter([node.value])
    if isinstance(node, ast.IfExp):
        body, orelse = _texts(node.body), _texts(node.orelse)
        if body is not None and orelse is not None:
            return iter([*body, *orelse])
    return None


def _scan() -> tuple[set[str], set[tuple[str, str]]]:
    """The actions named in the code, and the places that pass one on."""
    named: set[str] = set()
    passed_on: set[tuple[str, str]] = set()
    for path in sorted(SOURCE.rglob("*.py")):
        module = path.relative_to(SOURCE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            for key in ((module, name), (module, ast.unparse(func)), ("*", name)):
                if key not in _CARRIERS:
                    continue
                where, prefix = _CARRIERS[key]
                argument = _argument(node, where)
                if argument is None:
                    continue
                texts = _texts(argument)
                if texts is None:
                    passed_on.add((module, ast.unparse(argument)))
                else:
                    named.update(prefix + text for text in texts)
    return named, passed_on


def _actions_in_the_code() -> set[str]:
    named, _ = _scan()
    return named | {f"case.{action}" for action in TRANSITIONS}


def test_the_scan_finds_the_actions() -> None:
    actions = _actions_in_the_code()
    assert {
        "user.login",
        "token.create",
        "audit.verify",
        "share.approve",
        "share.reject",
        "resource.create",
        "case.accept",
        "sensing.sta.create",
        "sensing.rule.update",
        "sensing.webhook.rotate_secret",
        "datastore.upsert",
    } <= actions
    assert not {"create", "update", "submit"} & actions


def test_every_action_passed_on_is_named_where_the_scan_reads_it() -> None:
    """A new helper that hands on an action it is given must be listed above, with its callers
    read, or its actions would go unchecked."""
    _, passed_on = _scan()
    assert passed_on == _PASSED_ON


@pytest.mark.parametrize("action", sorted(_actions_in_the_code()))
def test_every_action_has_a_chinese_and_an_english_label(action: str) -> None:
    assert action in ACTION_LABELS
    chinese = action_label(action, ZH)
    assert re.search(r"[\u4e00-\u9fff]", chinese)
    assert not re.search(r"[A-Za-z_]", re.sub(r"API|SQL|MQTT|Webhook|JSON", "", chinese))
    assert re.fullmatch(r"[A-Za-z0-9 ,:()'/-]+", action_label(action, EN))


def test_an_action_without_a_label_shows_its_code() -> None:
    assert action_label("no.such_action", ZH) == "no.such_action"
    assert action_label("no.such_action", EN) == "no.such_action"
    assert action_label("user.login", ZH) == "登录"
    assert action_label("user.login", EN) == "Sign in"


def test_an_action_is_labelled_once() -> None:
    add_action_labels({"user.login": ACTION_LABELS["user.login"]})
    with pytest.raises(ValueError, match=r"user\.login"):
        add_action_labels({"user.login": {ZH: "别的", EN: "Something else"}})
