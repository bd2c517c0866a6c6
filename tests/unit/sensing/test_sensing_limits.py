"""The size limits of what clients store in the sensing engine: texts, JSON values and how
deeply they nest, checked without recursion and refused (400) naming the field."""

from __future__ import annotations

import time
from typing import Any

import pytest

from yiwang.core.errors import AppError
from yiwang.sensing import limits


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_the_nesting_of_a_body_is_measured_on_its_text() -> None:
    assert not limits.nesting_exceeds(b"1", 0)
    assert not limits.nesting_exceeds(b'{"a": [1]}', 2)
    assert limits.nesting_exceeds(b'{"a": [1]}', 1)
    assert not limits.nesting_exceeds(b"[[1], [2], {}, [[3]]]", 3)
    # Brackets in strings, escaped quotes included, are text.
    assert not limits.nesting_exceeds(b'{"a": "[[[[\\"[[[[", "b": "\\\\"}', 1)
    assert not limits.nesting_exceeds('{"名": "【[[["}'.encode(), 1)
    # Far deeper than Python's stack, and quickly.
    started = time.perf_counter()
    assert limits.nesting_exceeds(b"[" * 1_000_000 + b"]" * 1_000_000, 64)
    assert not limits.nesting_exceeds(b"[" + b"0," * 5_000_000 + b"0]", 64)
    assert time.perf_counter() - started < 1


def test_json_values_have_a_size_and_a_depth_and_the_error_names_the_field() -> None:
    limits.check_json({"k": "x" * 60_000}, entity="Thing", field="properties")
    limits.check_json(_nested(16), entity="Thing", field="properties")
    with pytest.raises(AppError) as deep:
        limits.check_json({"a": _nested(16)}, entity="Thing", field="properties")
    assert deep.value.status_code == 400
    assert deep.value.message("en") == (
        "The field properties of Thing is nested too deeply: at most 16 levels."
    )
    with pytest.raises(AppError) as large:
        limits.check_json({"k": "界" * 30_000}, entity="Sensor", field="metadata")
    # 30,000 characters of Chinese are 90,000 bytes of UTF-8.
    assert large.value.message("en") == (
        "The field metadata of Sensor is too large: at most 65536 bytes of JSON."
    )
    assert "metadata" in large.value.message("zh-CN")


def test_a_huge_value_is_refused_without_reading_all_of_it() -> None:
    huge = {"values": [0] * 5_000_000}
    started = time.perf_counter()
    with pytest.raises(AppError):
        limits.check_json(huge, entity="Thing", field="properties")
    assert time.perf_counter() - started < 0.5


def test_texts_have_a_length_in_characters() -> None:
    limits.check_text("名" * 255, entity="Thing", field="name", limit=limits.MAX_NAME)
    with pytest.raises(AppError) as error:
        limits.check_text("名" * 256, entity="Thing", field="name", limit=limits.MAX_NAME)
    assert error.value.message("en") == (
        "The field name of Thing is too long: at most 255 characters."
    )
