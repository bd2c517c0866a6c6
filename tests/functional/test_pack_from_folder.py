"""A province's own sector, as a pack in a folder outside the software (YIWANG_PACK_PATH) with
sections for the three engines and a rule action: installed, its dataset is found through
CKAN's package_search, its things through SensorThings, its service item in the service hall,
an alert on its thing opens a case in the right department's queue, and its panel shows on the
monitoring page once it is installed. Upgrades are versioned
(a changed item becomes a new item version); a broken pack is refused with file, line and key."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.core import make_department
from tests.support.databases import BoundDatabase
from yiwang.cases.models import Case, ItemVersion, ServiceItem
from yiwang.core import packs
from yiwang.core.errors import InvalidInput
from yiwang.core.identity import Department
from yiwang.core.jobs import Worker
from yiwang.core.policy import SYSTEM
from yiwang.sensing import packs as sensing_packs
from yiwang.sensing import service as observations
from yiwang.sensing.alerting.models import Alert
from yiwang.sensing.parsing import NewObservation

T0 = dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)  # New Year's Eve, midnight in China


def _example() -> dict[str, str]:
    """The files of the complete example of docs/packs.md, by the name on their first line."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "packs.md").read_text("utf-8")
    section = guide.split("## A complete example", 1)[1].split("\n## ", 1)[0]
    files = {}
    for body in re.findall(r"```\w+\n(.*?)```", section, re.DOTALL):
        first, _, rest = body.partition("\n")
        files[first.lstrip("# ").strip()] = rest
    return files


EXAMPLE = _example()  # what docs/packs.md shows is what this test installs
PACK = EXAMPLE["pack.toml"]
THINGS = EXAMPLE["things.toml"]
HOOKS = EXAMPLE["hooks.py"]
BERTHS = EXAMPLE["data/berths.csv"]


def write_pack(root: Path, pack: str = PACK) -> Path:
    folder = root / "coastal"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "pack.toml").write_text(pack, encoding="utf-8")
    (folder / "things.toml").write_text(THINGS, encoding="utf-8")
    (folder / "hooks.py").write_text(HOOKS, encoding="utf-8")
    (folder / "data" / "berths.csv").write_text(BERTHS, encoding="utf-8")
    return folder


@pytest.fixture
def pack_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_pack(tmp_path)
    monkeypatch.setenv(packs.PATH_VARIABLE, str(tmp_path))
    return tmp_path


@pytest.fixture
def departments(session: Session) -> dict[str, Department]:
    return {
        slug: make_department(session, name_zh=name, division_code=division, slug=slug)
        for slug, name, division in (
            ("tstocean", "测试海洋局", "330000"),
            ("tstport", "测试宁波港航中心", "330200"),
        )
    }


def install(session: Session, *, upgrade: bool = False) -> packs.InstallReport:
    report = packs.install(
        session,
        actor=SYSTEM,
        manifest=packs.find("coastal"),
        upgrade=upgrade,
        options=packs.InstallOptions(demo=True),
    )
    session.commit()
    return report


