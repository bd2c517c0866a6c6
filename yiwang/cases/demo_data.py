"""Generic fixtures of the cases demo: where in each of Zhejiang's 11 cities its complaints are
placed. The items and complaint categories it draws from are the domain packs' (``yiwang/packs``,
``[[cases.items]]``)."""

from __future__ import annotations

# Plausible points inside each city's urban area: (lat, long, district for the address).
CITY_POINTS: dict[str, tuple[float, float, str]] = {
    "330100": (30.274, 120.155, "杭州市西湖区"),
    "330200": (29.868, 121.544, "宁波市海曙区"),
    "330300": (27.994, 120.699, "温州市鹿城区"),
    "330400": (30.746, 120.755, "嘉兴市南湖区"),
    "330500": (30.894, 120.087, "湖州市吴兴区"),
    "330600": (30.030, 120.580, "绍兴市越城区"),
    "330700": (29.079, 119.647, "金华市婺城区"),
    "330800": (28.970, 118.859, "衢州市柯城区"),
    "330900": (29.985, 122.207, "舟山市定海区"),
    "331000": (28.656, 121.421, "台州市椒江区"),
    "331100": (28.468, 119.923, "丽水市莲都区"),
}
STREETS = ("解放路", "人民路", "中山路", "建设路", "文化路", "新华路", "环城北路", "江滨路")
# The division code of each city's district above (GB/T 2260), for demo delivery addresses.
DISTRICTS: dict[str, str] = {
    "330100": "330106",
    "330200": "330203",
    "330300": "330302",
    "330400": "330402",
    "330500": "330502",
    "330600": "330602",
    "330700": "330702",
    "330800": "330802",
    "330900": "330902",
    "331000": "331002",
    "331100": "331102",
}
