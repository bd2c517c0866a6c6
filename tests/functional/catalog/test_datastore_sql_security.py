"""datastore_search_sql reads nothing but the resources the caller may read, as the caller may
read them: every other table is refused by the parser and, a second time, by the database
(SQLite's authorizer, PostgreSQL's reader role); personal data is only ever seen masked, in
the select list as in every predicate, ordering, grouping, aggregate and join."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.functional.catalog.conftest import Government
from tests.support.databases import BoundDatabase
from yiwang.catalog import datastore, sql
from yiwang.catalog.models import Distribution, TableVersion
from yiwang.core.audit import AuditEntry
from yiwang.core.config import Settings
from yiwang.core.db import Base
from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.core.policy import ANONYMOUS

OPEN = """城市,AQI
杭州市,42
宁波市,63
"""

# Rows in _id order. The clear values sort and group otherwise than the masked ones: by name
# 张三 < 张丽 < 张伟 (3, 2, 1) but all are 张*; by ID the 1985 one (2) comes first, but the
# masked IDs of 1 and 2 are the same.
RESIDENTS = """姓名,身份证号码,手机号码,住址,补贴金额
张伟,330106199001011234,13812345678,浙江省杭州市西湖区文三路90号,1200
张丽,330106198512121234,13812349999,浙江省杭州市西湖区天目山路1号,800
张三,330212197003035678,13955555678,浙江省宁波市鄞州区天童南路588号,500
"""
# Another register: one person in both (张伟, the same ID), one not (王芳) whose masked ID is
# the same as 张伟's.
RESIDENTS_2 = """姓名,身份证号码,手机号码,住址,补贴金额
张伟,330106199001011234,13812345678,浙江省杭州市西湖区文三路90号,300
王芳,330106200002021234,13700001111,浙江省温州市鹿城区五马街1号,400
"""
CLEAR = [
    "张伟",
    "张丽",
    "张三",
    "王芳",
    "199001011",
    "198512121",
    "197003035",
    "200002021",
    "1234567",
    "1234999",
    "5555567",
    "0000111",
    "文三路",
    "天目山路",
    "天童南路",
    "五马街",
]
MASKED_NAME, MASKED_ID_A, MASKED_ID_C = "张*", "330106********1234", "330212********5678"
DECLARED = [
    {"name": "姓名", "type": "text", "personal": "name"},
    {"name": "身份证号码", "type": "text", "personal": "resident_id"},
    {"name": "手机号码", "type": "text", "personal": "mobile"},
    {"name": "住址", "type": "text", "personal": "address"},
    {"name": "补贴金额", "type": "decimal"},
]


def _loaded(
    db: BoundDatabase,
    gov: Government,
    tmp_path: Path,
    content: str,
    declared: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> str:
    with db.session() as session:
        resource = make_resource(session, gov.env_editor, department_id=gov.env.id, **fields)
        distribution_id = make_distribution(session, gov.env_editor, resource).id
    _, job = upload(
        db, gov.env_editor, distribution_id, content.encode(), "data.csv", tmp_path, declared
    )
    assert job.status == "succeeded", job.error
    return distribution_id


RESTRICTED = {
    "open_class": "none",
    "open_conditions": "涉及个人信息，不予开放。",
    "share_class": "none",
    "share_conditions": "法律法规规定不予共享。",
}
CONDITIONALLY_OPEN = {
    "open_class": "conditional",
    "open_conditions": "实名登录后可查询。",
    "share_class": "none",
    "share_conditions": "法律法规规定不予共享。",
}


@pytest.fixture
def tables(db: BoundDatabase, gov: Government, tmp_path: Path) -> dict[str, str]:
    return {
        "open": _loaded(db, gov, tmp_path, OPEN),
        "residents": _loaded(db, gov, tmp_path, RESIDENTS, DECLARED),
        "residents_2": _loaded(db, gov, tmp_path, RESIDENTS_2, DECLARED),
        "restricted": _loaded(db, gov, tmp_path, RESIDENTS, DECLARED, **RESTRICTED),
        "conditional": _loaded(db, gov, tmp_path, RESIDENTS, DECLARED, **CONDITIONALLY_OPEN),
    }


@pytest.fixture(autouse=True)
def _enabled(settings: Settings) -> None:
    settings.datastore_sql_enabled = True


def _answer(
    client: TestClient, statement: str, *, token: str | None = None, language: str = "zh-CN"
) -> tuple[int, dict[str, Any]]:
    headers = {"Accept-Language": language}
    if token:
        headers["Authorization"] = token
    response = client.get(
        "/api/3/action/datastore_search_sql", params={"sql": statement}, headers=headers
    )
    assert response.status_code < 500, (statement, response.text)
    return response.status_code, response.json()


def _records(client: TestClient, statement: str, token: str | None = None) -> list[dict[str, Any]]:
    status, answer = _answer(client, statement, token=token)
    assert status == 200, (statement, answer)
    assert answer["success"] is True, (statement, answer)
    return answer["result"]["records"]  # type: ignore[no-any-return]


def _physical(session: Session, distribution_id: str) -> str:
    """The datastore table that holds a resource's current data."""
    distribution = session.get(Distribution, distribution_id)
    assert distribution is not None
    version = session.get(TableVersion, distribution.current_version_id)
    assert version is not None
    return version.table_name


