"""Loading data: jobs, encodings, versions, atomic replacement, bad files, queries, masking,
downloads."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.functional.catalog.conftest import Government
from tests.support.databases import BoundDatabase
from yiwang.catalog import datastore, datastore_versions
from yiwang.catalog.datastore import Query
from yiwang.catalog.models import Distribution
from yiwang.core.audit import AuditEntry
from yiwang.core.errors import InvalidInput
from yiwang.core.policy import ANONYMOUS

STATIONS = """站点编号,站点名称,城市,监测时间,AQI,PM2.5,首要污染物,达标
1001,西溪,杭州市,2025年10月1日 08:00,42,18.5,,是
1002,朝晖五区,杭州市,2025年10月1日 08:00,57,31.2,PM2.5,是
2001,市监测站,宁波市,2025年10月1日 08:00,63,40.0,PM2.5,否
"""

PEOPLE = """姓名,身份证号码,手机号码,住址,补贴金额
张伟,{id1},13812345678,浙江省杭州市西湖区文三路90号,1200.50
王芳,{id2},13998765432,浙江省宁波市鄞州区天童南路588号,800
"""


def _ids() -> tuple[str, str]:
    from stdnum.cn import ric  # noqa: PLC0415

    one = "33010619900101123"
    two = "33021219851212456"
    # This python-stdnum computes the digit of a number given with a placeholder in its place.
    return one + ric.calc_check_digit(one + "0"), two + ric.calc_check_digit(two + "0")


@pytest.fixture
def stations(db: BoundDatabase, gov: Government, tmp_path: Path) -> Distribution:
    with db.session() as session:
        resource = make_resource(
            session, gov.env_editor, department_id=gov.env.id, title="空气质量小时数据"
        )
        distribution = make_distribution(session, gov.env_editor, resource)
        distribution_id = distribution.id
    _version, job = upload(
        db, gov.env_editor, distribution_id, STATIONS.encode(), "aqi.csv", tmp_path
    )
    assert job.status == "succeeded", job.error
    with db.sessionmaker() as session:
        found = session.get(Distribution, distribution_id)
        assert found is not None
        session.expunge(found)
        return found


def _read(session: Session, who: object, distribution_id: str, **query: object) -> datastore.Result:
    result, _ = datastore.read(
        session, actor=who, distribution_id=distribution_id, query=Query(**query)
    )  # type: ignore[arg-type]
    return result


def test_a_csv_load_is_typed_and_queryable(session: Session, stations: Distribution) -> None:
    result = _read(session, ANONYMOUS, stations.id, sort="AQI desc")
    names = [c.name for c in result.columns]
    types = {c.name: c.type for c in result.columns}
    assert names == [
        "站点编号",
        "站点名称",
        "城市",
        "监测时间",
        "AQI",
        "PM2.5",
        "首要污染物",
        "达标",
    ]
    assert types["AQI"] == "integer"
    assert types["PM2.5"] == "decimal"
    assert types["监测时间"] == "datetime"
    assert types["达标"] == "boolean"
    assert [row[names.index("站点名称") + 1] for row in result.records] == [
        "市监测站",
        "朝晖五区",
        "西溪",
    ]
    assert result.total == 3
    hangzhou = _read(session, ANONYMOUS, stations.id, filters={"城市": "杭州市"})
    assert hangzhou.total == 2
    either = _read(session, ANONYMOUS, stations.id, filters={"城市": ["杭州市", "宁波市"]}, limit=1)
    assert (either.total, len(either.records)) == (3, 1)
    cities = _read(session, ANONYMOUS, stations.id, fields=["城市"], distinct=True)
    assert sorted(r[0] for r in cities.records) == ["宁波市", "杭州市"]
    assert _read(session, ANONYMOUS, stations.id, q="朝晖").total == 1
    with pytest.raises(InvalidInput):
        _read(session, ANONYMOUS, stations.id, filters={"AQI": "很高"})
    with pytest.raises(InvalidInput):
        _read(session, ANONYMOUS, stations.id, sort="不存在 desc")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_chinese_encodings_load_exactly(
    db: BoundDatabase, gov: Government, tmp_path: Path, encoding: str
) -> None:
    with db.session() as session:
        resource = make_resource(session, gov.env_editor, department_id=gov.env.id)
        distribution_id = make_distribution(session, gov.env_editor, resource).id
    version, job = upload(
        db, gov.env_editor, distribution_id, STATIONS.encode(encoding), "aqi.csv", tmp_path
    )
    assert job.status == "succeeded", job.error
    assert version.source_encoding in (encoding, "gb18030", "utf-8-sig")
    with db.sessionmaker() as session:
        result = _read(session, ANONYMOUS, distribution_id, fields=["站点名称"])
    assert [r[0] for r in result.records] == ["西溪", "朝晖五区", "市监测站"]


def test_a_bad_file_keeps_the_previous_version(
    db: BoundDatabase, gov: Government, tmp_path: Path, stations: Distribution
) -> None:
    ragged = STATIONS + "3001,温州站,温州市\n"
    version, job = upload(db, gov.env_editor, stations.id, ragged.encode(), "aqi.csv", tmp_path)
    assert job.status == "failed"
    assert version.status == "failed"
    assert version.error is not None
    assert "5" in version.error["message"]  # the bad line is named
    with db.sessionmaker() as session:
        result = _read(session, ANONYMOUS, stations.id)
        assert result.total == 3  # still the first version
        newest = datastore_versions.versions(
            session, actor=gov.env_editor, distribution_id=stations.id
        )[0]
        assert newest.status == "failed"


def test_versions_can_be_read_and_restored(
    db: BoundDatabase, gov: Government, tmp_path: Path, stations: Distribution
) -> None:
    second = STATIONS.replace("42", "99")
    version, job = upload(db, gov.env_editor, stations.id, second.encode(), "aqi-v2.csv", tmp_path)
    assert (job.status, version.number) == ("succeeded", 2)
    with db.session() as session:
        current = _read(session, ANONYMOUS, stations.id, filters={"站点编号": 1001})
        first = _read(
            session,
            ANONYMOUS,
            stations.id,
            filters={"站点编号": 1001},
        )
        assert current.records[0][5] == 99
        old, _ = datastore.read(
            session,
            actor=ANONYMOUS,
            distribution_id=stations.id,
            query=Query(filters={"站点编号": 1001}),
            version_number=1,
        )
        assert old.records[0][5] == 42
        assert first.records == current.records
        datastore_versions.restore_version(
            session, actor=gov.env_editor, distribution_id=stations.id, number=1
        )
    with db.sessionmaker() as session:
        assert (
            _read(session, ANONYMOUS, stations.id, filters={"站点编号": 1001}).records[0][5] == 42
        )


def test_personal_data_is_masked_for_the_public_and_audited_for_staff(
    db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    id1, id2 = _ids()
    with db.session() as session:
        resource = make_resource(
            session, gov.env_editor, department_id=gov.env.id, title="生态补偿发放名单"
        )
        distribution_id = make_distribution(session, gov.env_editor, resource).id
    content = PEOPLE.format(id1=id1, id2=id2).encode()
    version, job = upload(db, gov.env_editor, distribution_id, content, "people.csv", tmp_path)
    assert job.status == "succeeded", job.error
    kinds = {c["name"]: c["personal"] for c in version.columns}
    assert kinds == {
        "姓名": "name",
        "身份证号码": "resident_id",
        "手机号码": "mobile",
        "住址": "address",
        "补贴金额": None,
    }
    with db.sessionmaker() as session:
        public = _read(session, ANONYMOUS, distribution_id)
        row = public.records[0]
        assert row[1:5] == (
            "张*",
            id1[:6] + "********" + id1[-4:],
            "138****5678",
            "浙江省杭州市西湖区****",
        )
        with pytest.raises(InvalidInput):  # no probing masked columns
            _read(session, ANONYMOUS, distribution_id, filters={"身份证号码": id1})
        # nor their order and count through distinct (it works on the stored, clear values)
        with pytest.raises(InvalidInput) as caught:
            _read(session, ANONYMOUS, distribution_id, fields=["手机号码"], distinct=True)
        assert caught.value.code == "catalog.distinct_masked"
        assert "手机号码" in caught.value.message("zh-CN")
        amounts = _read(session, ANONYMOUS, distribution_id, fields=["补贴金额"], distinct=True)
        assert amounts.total is not None
        staff = _read(session, gov.env_member, distribution_id)
        assert staff.records[0][1:4] == ("张伟", id1, "13812345678")
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
        assert (entry.action, entry.actor_id) == ("datastore.read", gov.env_member.user_id)
        assert entry.details is not None
        assert entry.details["access"] == "full"


def test_downloads_stream_every_format(app_client: TestClient, stations: Distribution) -> None:
    csv_body = app_client.get(f"/datastore/dump/{stations.id}?format=csv")
    assert csv_body.status_code == 200
    lines = csv_body.content.decode("utf-8").splitlines()
    assert lines[0] == "站点编号,站点名称,城市,监测时间,AQI,PM2.5,首要污染物,达标"
    assert lines[1].startswith("1001,西溪,杭州市,2025-10-01T08:00:00,42,18.5,,true")
    assert app_client.get(f"/datastore/dump/{stations.id}?format=csv&bom=true").content.startswith(
        b"\xef\xbb\xbf"
    )
    records = json.loads(app_client.get(f"/datastore/dump/{stations.id}?format=json").content)
    assert records[2] == {
        "站点编号": 2001,
        "站点名称": "市监测站",
        "城市": "宁波市",
        "监测时间": "2025-10-01T08:00:00",
        "AQI": 63,
        "PM2.5": 40.0,
        "首要污染物": "PM2.5",
        "达标": False,
    }
    xlsx = app_client.get(f"/datastore/dump/{stations.id}?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("站点编号", "站点名称", "城市")
    assert rows[1][:3] == (1001, "西溪", "杭州市")
    assert len(rows) == 4


def test_records_given_through_the_api_are_checked_for_personal_data(
    db: BoundDatabase, gov: Government
) -> None:
    from yiwang.catalog import loader  # noqa: PLC0415

    id1, _ = _ids()
    with db.session() as session:
        resource = make_resource(session, gov.env_editor, department_id=gov.env.id)
        distribution_id = make_distribution(session, gov.env_editor, resource).id
        loader.create_from_records(
            session,
            actor=gov.env_editor,
            distribution_id=distribution_id,
            fields=[
                {"id": "姓名", "type": "text"},
                {"id": "身份证号", "type": "text"},
                {"id": "登记时间", "type": "timestamp"},
            ],
            records=[{"姓名": "张伟", "身份证号": id1, "登记时间": "2025-11-17T00:00:00Z"}],
        )
        with pytest.raises(InvalidInput):
            loader.create_from_records(
                session,
                actor=gov.env_editor,
                distribution_id=distribution_id,
                fields=[{"id": "电话", "type": "text", "info": {"personal": "phone"}}],
                records=[],
            )
    with db.sessionmaker() as session:
        result = _read(session, ANONYMOUS, distribution_id)
    assert result.records[0][1:3] == ("张*", id1[:6] + "********" + id1[-4:])
    # A time with a zone is kept as Beijing time, the same on both databases.
    assert str(result.records[0][3]).replace(" ", "T").startswith("2025-11-17T08:00:00")