def test_a_pack_from_a_folder_reaches_every_engine_and_its_alert_opens_a_case(
    pack_path: Path,
    departments: dict[str, Department],
    session: Session,
    db: BoundDatabase,
    app_client: TestClient,
) -> None:
    found = packs.find("coastal")
    assert (found.origin, found.location) == ("path", str(pack_path / "coastal"))
    report = install(session)
    assert report.created["items"] == 2
    assert report.created["datasets"] == 1

    # The catalogue: found by CKAN's package_search, its rows in the datastore.
    search = app_client.get("/api/3/action/package_search", params={"q": "泊位"}).json()
    (dataset,) = [p for p in search["result"]["results"] if p["name"] == "coastal-berths"]
    assert dataset["organization"]["title"] == "测试海洋局"
    resource_id = dataset["resources"][0]["id"]
    rows = app_client.get(
        "/api/3/action/datastore_search", params={"resource_id": resource_id}
    ).json()["result"]["records"]
    assert {(r["berth"], r["capacity_kt"]) for r in rows} == {
        ("北仑1号泊位", 1200),
        ("金塘2号泊位", 800),
    }

    # SensorThings: the gauge with its measured and computed streams.
    things = app_client.get(
        "/sta/v1.1/Things", params={"$filter": "name eq '镇海潮位站'", "$expand": "Datastreams"}
    ).json()["value"]
    (thing,) = things
    assert {d["name"].split(" ")[-1] for d in thing["Datastreams"]} >= {"潮位", "潮位状态"}

    # The service hall: the item, under its department, page and API alike.
    (item,) = [i for i in app_client.get("/api/v1/cases/items").json() if i["code"] == "ZJ-HY-001"]
    assert item["name"] == "海域使用权登记"
    assert "海域使用权登记" in app_client.get("/services", params={"q": "海域"}).text
    # The network search finds it by a search word of the pack, and the search boxes suggest
    # the pack's examples, each of which finds something.
    html = {"Accept": "text/html"}
    assert "海域使用权登记" in app_client.get("/search", params={"q": "海域证"}, headers=html).text
    assert "搜索数据和办事事项，例如：泊位、海域证" in app_client.get("/", headers=html).text
    assert "搜索数据资源，例如：泊位" in app_client.get("/dataset", headers=html).text

    # An alert on the gauge opens a case of the pack's task item for the department the
    # thing names (its duty office), linked both ways.
    streams = sensing_packs.streams_of_things(session, [thing["@iot.id"]])[thing["@iot.id"]]
    observations.create_observations(
        session,
        actor=SYSTEM,
        observations=[NewObservation(stream_id=streams["tide"], phenomenon_time=T0, result=5.4)],
    )
    session.commit()
    worker = Worker(db)
    while worker.deliver_events():
        pass
    session.expire_all()
    alert = session.scalars(select(Alert).where(Alert.thing_id == thing["@iot.id"])).one()
    (case,) = session.scalars(select(Case).where(Case.source_ref == f"sensing.alert:{alert.id}"))
    assert case.department_id == departments["tstport"].id
    assert session.get(ServiceItem, case.item_id).code == "ZJ-HY-101"  # type: ignore[union-attr]
    assert alert.case_number == case.number
    (listed,) = packs.installed(session)
    assert (listed.name, listed.version, listed.origin) == ("coastal", "1.0.0", "path")


def test_its_panel_shows_on_the_monitoring_page_once_installed(
    pack_path: Path,
    departments: dict[str, Department],
    session: Session,
    app_client: TestClient,
) -> None:
    html = {"Accept": "text/html"}
    assert packs.find("coastal")  # found, but not installed: no panel
    assert "沿海潮位" not in app_client.get("/monitor", headers=html).text
    assert "沿海潮位" not in app_client.get("/monitor/panels", headers=html).text

    install(session)
    (thing,) = app_client.get(
        "/sta/v1.1/Things", params={"$filter": "name eq '镇海潮位站'"}
    ).json()["value"]
    streams = sensing_packs.streams_of_things(session, [thing["@iot.id"]])[thing["@iot.id"]]
    observations.create_observations(
        session,
        actor=SYSTEM,
        observations=[NewObservation(stream_id=streams["tide"], phenomenon_time=T0, result=4.8)],
    )
    session.commit()

    page = app_client.get("/monitor", headers=html).text
    assert '<h2 id="tides-title">沿海潮位</h2>' in page
    assert '<th scope="col">潮位站</th><th scope="col">潮位(米)</th>' in page
    # Above the gauge's warning level (4.5 m): the band its status computed, emphasised.
    assert (
        '<tr class="band-1 emphasis"><th scope="row">镇海潮位站</th><td>4.80</td>'
        "<td>超警戒潮位</td></tr>"
    ) in page
    english = app_client.get("/monitor/panels", params={"lang": "en"}, headers=html).text
    assert '<h2 id="tides-title">Coastal tide levels</h2>' in english
    assert "<td>Above warning</td>" in english


def test_upgrades_are_versioned_and_lose_nothing(
    pack_path: Path, departments: dict[str, Department], session: Session
) -> None:
    install(session)
    again = install(session)  # the same version and content: nothing new
    assert again.created == {}
    assert again.updated == {}
    changed = PACK.replace("promised_limit_days = 10", "promised_limit_days = 5")
    write_pack(pack_path, changed)
    with pytest.raises(InvalidInput) as same_version:
        install(session)
    assert same_version.value.code == "pack.changed_same_version"
    write_pack(pack_path, changed.replace('version = "1.0.0"', 'version = "1.1.0"'))
    with pytest.raises(InvalidInput) as needs_upgrade:
        install(session)
    assert needs_upgrade.value.code == "pack.other_version"
    report = install(session, upgrade=True)
    assert (report.previous, report.created) == ("1.0.0", {"item_versions": 1})
    item = session.scalars(select(ServiceItem).where(ServiceItem.code == "ZJ-HY-001")).one()
    versions = session.scalars(
        select(ItemVersion.promised_limit_days)
        .where(ItemVersion.item_id == item.id)
        .order_by(ItemVersion.number)
    ).all()
    assert versions == [10, 5]  # the first version kept: cases filed under it keep it
    write_pack(pack_path, PACK)
    with pytest.raises(InvalidInput) as downgrade:
        install(session, upgrade=True)
    assert downgrade.value.code == "pack.downgrade"