# --- every other table is refused -----------------------------------------------------------------

SYSTEM_TABLES = {
    "sqlite": [
        "sqlite_master",
        "sqlite_schema",
        "sqlite_temp_master",
        "sqlite_sequence",
        "sqlite_stat1",
        "dbstat",
        "main.users",
        "temp.sqlite_master",
    ],
    "postgresql": [
        "pg_authid",
        "pg_shadow",
        "pg_user",
        "pg_roles",
        "pg_class",
        "pg_proc",
        "pg_settings",
        "pg_stat_activity",
        "pg_largeobject",
        "pg_catalog.pg_authid",
        "pg_catalog.pg_class",
        "information_schema.tables",
        "information_schema.columns",
        "public.users",
        "pg_temp.anything",
    ],
}


def _quoted(name: str) -> str:
    return ".".join(f'"{part}"' for part in name.split("."))


def _patterns(name: str, open_id: str) -> list[str]:
    """The ways a table can be named beside an open resource."""
    return [
        f"SELECT * FROM {name}",
        f'SELECT x.* FROM "{open_id}" AS o, {name} AS x',
        f'SELECT o."城市" FROM "{open_id}" AS o JOIN {name} AS x ON 1 = 1',
        f'SELECT * FROM "{open_id}" WHERE EXISTS (SELECT 1 FROM {name})',
        f'SELECT (SELECT count(*) FROM {name}) AS n FROM "{open_id}"',
        f'WITH t AS (SELECT * FROM {name}) SELECT * FROM "{open_id}", t',
        f'SELECT "城市" FROM "{open_id}" UNION ALL SELECT NULL FROM {name}',
        f'SELECT * FROM (SELECT * FROM {name}) AS x, "{open_id}"',
    ]


def test_every_table_of_the_schema_and_the_system_is_refused_anonymously(
    app_client: TestClient, session: Session, tables: dict[str, str], dialect: str
) -> None:
    names = [table.name for table in Base.metadata.sorted_tables]
    assert {"users", "api_tokens", "cases_cases", "audit_entries"} <= set(names)
    names += SYSTEM_TABLES[dialect]
    # The physical tables of a restricted and of an open resource: only resource ids name tables.
    names += [_physical(session, tables["restricted"]), _physical(session, tables["open"])]
    for name in names:
        for spelled in (name, _quoted(name)):
            for statement in _patterns(spelled, tables["open"]):
                status, answer = _answer(app_client, statement)
                assert status == 409, (statement, answer)
                assert answer["error"]["__type"] == "Validation Error"
                assert answer["error"]["message"].startswith("不能查询“"), (statement, answer)
        _, answer = _answer(app_client, f"SELECT * FROM {name}", language="en")
        assert answer["error"]["message"].endswith(
            "cannot be queried: only datastore tables, named by their resource id in double "
            "quotes, and the names this statement's WITH clause defines."
        ), answer


