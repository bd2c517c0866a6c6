"""paho-mqtt clients made from ``YIWANG_MQTT_URL``: ``mqtt://[user[:password]@]host[:port]``,
or ``mqtts://`` for TLS (the system's certificate authorities)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from yiwang.core.errors import InvalidInput

KEEPALIVE_S = 30


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None


def broker_address(url: str) -> BrokerAddress:
    """Read a broker URL; raise :class:`InvalidInput` if it is not ``mqtt://`` or ``mqtts://``."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
        raise InvalidInput("field_invalid", field="mqtt_url", reason="mqtt://host:port")
    tls = parts.scheme in ("mqtts", "ssl")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def new_client(
    address: BrokerAddress, *, client_id: str | None = None, manual_ack: bool = False
) -> paho.Client:
    """An MQTT 5 client for ``address``; a random client id when none is given."""
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id or f"yiwang-{secrets.token_hex(6)}",
        protocol=paho.MQTTv5,
        manual_ack=manual_ack,
    )
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def connect_properties(
    *, session_expiry_s: int | None = None, receive_maximum: int | None = None
) -> Properties:
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if session_expiry_s is not None:
        properties.SessionExpiryInterval = session_expiry_s
    if receive_maximum is not None:
        properties.ReceiveMaximum = receive_maximum
    return properties


__all__ = ["KEEPALIVE_S", "BrokerAddress", "broker_address", "connect_properties", "new_client"]