@pytest.mark.parametrize(
    ("change", "key", "line_of", "says"),
    [
        (('category = "ocean"', 'category = "oceans"'), "pack.category", "category =", "ocean"),
        (
            ('tags = ["港口", "泊位"]', 'tags = ["港口", "泊位"]\nlicence = "x"'),
            "catalog.datasets[0].licence",
            "licence =",
            "not a key",
        ),
        (
            ('rows = "data/berths.csv"', 'rows = "data/berths.csv"\ndemo_rows = ".hooks:berths"'),
            "catalog.datasets[0].demo_rows",
            "demo_rows =",
            "cannot resolve .hooks:berths",
        ),
        (
            ('outputs = ["tide_status"]', 'outputs = ["tide"]'),
            "kinds.gauge.computed[0].outputs",
            'outputs = ["tide"]',
            "returns ['tide_status']",
        ),
        (
            ('item = "ZJ-HY-101"', 'item = "ZJ-HY-999"'),
            "rules[0].actions[0].item",
            "actions = ",
            "ZJ-HY-999",
        ),
        (
            ("legal_limit_days = 20", 'legal_limit_days = "二十"'),
            "cases.items[0].legal_limit_days",
            'legal_limit_days = "二十"',
            "integer",
        ),
        (
            ("[[cases.items]]", "[[case.items]]"),
            "case",
            "[[case.items]]",
            "no engine",
        ),
        (
            ('property = "tide" ', 'property = "surge" '),  # the panel's, with its comment
            "dashboard.panels[0].property",
            'property = "surge"',
            "no property 'surge'",
        ),
        (
            ('thing_kind = "gauge"', 'thing_kind = "buoy"'),
            "dashboard.panels[0].thing_kind",
            'thing_kind = "buoy"',
            "no kind 'buoy'",
        ),
        (
            ('kind = "table"', 'kind = "chart"'),
            "dashboard.panels[0].kind",
            'kind = "chart"',
            "one of map, table, bars",
        ),
        (
            ('{ max = 0, label = "正常"', '{ max = 0, label = "正常", colour = "green"'),
            "dashboard.panels[0].bands[0].colour",
            "bands = [",
            "#RRGGBB",
        ),
        (
            ('data_examples = ["泊位"]', 'data_examples = ["泊位图"]'),
            "search.data_examples",
            'data_examples = ["泊位图"]',
            "'泊位图' finds no open dataset of this pack",
        ),
        (
            ('service_examples = ["海域证"]', 'service_examples = ["海域"]\nhint = 1'),
            "search",
            "[search]",
            "holds data_examples and service_examples only",
        ),
        (
            ('department = "tstocean"', 'department = "tstsea"'),
            "pack.department",
            'department = "tstsea"',
            "tstsea",
        ),
    ],
)
def test_a_broken_pack_is_refused_naming_file_line_and_key(
    tmp_path: Path,
    departments: dict[str, Department],
    session: Session,
    change: tuple[str, str],
    key: str,
    line_of: str,
    says: str,
) -> None:
    assert change[0] in PACK
    text = PACK.replace(*change)
    line = next(
        n
        for n, t in enumerate(text.splitlines(), start=1)
        if line_of in t and not t.startswith("#")
    )
    manifest = packs.read_folder(write_pack(tmp_path, text))
    with pytest.raises(packs.PackInvalid) as refused:
        packs.validate(manifest, session)
    problems = [str(p) for p in refused.value.problems]
    assert any(p.startswith(f"coastal/pack.toml:{line}: {key}:") for p in problems), problems
    assert any(says in p for p in problems), problems
    with pytest.raises(InvalidInput) as not_installed:  # nothing of it is installed
        packs.install(session, actor=SYSTEM, manifest=manifest)
    assert not_installed.value.code == "pack.invalid"
    assert packs.installed(session) == []
