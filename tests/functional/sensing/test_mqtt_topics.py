"""The SensorThings MQTT topics the bridge accepts, and the deploy configuration's promises."""

from __future__ import annotations

import re

import pytest

from tests.support.mqtt import CONFIG
from yiwang.core.errors import InvalidInput
from yiwang.sensing.mqtt import ingest_filters, observations_topic, parse_topic


def test_the_three_topic_forms_name_their_stream() -> None:
    assert parse_topic("v1.1/Datastreams(17)/Observations") == ("Datastreams", 17)
    assert parse_topic("v1.1/MultiDatastreams(4)/Observations") == ("MultiDatastreams", 4)
    assert parse_topic("v1.1/Observations") == (None, None)


@pytest.mark.parametrize(
    "topic",
    [
        "v1.1/Datastreams(x)/Observations",
        "v1.1/Datastreams()/Observations",
        "v1.1/Things(3)/Observations",
        "v1.0/Datastreams(3)/Observations",
        "v1.1/Datastreams(3)/Observations/extra",
    ],
)
def test_other_topics_are_refused(topic: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_topic(topic)
    assert refused.value.code == "sensing.mqtt_topic_invalid"


def test_subscriptions_cover_every_level_and_can_be_shared() -> None:
    assert ingest_filters(shared=False) == ["v1.1/+/Observations", "v1.1/Observations"]
    assert ingest_filters(shared=True) == [
        "$share/yiwang/v1.1/+/Observations",
        "$share/yiwang/v1.1/Observations",
    ]
    assert observations_topic(5, multi=True) == "v1.1/MultiDatastreams(5)/Observations"


def test_the_broker_configuration_keeps_queued_messages() -> None:
    settings = dict(
        re.findall(r"(?m)^([a-z0-9_]+) (.+)$", CONFIG.read_text()),
    )
    assert settings["persistence"] == "true"
    assert settings["max_queued_messages"] == "0"  # the stock 1000 drops QoS 1 messages
    assert settings["max_queued_bytes"] == "0"
    assert settings["queue_qos0_messages"] == "false"
    assert "persistent_client_expiration" in settings
