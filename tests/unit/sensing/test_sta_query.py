"""The SensorThings query options as parsed, before any database: precedence, literals,
paths, nested $expand, and what is refused (400) or not supported (501)."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.core.errors import AppError
from yiwang.sensing.sta.query import (
    Binary,
    Call,
    Literal,
    Path,
    Unary,
    parse_filter,
    parse_options,
    parse_orderby,
)


def test_and_binds_tighter_than_or_and_comparison_tighter_than_and() -> None:
    tree = parse_filter("a eq 1 or b eq 2 and not c lt 3")
    assert tree == Binary(
        "or",
        Binary("eq", Path(("a",)), Literal(1, "number")),
        Binary(
            "and",
            Binary("eq", Path(("b",)), Literal(2, "number")),
            Unary("not", Binary("lt", Path(("c",)), Literal(3, "number"))),
        ),
    )


def test_arithmetic_precedence_and_negative_numbers() -> None:
    assert parse_filter("result add 2 mul -3 gt 0") == Binary(
        "gt",
        Binary(
            "add",
            Path(("result",)),
            Binary("mul", Literal(2, "number"), Literal(-3, "number")),
        ),
        Literal(0, "number"),
    )


def test_literals() -> None:
    tree = parse_filter("phenomenonTime ge 2026-11-29T08:00:00+08:00")
    assert isinstance(tree, Binary)
    assert tree.right == Literal(dt.datetime(2026, 11, 29, 0, 0, tzinfo=dt.UTC), "datetime")
    assert parse_filter("name eq 'it''s'") == Binary(
        "eq", Path(("name",)), Literal("it's", "string")
    )
    assert parse_filter("x eq 1.5e2").right == Literal(150.0, "number")  # type: ignore[union-attr]
    assert parse_filter("x eq 2026-11-29").right == Literal(  # type: ignore[union-attr]
        dt.date(2026, 11, 29), "date"
    )


def test_paths_functions_and_geometry() -> None:
    tree = parse_filter(
        "st_within(Thing/Locations/location, geography'POLYGON((0 0, 1 0, 1 1, 0 0))')"
    )
    assert tree == Call(
        "st_within",
        (
            Path(("Thing", "Locations", "location")),
            Literal("POLYGON((0 0, 1 0, 1 1, 0 0))", "geometry"),
        ),
    )
    assert parse_filter("geo.distance(location, geometry'POINT(1 2)') lt 3").left == Call(  # type: ignore[union-attr]
        "geo.distance", (Path(("location",)), Literal("POINT(1 2)", "geometry"))
    )


def test_orderby_directions_in_any_case() -> None:
    items = parse_orderby("phenomenonTime DESC, Datastream/name asc,result")
    assert [(i.expr, i.descending) for i in items] == [
        (Path(("phenomenonTime",)), True),
        (Path(("Datastream", "name")), False),
        (Path(("result",)), False),
    ]


def test_nested_expand_keeps_each_levels_options() -> None:
    query = parse_options(
        {
            "$expand": "Datastreams($filter=name eq 'a;b';$expand=Observations($top=1;"
            "$orderby=phenomenonTime desc)),Locations,Datastreams/Sensor",
            "$top": "5",
        }
    )
    assert query.top == 5
    first, second, third = query.expand
    assert first.name == "Datastreams"
    assert first.query.filter == Binary("eq", Path(("name",)), Literal("a;b", "string"))
    [observations] = first.query.expand
    assert observations.query.top == 1
    assert observations.query.orderby[0].descending
    assert second.name == "Locations"
    assert (third.name, third.query.expand[0].name) == ("Datastreams", "Sensor")


@pytest.mark.parametrize(
    "text", ["", "name eq", "name eq 'open", "(a eq 1", "a eq 1)", "a eq 1 2", "f(1,", "a %% b"]
)
def test_malformed_filters_are_400(text: str) -> None:
    with pytest.raises(AppError) as error:
        parse_filter(text)
    assert error.value.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"$search": "x"},
        {"$apply": "groupby((name))"},
        {"$resultFormat": "GeoJSON"},
        {"$select": "distinct:name"},
        {"$filter": "Datastreams/any(d: d/name eq 'x')"},
        {"$filter": "properties/x in ('a', 'b')"},
    ],
)
def test_what_is_not_supported_is_501(params: dict[str, str]) -> None:
    with pytest.raises(AppError) as error:
        parse_options(params)
    assert error.value.status_code == 501


@pytest.mark.parametrize(
    "params", [{"$top": "-1"}, {"$skip": "x"}, {"$count": "yes"}, {"$expand": "Datastreams(("}]
)
def test_bad_option_values_are_400(params: dict[str, str]) -> None:
    with pytest.raises(AppError) as error:
        parse_options(params)
    assert error.value.status_code == 400


def test_top_is_capped_and_other_parameters_are_left_alone() -> None:
    query = parse_options({"$top": "999999", "lang": "en", "$count": "TRUE"})
    assert query.top == 10_000
    assert query.count is True
