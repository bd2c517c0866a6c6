"""The ``$select`` topics of MQTT subscribers, as the broker reports them, and what is sent
there."""

from __future__ import annotations

import pytest

from yiwang.sensing.mqtt.updates import SelectTopics, parse_select_topic, selected


@pytest.mark.parametrize(
    ("topic", "parsed"),
    [
        ("v1.1/Things?$select=id,name", ("v1.1/Things", ("id", "name"))),
        (
            "v1.1/Datastreams(7)/Observations?$select=result, phenomenonTime",
            ("v1.1/Datastreams(7)/Observations", ("result", "phenomenonTime")),
        ),
        ("v1.1/Things", None),
        ("v1.1/Things?$filter=name eq 'x'", None),
        ("v1.1/Things?$select=name&$top=1", None),
        ("v1.1/Things?$select=", None),
        ("v1.1/+?$select=name", None),
        ("v1.0/Things?$select=name", None),
    ],
)
def test_a_select_topic_is_an_entity_set_and_the_properties_it_names(
    topic: str, parsed: tuple[str, tuple[str, ...]] | None
) -> None:
    assert parse_select_topic(topic) == parsed


def test_select_topics_are_learned_from_the_brokers_subscription_reports() -> None:
    topics = SelectTopics(limit=2)
    # Mosquitto's log lines: its timestamp (in any format), the client, the QoS, the topic.
    topics.learn("2026-11-29T08:00:00: phone-1 0 v1.1/Things?$select=id,name\n")
    topics.learn("1796666693: auto-7F3A 1 v1.1/Datastreams(7)/Observations?$select=result")
    topics.learn("1796666693: auto-7F3A 1 v1.1/Things")
    topics.learn("1796666693: auto-7F3A 1 $SYS/broker/log/M/subscribe")
    assert topics.matching(["v1.1/Things", "v1.1/Datastreams(7)/Observations"]) == [
        ("v1.1/Things?$select=id,name", ("id", "name")),
        ("v1.1/Datastreams(7)/Observations?$select=result", ("result",)),
    ]
    assert topics.matching(["v1.1/Locations"]) == []


def test_only_the_most_recently_subscribed_select_topics_are_kept() -> None:
    topics = SelectTopics(limit=2)
    for name in ("a", "b", "a", "c"):
        topics.add(f"v1.1/Things?$select={name}")
    assert [topic for topic, _ in topics.matching(["v1.1/Things"])] == [
        "v1.1/Things?$select=a",
        "v1.1/Things?$select=c",
    ]


def test_selected_properties_are_given_as_select_gives_them_over_http() -> None:
    thing = {
        "@iot.id": 3,
        "@iot.selfLink": "https://example.org/sta/v1.1/Things(3)",
        "name": "西湖监测站",
        "description": "",
        "properties": None,
        "Datastreams@iot.navigationLink": "https://example.org/sta/v1.1/Things(3)/Datastreams",
    }
    assert selected(thing, ["id", "properties", "Datastreams", "colour"]) == {
        "@iot.id": 3,
        "@iot.selfLink": "https://example.org/sta/v1.1/Things(3)",
        "properties": None,
        "Datastreams@iot.navigationLink": "https://example.org/sta/v1.1/Things(3)/Datastreams",
    }
    assert selected(thing, ["name"]) == {"name": "西湖监测站"}
