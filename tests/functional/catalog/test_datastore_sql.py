"""CKAN's datastore_search_sql: off by default; when on, one read-only SELECT with
allow-listed functions under a time limit, never over masked personal data."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.functional.catalog.conftest import Government
from tests.functional.catalog.test_datastore import PEOPLE, STATIONS, _ids
from tests.support.databases import BoundDatabase
from yiwang.catalog import sql
from yiwang.core.config import Settings
from yiwang.core.errors import InvalidInput


@pytest.fixture
def tables(db: BoundDatabase, gov: Government, tmp_path: Path) -> dict[str, str]:
    made = {}
    id1, id2 = _ids()
    for key, content in (("stations", STATIONS), ("people", PEOPLE.format(id1=id1, id2=id2))):
        with db.session() as session:
            resource = make_resource(session, gov.env_editor, department_id=gov.env.id)
            made[key] = make_distribution(session, gov.env_editor, resource).id
        upload(db, gov.env_editor, made[key], content.encode(), f"{key}.csv", tmp_path)
    return made


def _sql(client: TestClient, statement: str) -> dict[str, object]:
    return client.get("/api/3/action/datastore_search_sql", params={"sql": statement}).json()  # type: ignore[no-any-return]


def test_it_is_off_unless_an_operator_turns_it_on(
    app_client: TestClient, tables: dict[str, str]
) -> None:
    answer = _sql(app_client, f'SELECT count(*) FROM "{tables["stations"]}"')
    assert answer["success"] is False
    assert answer["error"]["__type"] == "Authorization Error"  # type: ignore[index]


def test_reads_with_column_names_and_refuses_the_rest(
    app_client: TestClient, settings: Settings, tables: dict[str, str]
) -> None:
    settings.datastore_sql_enabled = True
    stations = tables["stations"]
    answer = _sql(
        app_client,
        f'SELECT "城市", count(*) AS n, max("AQI") AS top FROM "{stations}" '
        f'GROUP BY "城市" ORDER BY "城市"',
    )
    assert answer["success"] is True, answer
    records = answer["result"]["records"]  # type: ignore[index]
    assert [(r["城市"], r["n"], r["top"]) for r in records] == [
        ("宁波市", 1, 63),
        ("杭州市", 2, 57),
    ]
    for refused in (
        f'DELETE FROM "{stations}"',
        f'SELECT * FROM "{stations}"; DROP TABLE users',
        f"SELECT load_extension('x') FROM \"{stations}\"",
        f'SELECT pg_sleep(10) FROM "{stations}"',
        "SELECT * FROM users",
        f'SELECT * FROM "{stations}" -- comment',
    ):
        answer = _sql(app_client, refused)
        assert answer["success"] is False, refused
        assert answer["error"]["__type"] == "Validation Error", refused  # type: ignore[index]
    masked = _sql(app_client, f'SELECT * FROM "{tables["people"]}"')
    assert masked["success"] is False
    assert "personal" in str(masked["error"])


def test_a_runaway_query_is_stopped(
    app_client: TestClient, settings: Settings, tables: dict[str, str]
) -> None:
    settings.datastore_sql_enabled = True
    settings.datastore_sql_timeout_ms = 200
    statement = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
        f'SELECT count(*) FROM n, "{tables["stations"]}"'
    )
    answer = _sql(app_client, statement)
    assert answer["success"] is False
    # The request's transaction is still usable afterwards.
    assert _sql(app_client, f'SELECT count(*) AS n FROM "{tables["stations"]}"')["success"] is True


def test_the_checker_alone() -> None:
    assert sql.check("select 1 from x;") == "select 1 from x"
    with pytest.raises(InvalidInput):
        sql.check("SELECT upper('a'); SELECT 2")
    assert sql.check("SELECT 'a;b' FROM x") == "SELECT 'a;b' FROM x"  # inside a string
