"""Every JSON answer of the native API has a typed response schema: in the OpenAPI document,
each success response (2xx) of ``/api/v1/...``, ``/healthz`` and ``/readyz`` that answers
``application/json`` names a schema (a ``$ref`` to a pydantic model in an engine's
``schemas.py``, built by one mapper), not a free ``object`` or a list of free objects. A route
returning ``dict[str, Any]`` fails here with its method and path, so the next engine's routes
are held to it.

The standard APIs keep the shape their standard fixes, which is partly dynamic; they are
listed in ``STANDARD``, by path prefix, and are the only ones allowed to answer without a
schema. The list is not for native routes."""

from __future__ import annotations

import json
import secrets
from functools import cache
from typing import Any

from yiwang.app import create_app
from yiwang.core.config import Settings

NATIVE = ("/api/v1", "/healthz", "/readyz")

# Path prefixes of standard APIs whose answers stay untyped, and why.
STANDARD: dict[str, str] = {
    # OGC SensorThings API 1.1: the shape of an entity depends on $select and $expand, and the
    # service root and CreateObservations answer as the standard writes them.
    "/sta/v1.1": "SensorThings: $select/$expand make the shape dynamic",
    # CKAN's Action API answers {"help", "success", "result"} with a result per action.
    "/api/3/action": "CKAN Action API: one envelope, the result per action",
    # DCAT-AP exports: RDF as JSON-LD, Turtle or RDF/XML by the format asked for.
    "/catalog": "DCAT-AP catalogue export (JSON-LD, Turtle, RDF/XML)",
    "/dataset/": "DCAT-AP dataset export (JSON-LD, Turtle, RDF/XML)",
    # A distribution's rows as CSV, JSON or NDJSON, with the columns of its table.
    "/datastore/dump/": "datastore dump: the table's own columns, in the format asked for",
    # Open311 GeoReport v2 has its own standard shape (and XML).
    "/open311/v2": "Open311 GeoReport v2",
}


@cache
def _openapi() -> dict[str, Any]:
    # As `yiwang openapi` builds it: a throw-away app on an in-memory database.
    settings = Settings(secret_key=secrets.token_urlsafe(32), database_url="sqlite://")
    return create_app(settings).openapi()


def _json_answers() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, status, schema) of every JSON success response."""
    found = []
    for path, operations in _openapi()["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, response in operation["responses"].items():
                if not code.startswith("2"):
                    continue
                content = response.get("content", {}).get("application/json")
                if content is not None:
                    found.append((method.upper(), path, code, content.get("schema", {})))
    return found


def _typed(schema: dict[str, Any]) -> bool:
    """The schema names a model: a reference, or an array or union of references."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _typed(schema.get("items", {}))
    union = schema.get("anyOf") or schema.get("oneOf")
    return bool(union) and all(_typed(s) for s in union)


def _standard(path: str) -> bool:
    return any(path == p or path.startswith(p) for p in STANDARD)


def test_native_json_answers_have_a_schema() -> None:
    untyped = [
        f"{method} {path} ({code}): {json.dumps(schema)[:80]}"
        for method, path, code, schema in _json_answers()
        if path.startswith(NATIVE) and not _typed(schema)
    ]
    assert not untyped, (
        "native routes answering JSON without a response model (return a pydantic model from "
        "the engine's schemas.py, made by one mapper):\n" + "\n".join(untyped)
    )


def test_only_the_standard_apis_answer_untyped() -> None:
    untyped = [
        f"{method} {path}"
        for method, path, _, schema in _json_answers()
        if not _typed(schema) and not _standard(path)
    ]
    assert not untyped, "untyped JSON answers outside the standard APIs:\n" + "\n".join(untyped)


def test_the_native_api_is_documented() -> None:
    """The check above reads something: the native API is in the document."""
    native = [path for _, path, _, _ in _json_answers() if path.startswith(NATIVE)]
    assert len(native) > 50
