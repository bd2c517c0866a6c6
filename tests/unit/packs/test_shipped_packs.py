"""Every pack this software ships validates through the registry, and together they hold the
sector content the engines no longer do: the cases demo's service items, complaint categories
and task items, each code once, served by departments of the core demo, and the catalog demo's
resources, each name once, published by departments of the core demo with generated rows."""

from __future__ import annotations

from collections import Counter

from yiwang import engines
from yiwang.cases.packs import CasesContent
from yiwang.catalog.packs import CatalogContent, DemoGenerator
from yiwang.core import packs as registry
from yiwang.demo import DEPARTMENTS


def test_every_shipped_pack_validates_and_their_items_are_the_demos() -> None:
    engines.load()
    shipped = {n: m for n, m in registry.found().items() if m.origin == "builtin"}
    assert set(shipped) >= {
        "agriculture",
        "energy",
        "environment",
        "government",
        "health",
        "market",
        "tourism",
        "transport",
        "water",
    }
    slugs = {department[0] for department in DEPARTMENTS}
    kinds: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    datasets: Counter[str] = Counter()
    for manifest in shipped.values():
        valid = registry.validate(manifest)
        assert manifest.department in slugs, manifest.name
        catalog: CatalogContent | None = valid.content.get("catalog")
        for dataset in catalog.datasets if catalog else ():
            datasets[str(dataset.data.name)] += 1
            assert dataset.department in slugs, dataset.data.name
            assert isinstance(dataset.demo_rows, DemoGenerator), dataset.data.name
            assert dataset.data.summary.endswith("（演示用合成数据）"), dataset.data.name
        content: CasesContent | None = valid.content.get("cases")
        for item in content.items if content else ():
            kinds[item.data.kind] += 1
            codes[item.data.code] += 1
            assert item.department in slugs, item.data.code
            assert set(item.data.routing.values()) <= slugs, item.data.code
            assert all(set(step.departments) <= slugs for step in item.data.steps)
            if item.data.kind == "service":
                assert item.power is not None, item.data.code
                assert item.data.legal_basis, item.data.code
            if item.data.kind == "complaint_category":
                assert item.texts, item.data.code
                assert "default" in item.data.routing, item.data.code
    assert kinds["service"] >= 30
    assert kinds["complaint_category"] >= 7
    assert kinds["task"] >= 3
    assert [code for code, count in codes.items() if count > 1] == []
    assert sum(datasets.values()) == 25
    assert [name for name, count in datasets.items() if count > 1] == []