def test_the_reviews_statements_are_refused(
    app_client: TestClient, session: Session, tables: dict[str, str], dialect: str
) -> None:
    open_id = tables["open"]
    for statement in (
        f'SELECT users.username, users.password_hash FROM "{open_id}", users',
        f'SELECT api_tokens.* FROM "{open_id}", api_tokens',
        f'SELECT c.* FROM "{open_id}", cases_cases AS c',
        f'SELECT * FROM "{open_id}", sqlite_master',
        f'SELECT * FROM "{open_id}", "{_physical(session, tables["restricted"])}"',
        # A CTE inside a subquery does not hide the real table outside it.
        f"SELECT * FROM (WITH users AS (SELECT 1 AS a) SELECT * FROM users) AS x, users, "
        f'"{open_id}"',
        # A CTE's own body cannot name itself to reach the real table.
        f'WITH users AS (SELECT * FROM users) SELECT * FROM users, "{open_id}"',
    ):
        status, answer = _answer(app_client, statement, language="en")
        assert status == 409, (statement, answer)
        assert "cannot be queried" in answer["error"]["message"], (statement, answer)
    if dialect == "postgresql":
        # Schema-qualified names of the resource itself are refused too.
        status, answer = _answer(app_client, f'SELECT * FROM public."{open_id}"')
        assert status == 409


# --- restricted resources -------------------------------------------------------------------------


def test_a_restricted_resource_is_refused_to_the_public_and_read_by_its_department(
    app_client: TestClient, session: Session, gov: Government, tables: dict[str, str]
) -> None:
    restricted, open_id = tables["restricted"], tables["open"]
    for statement in (
        f'SELECT * FROM "{restricted}"',
        f'SELECT count(*) FROM "{restricted}"',
        f'SELECT o.* FROM "{open_id}" AS o WHERE EXISTS (SELECT 1 FROM "{restricted}")',
    ):
        # The public does not even see the entry; other departments see it, not its data.
        status, answer = _answer(app_client, statement, language="en")
        assert status == 404, (statement, answer)
        assert answer["error"]["__type"] == "Not Found Error"
        status, answer = _answer(
            app_client, statement, token=gov.tokens["transport_member"], language="en"
        )
        assert status == 403, (statement, answer)
        assert answer["error"]["__type"] == "Authorization Error"
        assert answer["error"]["message"] == "You are not allowed to do this: datastore.read"
    # Its department reads it as datastore_search shows it to them: every value, audited.
    records = _records(
        app_client,
        f'SELECT "姓名", "补贴金额" FROM "{restricted}" ORDER BY "_id"',
        gov.tokens["env_member"],
    )
    assert [r["姓名"] for r in records] == ["张伟", "张丽", "张三"]
    assert session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "datastore.sql", AuditEntry.object_id == restricted
        )
    ).first()


def test_a_conditionally_open_resource_is_read_masked_by_the_signed_in_public(
    app_client: TestClient, gov: Government, tables: dict[str, str]
) -> None:
    conditional = tables["conditional"]
    statement = f'SELECT "姓名", "身份证号码" FROM "{conditional}" ORDER BY "_id"'
    status, _ = _answer(app_client, statement)
    assert status == 403
    # Staff of another department, signed in: open access, masked.
    masked = _records(app_client, statement, gov.tokens["transport_member"])
    assert masked == [
        {"姓名": MASKED_NAME, "身份证号码": MASKED_ID_A},
        {"姓名": MASKED_NAME, "身份证号码": MASKED_ID_A},
        {"姓名": MASKED_NAME, "身份证号码": MASKED_ID_C},
    ]
    count = _records(
        app_client,
        f'SELECT count(*) AS n FROM "{conditional}" WHERE "姓名" = \'张伟\'',
        gov.tokens["transport_member"],
    )
    assert count == [{"n": 0}]


# --- masking ------------------------------------------------------------------------------------


def _one(client: TestClient, statement: str, token: str | None = None) -> Any:
    records = _records(client, statement, token)
    assert len(records) == 1, records
    assert len(records[0]) == 1, records
    return next(iter(records[0].values()))


