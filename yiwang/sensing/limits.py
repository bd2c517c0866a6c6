"""How much one sensing entity may hold: the longest name, description and other texts, the
largest JSON value (``properties``, ``parameters``, a result, a unit) and how deeply it may nest,
the largest GeoJSON geometry, and how deeply a request body may nest at all. Every check
answers 400 naming the entity and the field, in the caller's language.

The JSON checks walk the value without recursion and stop as soon as it is too big or too
deep, so that an oversized value costs no more than the limit to refuse; the nesting of a
whole body is measured on its text, before it is parsed."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from yiwang.core.errors import AppError
from yiwang.sensing import messages  # noqa: F401  (registers the messages)

MAX_NAME = 255  # characters of a name
MAX_DESCRIPTION = 10_000  # characters of a description
MAX_JSON_BYTES = 64 * 1024  # bytes of a JSON value (UTF-8, as stored)
MAX_JSON_DEPTH = 16  # levels of objects and arrays in a JSON value
MAX_GEOMETRY_BYTES = 1024 * 1024  # bytes of a GeoJSON geometry or Feature
MAX_BODY_DEPTH = 64  # levels of objects and arrays in a whole request body


LARGEST_ID = 2**63 - 1  # ids are signed 64-bit integers


def entity_id(value: Any) -> int | None:
    """The id ``@iot.id`` names (an integer, or its digits as text), or None when it names
    none a row can have: not a number, or past 64 bits."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= LARGEST_ID:
        return value
    return None


def too_long(entity: str, field: str, limit: int) -> AppError:
    return AppError(
        "sensing.field_too_long", status_code=400, entity=entity, field=field, limit=limit
    )


def check_text(value: str, *, entity: str, field: str, limit: int) -> None:
    """A 400 when ``value`` has more than ``limit`` characters."""
    if len(value) > limit:
        raise too_long(entity, field, limit)


# A JSON string (valid UTF-8 JSON holds no other quote), and every byte but a bracket.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nesting_exceeds(raw: bytes, limit: int) -> bool:
    """Whether the JSON text ``raw`` (UTF-8) nests objects and arrays more than ``limit``
    levels deep (``{"a": [1]}`` is 2), measured on the text before it is parsed: without
    recursion, and in time proportional to its size however it nests."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets))) > limit


def _excess(value: Any, max_bytes: int, max_depth: int) -> str | None:
    """``"depth"`` or ``"size"`` when ``value`` passes a limit, else None. The size is a lower
    bound of its JSON's, counted as the walk goes, so that the walk stops as soon as either
    limit is passed: a huge value costs no more to refuse than one at the limit."""
    total = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                return "depth"
            total += 1 + len(item)
            if total > max_bytes:
                return "size"
            if isinstance(item, dict):
                for key, child in item.items():
                    total += len(key) + 3 if isinstance(key, str) else 3
                    stack.append((child, depth + 1))
            else:
                stack.extend([(child, depth + 1) for child in item])
        elif isinstance(item, str):
            total += len(item) + 2
        else:
            total += 1
        if total > max_bytes:
            return "size"
    return None


def check_json(
    value: Any,
    *,
    entity: str,
    field: str,
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
) -> None:
    """A 400 when the JSON of ``value`` nests more than ``max_depth`` levels or takes more than
    ``max_bytes`` bytes (UTF-8)."""
    excess = _excess(value, max_bytes, max_depth)
    if excess is None and (
        len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()) > max_bytes
    ):
        excess = "size"
    if excess == "depth":
        raise AppError(
            "sensing.field_too_deep", status_code=400, entity=entity, field=field, limit=max_depth
        )
    if excess == "size":
        raise AppError(
            "sensing.field_too_large", status_code=400, entity=entity, field=field, limit=max_bytes
        )


__all__ = [
    "LARGEST_ID",
    "MAX_BODY_DEPTH",
    "MAX_DESCRIPTION",
    "MAX_GEOMETRY_BYTES",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_NAME",
    "check_json",
    "check_text",
    "entity_id",
    "nesting_exceeds",
    "too_long",
]
