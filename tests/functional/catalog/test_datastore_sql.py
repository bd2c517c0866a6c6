"""CKAN's datastore_search_sql: off by default; when on, one SELECT over open resources with
allow-listed functions, under a time limit, answered in the caller's language, never a 500.
(What it must never read, and masking, are in test_datastore_sql_security.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.functional.catalog.conftest import Government
from tests.functional.catalog.test_datastore import PEOPLE, STATIONS, _ids
from tests.support.databases import BoundDatabase
from yiwang.catalog import sql
from yiwang.core.config import Settings
from yiwang.core.errors import InvalidInput

CITIES = """城市,人口（万人）,区划代码
杭州市,1252,330100
宁波市,969,330200
温州市,976,330300
"""


def _loaded(db: BoundDatabase, gov: Government, tmp_path: Path, content: str) -> str:
    with db.session() as session:
        resource = make_resource(session, gov.env_editor, department_id=gov.env.id)
        distribution_id = make_distribution(session, gov.env_editor, resource).id
    _, job = upload(db, gov.env_editor, distribution_id, content.encode(), "data.csv", tmp_path)
    assert job.status == "succeeded", job.error
    return distribution_id


@pytest.fixture
def tables(db: BoundDatabase, gov: Government, tmp_path: Path) -> dict[str, str]:
    id1, id2 = _ids()
    return {
        "stations": _loaded(db, gov, tmp_path, STATIONS),
        "cities": _loaded(db, gov, tmp_path, CITIES),
        "people": _loaded(db, gov, tmp_path, PEOPLE.format(id1=id1, id2=id2)),
    }


def _answer(
    client: TestClient, statement: str, *, language: str = "zh-CN", token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Accept-Language": language}
    if token:
        headers["Authorization"] = token
    response = client.get(
        "/api/3/action/datastore_search_sql", params={"sql": statement}, headers=headers
    )
    return response.status_code, response.json()


def _sql(client: TestClient, statement: str) -> dict[str, Any]:
    return _answer(client, statement)[1]


def _records(client: TestClient, statement: str) -> list[dict[str, Any]]:
    status, answer = _answer(client, statement)
    assert status == 200, (statement, answer)
    assert answer["success"] is True, (statement, answer)
    return answer["result"]["records"]  # type: ignore[no-any-return]


def _refusal(client: TestClient, statement: str, language: str = "zh-CN") -> tuple[int, str, str]:
    """The status, CKAN error type and message of a refused statement; never a 5xx."""
    status, answer = _answer(client, statement, language=language)
    assert 400 <= status < 500, (statement, status, answer)
    assert answer["success"] is False, statement
    return status, answer["error"]["__type"], answer["error"]["message"]


@pytest.fixture
def enabled(settings: Settings) -> Settings:
    settings.datastore_sql_enabled = True
    return settings


def test_it_is_off_unless_an_operator_turns_it_on(
    app_client: TestClient, tables: dict[str, str]
) -> None:
    answer = _sql(app_client, f'SELECT count(*) FROM "{tables["stations"]}"')
    assert answer["success"] is False
    assert answer["error"]["__type"] == "Authorization Error"


@pytest.mark.usefixtures("enabled")
def test_select_where_group_by_and_order(app_client: TestClient, tables: dict[str, str]) -> None:
    stations = tables["stations"]
    records = _records(
        app_client,
        f'SELECT "城市", count(*) AS n, max("AQI") AS top FROM "{stations}" '
        f'GROUP BY "城市" ORDER BY "城市"',
    )
    assert [(r["城市"], r["n"], r["top"]) for r in records] == [
        ("宁波市", 1, 63),
        ("杭州市", 2, 57),
    ]
    records = _records(
        app_client,
        f'SELECT "站点名称", "AQI" FROM "{stations}" WHERE "AQI" > 50 AND "城市" LIKE \'杭%\'',
    )
    assert records == [{"站点名称": "朝晖五区", "AQI": 57}]
    # Qualified by the resource id, with and without an alias; comments are fine.
    records = _records(
        app_client,
        f'SELECT "{stations}"."站点编号" FROM "{stations}" -- the stations\n'
        f'WHERE "{stations}"."AQI" = 42',
    )
    assert records == [{"站点编号": 1001}]
    assert _records(app_client, f'SELECT s."_id" FROM "{stations}" AS s ORDER BY 1 DESC')[0] == {
        "_id": 3
    }


@pytest.mark.usefixtures("enabled")
def test_a_join_of_two_open_resources_and_their_union(
    app_client: TestClient, tables: dict[str, str]
) -> None:
    stations, cities = tables["stations"], tables["cities"]
    records = _records(
        app_client,
        f'SELECT c."城市", c."人口（万人）" AS people, count(s."_id") AS stations '
        f'FROM "{cities}" AS c LEFT JOIN "{stations}" AS s ON s."城市" = c."城市" '
        f'GROUP BY c."城市", c."人口（万人）" ORDER BY c."城市"',
    )
    assert [(r["城市"], r["people"], r["stations"]) for r in records] == [
        ("宁波市", 969, 1),
        ("杭州市", 1252, 2),
        ("温州市", 976, 0),
    ]
    records = _records(
        app_client,
        f'WITH s AS (SELECT DISTINCT "城市" FROM "{stations}") '
        f'SELECT "城市" FROM "{cities}" EXCEPT SELECT "城市" FROM s',
    )
    assert records == [{"城市": "温州市"}]
    records = _records(
        app_client,
        f'SELECT "城市" FROM "{stations}" UNION SELECT "城市" FROM "{cities}" ORDER BY 1',
    )
    assert [r["城市"] for r in records] == ["宁波市", "杭州市", "温州市"]
    records = _records(
        app_client,
        f'SELECT "城市" FROM "{cities}" WHERE "城市" IN (SELECT "城市" FROM "{stations}" '
        f'WHERE "AQI" > 60)',
    )
    assert records == [{"城市": "宁波市"}]


# Statements of allowed functions, the same result on both databases where they share one.
ALLOWED = [
    ('count(*), count(DISTINCT "城市"), sum("AQI"), avg("AQI"), min("AQI"), max("AQI")', None),
    ('round(avg("PM2.5"), 1) AS r, abs(-1) AS a, floor(2.5) AS f', None),
    ("lower('AbC') AS l, upper('a') AS u, length(\"站点名称\") AS n", None),
    ("substr(\"站点名称\", 1, 2) AS s, trim(' x ') AS t, replace(\"城市\", '市', '') AS c", None),
    ("coalesce(\"首要污染物\", '无') AS p, nullif(\"城市\", '杭州市') AS c", None),
    ("CAST(\"AQI\" AS TEXT) AS t, CAST('12' AS INTEGER) + 1 AS i", None),
    ("CASE WHEN \"AQI\" > 50 THEN '良' ELSE '优' END AS level, \"AQI\" % 7 AS m", None),
    (
        'row_number() OVER (ORDER BY "AQI") AS n, rank() OVER (PARTITION BY "城市" ORDER BY "AQI")',
        None,
    ),
    (
        'lag("AQI") OVER (ORDER BY "_id") AS before, lead("AQI") OVER (ORDER BY "_id") AS after',
        None,
    ),
    (
        "strftime('%Y', \"监测时间\") AS y, date(\"监测时间\") AS d, julianday('2025-10-01')",
        "sqlite",
    ),
    ('group_concat("城市") AS all_cities, iif("AQI" > 50, 1, 0) AS high', "sqlite"),
    ("current_date AS d, current_timestamp AS t, datetime(\"监测时间\", '+8 hours')", "sqlite"),
    (
        'date_trunc(\'month\', "监测时间") AS m, extract(year FROM "监测时间") AS y, '
        "to_char(\"监测时间\", 'YYYY-MM') AS t, \"监测时间\" + INTERVAL '1 day' AS next",
        "postgresql",
    ),
    ("string_agg(\"城市\", ',') AS all_cities, now() IS NOT NULL AS now", "postgresql"),
]


@pytest.mark.usefixtures("enabled")
@pytest.mark.parametrize(("select", "only"), ALLOWED)
def test_allowed_functions_work(
    app_client: TestClient, tables: dict[str, str], dialect: str, select: str, only: str | None
) -> None:
    if only and only != dialect:
        pytest.skip(f"a function of {only}")
    records = _records(app_client, f'SELECT {select} FROM "{tables["stations"]}"')
    assert records


FORBIDDEN_FUNCTIONS = [
    ("pg_read_file('/etc/passwd')", "pg_read_file"),
    ("pg_sleep(10)", "pg_sleep"),
    ("lo_get(1)", "lo_get"),
    ("lo_import('/etc/passwd')", "lo_import"),
    ("current_setting('data_directory')", "current_setting"),
    ("set_config('role', 'postgres', true)", "set_config"),
    ("dblink('host=x', 'SELECT 1')", "dblink"),
    ("load_extension('/tmp/x.so')", "load_extension"),
    ("randomblob(1000000000)", "randomblob"),
    ("zeroblob(1000000000)", "zeroblob"),
    ("printf('%.*c', 1000000000, 'x')", "printf"),
    ("query_to_xml('SELECT * FROM users', true, true, '')", "query_to_xml"),
    ("pg_ls_dir('.')", "pg_ls_dir"),
    ("nextval('users_id_seq')", "nextval"),
    ("txid_current()", "txid_current"),
    ("yiwang_mask('name', '张伟')", "yiwang_mask"),
    ("version()", "VERSION"),
    ("sqlite_version()", "SQLITE_VERSION"),
    ("random()", "RANDOM"),
    ("no_such_function(1)", "no_such_function"),
]


@pytest.mark.usefixtures("enabled")
def test_functions_off_the_list_are_refused_in_the_callers_language(
    app_client: TestClient, tables: dict[str, str], dialect: str
) -> None:
    stations = tables["stations"]
    for call, name in FORBIDDEN_FUNCTIONS:
        for where in (
            f"SELECT {call} FROM",
            f'SELECT "城市" FROM "{stations}" WHERE {call} IS NULL OR',
        ):
            statement = f'{where} "{stations}"' if where.endswith("FROM") else f"{where} 1 = 1"
            status, kind, message = _refusal(app_client, statement)
            assert (status, kind) == (409, "Validation Error"), statement
            assert message.startswith("不允许使用函数："), (dialect, message)
            assert name.lower() in message.lower(), (dialect, message)
        _, _, message = _refusal(app_client, f'SELECT {call} FROM "{stations}"', "en")
        assert message.startswith("This function is not allowed: "), message
    # Table functions, and functions in FROM.
    for source, name in (
        ("generate_series(1, 1000000000)", "GENERATE_SERIES"),
        ("json_each('[1]')", "json_each"),
        ("pragma_table_info('users')", "pragma_table_info"),
    ):
        _, _, message = _refusal(app_client, f'SELECT * FROM "{stations}", {source}')
        assert name.lower() in message.lower(), message


STATEMENTS_REFUSED = [
    # (statement, the start of the Chinese message, of the English one)
    ('DELETE FROM "{t}"', "只能提交一条 SELECT 语句", "Send exactly one SELECT"),
    ('UPDATE "{t}" SET "AQI" = 0', "只能提交一条 SELECT 语句", "Send exactly one SELECT"),
    ('INSERT INTO "{t}" ("AQI") VALUES (1)', "只能提交一条 SELECT 语句", "Send exactly one SELECT"),
    ("PRAGMA table_info(users)", "只能提交一条 SELECT 语句", "Send exactly one SELECT"),
    ("ATTACH DATABASE '/tmp/x.db' AS x", None, None),
    ("CREATE TABLE x (a INTEGER)", "只能提交一条 SELECT 语句", "Send exactly one SELECT"),
    ("DROP TABLE users", "只能提交一条 SELECT 语句", "Send exactly one SELECT"),
    ("SET ROLE postgres", None, None),
    ("COPY users TO '/tmp/x'", None, None),
    ("VACUUM", None, None),
    (
        'SELECT * FROM "{t}"; DROP TABLE users',
        "只能提交一条 SELECT 语句",
        "Send exactly one SELECT",
    ),
    ('SELECT * FROM "{t}"; SELECT 1', "只能提交一条 SELECT 语句", "Send exactly one SELECT"),
    ('SELECT * INTO copied FROM "{t}"', "不允许的 SQL 结构", "This SQL construct is not allowed"),
    ('SELECT * FROM "{t}" FOR UPDATE', "不允许的 SQL 结构", "This SQL construct is not allowed"),
    (
        'SELECT * FROM "{t}" WHERE "AQI" = ?',
        "不允许的 SQL 结构",
        "This SQL construct is not allowed",
    ),
    ('SELECT CAST("AQI" AS regclass) FROM "{t}"', None, None),
    ('SELECT "AQI"::oid FROM "{t}"', None, None),
    ("SELECT 1 + 1", "请用资源 ID", "Name the table to query"),
    ("SELECT * FROM users", "不能查询“users”", "“users” cannot be queried"),
    ('SELECT * FROM "not-a-resource"', "不能查询“not-a-resource”", "“not-a-resource” cannot"),
    ("SELECT (", "无法解析该 SQL", "This SQL cannot be parsed"),
    ("SELEC * FROM x", None, None),
    ("SELECT 'unclosed FROM x", None, None),
    ('SELECT "unclosed FROM x', None, None),
    ("   ", "只能提交一条 SELECT 语句", "Send exactly one SELECT"),
    (";", "只能提交一条 SELECT 语句", "Send exactly one SELECT"),
    ('SELECT * FROM "{t}" WHERE "城市" = \'\x00\'', None, None),
    ("SELECT 1" + " " * (sql.MAX_STATEMENT + 1), "SQL 语句过长", "The SQL statement is too long"),
    ("SELECT " + "(" * 3000 + "1" + ")" * 3000 + ' FROM "{t}"', None, None),
    ('SELECT nope FROM "{t}"', "查询未能执行", "The query failed"),
    ('SELECT "AQI" FROM "{t}" UNION SELECT "城市", "AQI" FROM "{t}"', None, None),
]


@pytest.mark.usefixtures("enabled")
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_bad_statements_are_refused_with_a_4xx_in_the_callers_language(
    app_client: TestClient, tables: dict[str, str], language: str
) -> None:
    for template, chinese, english in STATEMENTS_REFUSED:
        statement = template.replace("{t}", tables["stations"])
        _status, kind, message = _refusal(app_client, statement, language)
        assert kind == "Validation Error", (statement, message)
        expected = chinese if language == "zh-CN" else english
        if expected:
            assert message.startswith(expected), (statement, message)
        elif language == "en":
            assert message.isascii() or "“" in message, (statement, message)
        else:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in message), (statement, message)


@pytest.mark.usefixtures("enabled")
def test_an_unknown_resource_is_not_found(app_client: TestClient) -> None:
    status, kind, message = _refusal(
        app_client, 'SELECT * FROM "00000000-0000-4000-8000-000000000000"', "en"
    )
    assert (status, kind) == (404, "Not Found Error"), message


def test_a_runaway_query_is_stopped(
    app_client: TestClient, enabled: Settings, tables: dict[str, str]
) -> None:
    enabled.datastore_sql_timeout_ms = 200
    statement = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
        f'SELECT count(*) FROM n, "{tables["stations"]}"'
    )
    status, kind, message = _refusal(app_client, statement, "en")
    assert (status, kind) == (409, "Validation Error")
    assert message == "The query ran past its time limit (200 ms) and was stopped.", message
    # The request's transaction is still usable afterwards, with the rights it had.
    assert _records(app_client, f'SELECT count(*) AS n FROM "{tables["stations"]}"') == [{"n": 3}]


@pytest.mark.usefixtures("enabled")
def test_the_row_limit_stays(
    app_client: TestClient, tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "MAX_ROWS", 5)
    statement = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
        f'SELECT i FROM n CROSS JOIN "{tables["stations"]}" ORDER BY i'
    )
    assert [r["i"] for r in _records(app_client, statement)] == [1, 1, 1, 2, 2]


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_the_checker_alone(dialect_name: str) -> None:
    table = "0a1b2c3d-aaaa-4bbb-8ccc-000000000000"
    checked = sql.check(f'select "a" from "{table}";', dialect_name)
    assert list(checked.resources) == [table]
    assert "LIMIT" in checked.sql()
    assert ";" not in checked.sql()
    with pytest.raises(InvalidInput) as refused:
        sql.check(f"SELECT upper('a') FROM \"{table}\"; SELECT 2", dialect_name)
    assert refused.value.code == "catalog.sql_one_select"
    # A semicolon inside a string is no second statement, and it stays in the string.
    checked = sql.check(f"SELECT 'a;b' FROM \"{table}\"", dialect_name)
    assert "'a;b'" in checked.sql()
    # What runs is generated from the checked tree: comments are gone.
    checked = sql.check(f'SELECT 1 /* x */ FROM "{table}" -- y', dialect_name)
    assert "/*" not in checked.sql()
    assert "--" not in checked.sql()