def test_masked_columns_are_seen_masked_in_every_clause(
    app_client: TestClient, tables: dict[str, str]
) -> None:
    r, r2 = tables["residents"], tables["residents_2"]
    answers: list[Any] = []

    def one(statement: str) -> Any:
        value = _one(app_client, statement)
        answers.append(value)
        return value

    def rows(statement: str) -> list[dict[str, Any]]:
        records = _records(app_client, statement)
        answers.append(records)
        return records

    # The select list: the values datastore_search shows.
    everything = rows(f'SELECT * FROM "{r}" ORDER BY "_id"')
    search = app_client.get(
        "/api/3/action/datastore_search", params={"resource_id": r, "sort": "_id"}
    ).json()["result"]["records"]
    assert [{k: v for k, v in row.items() if k != "补贴金额"} for row in everything] == [
        {k: v for k, v in row.items() if k != "补贴金额"} for row in search
    ]
    assert [row["姓名"] for row in everything] == [MASKED_NAME] * 3
    assert everything[0]["手机号码"] == "138****5678"
    assert everything[0]["住址"] == "浙江省杭州市西湖区****"
    # WHERE: equality, LIKE on a clear prefix, IN, a function of the value, CASE, EXISTS.
    for predicate in (
        "\"姓名\" = '张伟'",
        "\"姓名\" IN ('张伟', '张丽', '张三')",
        "\"身份证号码\" = '330106199001011234'",
        "\"身份证号码\" LIKE '3301061990%'",
        "\"手机号码\" LIKE '1381234%'",
        "\"手机号码\" = '13812345678'",
        "substr(\"身份证号码\", 7, 8) = '19900101'",
        "\"住址\" LIKE '%文三路%'",
        "lower(\"姓名\") = '张伟'",
        "\"姓名\" || '' = '张伟'",
        "CASE WHEN \"姓名\" = '张伟' THEN 1 ELSE 0 END = 1",
        f'EXISTS (SELECT 1 FROM "{r}" AS x WHERE x."身份证号码" = \'330106199001011234\')',
        f'"_id" IN (SELECT "_id" FROM "{r}" WHERE "姓名" = \'张伟\')',
    ):
        assert one(f'SELECT count(*) AS n FROM "{r}" WHERE {predicate}') == 0, predicate
    # The masked value is what compares.
    assert one(f'SELECT count(*) AS n FROM "{r}" WHERE "姓名" = \'{MASKED_NAME}\'') == 3
    assert one(f'SELECT count(*) AS n FROM "{r}" WHERE "身份证号码" LIKE \'330106%\'') == 2
    # ORDER BY: the masked values' order, ties broken by _id, whatever the clear ones are
    # (by the clear names 3, 2, 1; by the clear IDs 2, 1, 3).
    for order, expected in (
        ('"姓名"', [1, 2, 3]),
        ('"姓名" DESC', [1, 2, 3]),
        ('lower("姓名")', [1, 2, 3]),
        ('"身份证号码"', [1, 2, 3]),
        ('"住址"', [3, 1, 2]),  # 宁波 before 杭州; by the clear addresses 3, 2, 1
        ('"手机号码" DESC', [3, 2, 1]),  # 139****5678, 138****9999, 138****5678
    ):
        ids = [row["_id"] for row in rows(f'SELECT "_id" FROM "{r}" ORDER BY {order}, "_id"')]
        assert ids == expected, (order, ids)
    # GROUP BY, DISTINCT, HAVING, aggregates.
    assert rows(f'SELECT "姓名", count(*) AS n FROM "{r}" GROUP BY "姓名"') == [
        {"姓名": MASKED_NAME, "n": 3}
    ]
    assert rows(f'SELECT DISTINCT "姓名" FROM "{r}"') == [{"姓名": MASKED_NAME}]
    assert one(f'SELECT count(DISTINCT "姓名") AS n FROM "{r}"') == 1
    assert one(f'SELECT count(DISTINCT "身份证号码") AS n FROM "{r}"') == 2
    assert (
        rows(f'SELECT "姓名" FROM "{r}" GROUP BY "姓名" HAVING max("手机号码") = \'13955555678\'')
        == []
    )
    assert one(f'SELECT min("身份证号码") AS v FROM "{r}"') == MASKED_ID_A
    assert one(f'SELECT max("身份证号码") AS v FROM "{r}"') == MASKED_ID_C
    assert one(f'SELECT max("姓名") AS v FROM "{r}"') == MASKED_NAME
    assert one(f'SELECT min("手机号码") AS v FROM "{r}"') == "138****5678"
    # Functions of the value see the masked text.
    assert {row["s"] for row in rows(f'SELECT substr("身份证号码", 7, 8) AS s FROM "{r}"')} == {
        "********"
    }
    assert {row["n"] for row in rows(f'SELECT length("住址") AS n FROM "{r}"')} == {
        len("浙江省杭州市西湖区****")
    }
    assert {row["s"] for row in rows(f'SELECT substr("手机号码", 4, 4) AS s FROM "{r}"')} == {
        "****"
    }
    # Windows.
    assert [
        row["_id"]
        for row in rows(
            f'SELECT "_id", row_number() OVER (ORDER BY "身份证号码", "_id") AS n '
            f'FROM "{r}" ORDER BY n'
        )
    ] == [1, 2, 3]
    # A CTE does not unmask either.
    assert (
        one(
            f'WITH p AS (SELECT "姓名" AS who FROM "{r}") '
            "SELECT count(*) FROM p WHERE who = '张伟'"
        )
        == 0
    )
    # Joins between two resources match masked values: 3 x 1 on the name (clear: 1 pair),
    # 2 x 2 on the ID (clear: 1 pair).
    assert one(f'SELECT count(*) AS n FROM "{r}" AS a JOIN "{r2}" AS b ON a."姓名" = b."姓名"') == 3
    assert (
        one(
            f'SELECT count(*) AS n FROM "{r}" AS a JOIN "{r2}" AS b '
            f'ON a."身份证号码" = b."身份证号码"'
        )
        == 4
    )
    assert (
        one(
            f'SELECT count(*) AS n FROM "{r}" AS a, "{r2}" AS b '
            f'WHERE a."手机号码" = b."手机号码" AND a."住址" = b."住址"'
        )
        == 1
    )  # 138****5678 and 浙江省杭州市西湖区**** in both: one pair, masked
    # No clear value appears in any answer.
    text = json.dumps(answers, ensure_ascii=False)
    for clear in CLEAR:
        assert clear not in text, clear


