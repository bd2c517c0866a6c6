"""Request bodies over the limit are refused while they are read, with the upload message in
the user's language, whether the size is declared or the body is streamed in chunks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.databases import BoundDatabase
from yiwang.app import create_app
from yiwang.core.config import Settings

LIMIT = 4096  # the largest upload in these tests; the app allows a megabyte more for forms
BODY = LIMIT + 1024 * 1024 + 1


@pytest.fixture
def small_client(db: BoundDatabase, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"max_upload_bytes": LIMIT}), db)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def test_a_declared_body_over_the_limit_is_refused_in_the_users_language(
    small_client: TestClient,
) -> None:
    answer = small_client.post(
        "/api/v1/cases/complaints",
        content=b"x" * BODY,
        headers={"Content-Type": "application/json", "Accept-Language": "zh-CN"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "upload.too_large"
    assert "上传内容超过大小限制" in answer.json()["error"]["message"]
    page = small_client.post(
        "/login",
        content=b"username=a&password=" + b"x" * BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert page.status_code == 413
    assert "上传内容超过大小限制" in page.text


def test_a_streamed_body_is_counted_as_it_arrives(small_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(BODY // 65536 + 1):
            yield b"x" * 65536

    answer = small_client.post(
        "/api/v1/cases/complaints",
        content=chunks(),
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "upload.too_large"


def test_a_body_within_the_limit_goes_through(small_client: TestClient) -> None:
    answer = small_client.post(
        "/api/v1/cases/complaints", json={"category_code": "none"}, headers={"Accept": "*/*"}
    )
    assert answer.status_code == 422  # read and judged on its content
