"""The SensorThings query options as parsed, before any database: precedence, literals,
paths, nested $expand, and what is refused (400) or not supported (501)."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.core.errors import AppError
from yiwang.sensing.sta.query import (
    Binary,
    Call,
    Limits,
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
    # Datastreams is expanded once, with Observations and Sensor inside.
    first, second = query.expand
    assert first.name == "Datastreams"
    assert first.query.filter == Binary("eq", Path(("name",)), Literal("a;b", "string"))
    observations, sensor = first.query.expand
    assert observations.query.top == 1
    assert observations.query.orderby[0].descending
    assert sensor.name == "Sensor"
    assert first.query.raw["$expand"] == (
        "Observations($top=1;$orderby=phenomenonTime desc),Sensor"
    )
    assert second.name == "Locations"


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


# --- limits -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(" * 500 + "name eq 'a'" + ")" * 500,
        "(" * 100 + "name eq 'a'" + ")" * 100,
        "not " * 500 + "name eq 'a'",
        "- " * 500 + "1 eq id",
        "length(" * 60 + "name" + ")" * 60 + " eq 1",
        " add ".join(["1"] * 60) + " eq id",
    ],
)
def test_expressions_nested_too_deeply_are_400_not_a_recursion_error(text: str) -> None:
    with pytest.raises(AppError) as error:
        parse_filter(text)
    assert error.value.status_code == 400
    assert error.value.code == "sta.filter_too_deep"
    assert "at most 50 levels" in error.value.message("en")


def test_nesting_up_to_the_limit_is_parsed() -> None:
    tree = parse_filter("(" * 49 + "name eq 'a'" + ")" * 49)
    assert tree == Binary("eq", Path(("name",)), Literal("a", "string"))


def test_a_long_run_of_or_is_one_level_and_a_longer_expression_is_400() -> None:
    ids = " or ".join(f"id eq {n}" for n in range(400))
    tree = parse_filter(ids)
    assert isinstance(tree, Binary)
    assert tree.op == "or"
    with pytest.raises(AppError) as error:
        parse_filter(" or ".join(f"id eq {n}" for n in range(600)))
    assert error.value.code == "sta.filter_too_long"
    assert error.value.status_code == 400


def test_orderby_has_the_same_limits() -> None:
    with pytest.raises(AppError) as error:
        parse_orderby("(" * 200 + "name" + ")" * 200)
    assert error.value.code == "sta.filter_too_deep"


UNBOUNDED = (
    "Datastreams($expand=Observations($expand=Datastream($expand=Thing($expand=Datastreams("
    "$expand=Observations)))))"
)


def test_expand_deeper_than_the_limit_is_400_before_the_deeper_levels_are_read() -> None:
    with pytest.raises(AppError) as error:
        parse_options({"$top": "50", "$expand": UNBOUNDED})
    assert error.value.status_code == 400
    assert error.value.code == "sta.expand_too_deep"
    assert error.value.message("en") == "$expand is nested too deeply: at most 3 levels."
    # Ten thousand levels are refused as quickly, without recursing into them.
    deep = "Datastreams($expand=" * 10_000 + "Thing" + ")" * 10_000
    with pytest.raises(AppError):
        parse_options({"$expand": deep})
    with pytest.raises(AppError):
        parse_options({"$expand": "/".join(["Datastreams", "Thing"] * 3)})


def test_expand_up_to_the_limit_and_a_configured_limit() -> None:
    query = parse_options({"$expand": "Datastreams($expand=Observations($expand=Datastream))"})
    [level1] = query.expand
    [level2] = level1.query.expand
    [level3] = level2.query.expand
    assert (level1.name, level2.name, level3.name) == ("Datastreams", "Observations", "Datastream")
    assert parse_options({"$expand": "Datastreams/Observations/Datastream"}).expand
    with pytest.raises(AppError):
        parse_options({"$expand": "Datastreams($expand=Sensor)"}, Limits(max_expand_depth=1))


def test_top_is_capped_at_every_level_by_the_configured_maximum() -> None:
    query = parse_options(
        {"$top": "999", "$expand": "Datastreams($top=999;$expand=Observations)"},
        Limits(max_top=50),
    )
    assert query.top == 50
    [streams] = query.expand
    assert streams.query.top == 50
    # Without $top an expanded collection takes the default page, at most the maximum.
    assert streams.query.expand[0].query.top_or_default() == 50
    assert parse_options({"$expand": "Datastreams"}).expand[0].query.top_or_default() == 100


def test_the_same_expansion_twice_with_different_options_is_400() -> None:
    with pytest.raises(AppError) as error:
        parse_options({"$expand": "Datastreams($top=1),Datastreams($top=2)"})
    assert error.value.code == "sta.expand_twice"
    merged = parse_options({"$expand": "Datastreams($top=1),Datastreams/Sensor"}).expand
    assert len(merged) == 1
    assert merged[0].query.top == 1
    assert [e.name for e in merged[0].query.expand] == ["Sensor"]