def test_the_providing_department_sees_clear_values(
    app_client: TestClient, gov: Government, tables: dict[str, str]
) -> None:
    """The control for the test above: where the caller may read clear values, the same
    statements do see them."""
    r, token = tables["residents"], gov.tokens["env_member"]
    assert _one(app_client, f'SELECT count(*) FROM "{r}" WHERE "姓名" = \'张伟\'', token) == 1
    assert [
        row["_id"]
        for row in _records(
            app_client, f'SELECT "_id" FROM "{r}" ORDER BY "身份证号码", "_id"', token
        )
    ] == [2, 1, 3]


# --- the second layer, with the parser out of the way --------------------------------------------


@pytest.fixture
def views(session: Session, tables: dict[str, str]) -> list[sql.ResourceView]:
    found = []
    for number, key in enumerate(("open", "residents"), 1):
        table, _, _ = datastore.access_view(session, actor=ANONYMOUS, distribution_id=tables[key])
        found.append(sql.ResourceView(name=f"yiwang_sql_test_{number}", table=table))
    return found


@pytest.fixture
def run_raw(session: Session, dialect: str, views: list[sql.ResourceView]) -> Any:
    """Run SQL as the second layer runs it, without the parser's check."""

    def run(statement: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        savepoint = session.begin_nested()
        try:
            connection = session.connection()
            deadline = time.monotonic() + 5
            if dialect == "postgresql":
                return sql.run_postgresql(connection, views, statement, deadline, 5000)
            return sql.run_sqlite(connection, views, statement, deadline)
        finally:
            savepoint.rollback()

    return run


def _layer_two_refuses(run_raw: Any, statement: str, dialect: str) -> None:
    if dialect == "postgresql":
        import psycopg  # noqa: PLC0415  (PostgreSQL runs only)

        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            run_raw(statement)
    else:
        # A table function is refused while SQLite sets it up: "vtable constructor failed".
        refused = r"not authorized|prohibited|vtable constructor failed"
        with pytest.raises(sqlite3.DatabaseError, match=refused):
            run_raw(statement)


def test_the_database_refuses_what_the_parser_would_have(
    run_raw: Any,
    session: Session,
    tables: dict[str, str],
    views: list[sql.ResourceView],
    dialect: str,
) -> None:
    open_view, residents_view = (f'"{v.name}"' for v in views)
    schema = "pg_temp" if dialect == "postgresql" else "temp"
    # The views are readable.
    assert run_raw(f"SELECT count(*) FROM {schema}.{open_view}")[1] == [(2,)]
    names, rows = run_raw(f'SELECT "姓名" FROM {schema}.{residents_view} ORDER BY "_id"')
    assert names == ["姓名"]
    assert rows == [(MASKED_NAME,)] * 3
    assert run_raw(
        f'WITH a AS (SELECT lower("城市") AS c FROM {schema}.{open_view}) SELECT count(*) FROM a'
    )[1] == [(2,)]
    # Nothing else is.
    restricted = _physical(session, tables["restricted"])
    residents = _physical(session, tables["residents"])
    # PostgreSQL runs the statement with only pg_catalog and pg_temp on the search path.
    main = "public" if dialect == "postgresql" else "main"
    for statement in (
        f"SELECT * FROM {main}.users",
        f"SELECT count(*) FROM {main}.users",
        f"SELECT * FROM {main}.api_tokens",
        f"SELECT * FROM {main}.cases_cases",
        f"SELECT * FROM {main}.audit_entries",
        f'SELECT * FROM {main}."{restricted}"',
        # The clear values of a resource the caller reads masked, past its view.
        f'SELECT c1 FROM {main}."{residents}"',
        f'SELECT count(*) FROM {main}."{restricted}"',
        f"SELECT * FROM {schema}.{open_view} AS o, {main}.users",
    ):
        _layer_two_refuses(run_raw, statement, dialect)
    if dialect == "postgresql":
        for statement in (
            "SELECT * FROM pg_authid",
            "SELECT pg_read_file('/etc/passwd')",
            "SELECT lo_import('/etc/passwd')",
            f'SELECT * FROM pg_temp."{views[1].name}_masked"',  # only the view may read it
        ):
            _layer_two_refuses(run_raw, statement, dialect)
        assert run_raw("SELECT current_user")[1] == [(sql.READER_ROLE,)]
        assert session.connection().exec_driver_sql("SELECT current_user").scalar() != (
            sql.READER_ROLE
        )
    else:
        for statement in (
            "SELECT * FROM sqlite_master",
            "SELECT * FROM pragma_table_info('users')",
            "SELECT * FROM json_each('[1]')",
            "SELECT sqlite_version()",
            "SELECT load_extension('x')",
            "SELECT randomblob(10)",
            "SELECT yiwang_mask('name', '张伟')",  # the masking function is the views' alone
            "PRAGMA table_info(users)",
            "ATTACH DATABASE ':memory:' AS other",
            "CREATE TEMP TABLE x (a)",
            "DELETE FROM main.users",
            "UPDATE main.users SET username = 'x'",
        ):
            _layer_two_refuses(run_raw, statement, dialect)


def test_policy_is_checked_before_anything_runs(
    session: Session, settings: Settings, gov: Government, tables: dict[str, str]
) -> None:
    statement = f'SELECT * FROM "{tables["open"]}", "{tables["restricted"]}"'
    with pytest.raises(PermissionDenied):
        sql.run(session, actor=gov.transport_member, statement=statement, settings=settings)
    with pytest.raises(NotFound):
        sql.run(session, actor=ANONYMOUS, statement=statement, settings=settings)


def test_without_the_reader_role_postgresql_answers_503(
    app_client: TestClient, tables: dict[str, str], dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if dialect != "postgresql":
        pytest.skip("SQLite needs no role")
    monkeypatch.setattr(sql, "READER_ROLE", "yiwang_no_such_role")
    for language, expected in (
        ("zh-CN", "SQL 查询接口尚未配置好：数据库中没有只读角色 yiwang_no_such_role"),
        ("en", "SQL queries are not set up: the database has no read-only role yiwang_no_such"),
    ):
        response = app_client.get(
            "/api/3/action/datastore_search_sql",
            params={"sql": f'SELECT * FROM "{tables["open"]}"'},
            headers={"Accept-Language": language},
        )
        assert response.status_code == 503
        assert response.json()["error"]["message"].startswith(expected)
