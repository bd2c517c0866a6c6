"""A "not found" message names the object in the reader's language, whatever its kind: every kind
the code raises NotFound for has a Chinese and an English name, and an unknown kind shows no
code word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import yiwang
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.i18n import EN, OBJECT_NAMES, ZH, object_name, translate
from yiwang.sensing.sta.entities import TYPES

SOURCE = Path(yiwang.__file__).parent
_RAISED = re.compile(r"""NotFound\(\s*["']([^"']+)["']""")
_NAMED = re.compile(r"""object=["']([^"']+)["']""")


def _kinds_in_the_code() -> set[str]:
    kinds: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        kinds.update(_RAISED.findall(text))
        if "object_not_found" in text:
            kinds.update(_NAMED.findall(text))
    return kinds


def test_the_scan_finds_the_kinds() -> None:
    assert {"resource", "case", "department", "user"} <= _kinds_in_the_code()


@pytest.mark.parametrize("kind", sorted(_kinds_in_the_code()))
def test_every_kind_raised_has_a_chinese_and_an_english_name(kind: str) -> None:
    assert kind in OBJECT_NAMES
    chinese = object_name(kind, ZH)
    assert re.search(r"[\u4e00-\u9fff]", chinese)
    assert not re.search(r"[A-Za-z_]", chinese.replace("API", ""))
    assert re.fullmatch(r"[A-Za-z -]+", object_name(kind, EN))


def test_every_sensorthings_entity_type_is_named_singular_and_plural() -> None:
    for entity in TYPES.values():
        for kind in (entity.name, entity.plural):
            assert kind in OBJECT_NAMES, kind


@pytest.mark.parametrize(
    ("error", "zh", "en"),
    [
        (NotFound("resource", "air"), "数据资源不存在：air", "No data resource with the id air."),
        (NotFound("case", "2026-0001"), "办件不存在：2026-0001", "No case with the id 2026-0001."),
        (
            NotFound("Things", 7),
            "监测设备不存在：7",
            "No monitoring device with the id 7.",
        ),
        (NotFound("service_item", "X-1"), "办事事项不存在：X-1", "No service with the id X-1."),
        (NotFound("no_such_kind", 3), "对象不存在：3", "No object with the id 3."),
        (
            InvalidInput("object_not_found", object="user", id="li"),
            "用户不存在：li",
            "No user with the id li.",
        ),
    ],
)
def test_not_found_messages(error: Exception, zh: str, en: str) -> None:
    assert isinstance(error, NotFound | InvalidInput)
    assert error.message(ZH) == zh
    assert error.message(EN) == en
    assert error.envelope(ZH)["error"]["code"] == "object_not_found"
    assert error.envelope(EN)["error"]["message"] == en


def test_other_format_specs_and_conversions_still_work() -> None:
    assert translate("calendar.bad_date", EN, {"line": 3, "value": "x"}).endswith(
        "'x' is not a date (YYYY-MM-DD)."
    )
    assert translate("object_not_found", ZH, {"object": "case", "id": 5}) == "办件不存在：5"
