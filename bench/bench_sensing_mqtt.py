"""Sensing MQTT ingest: observations published over MQTT (QoS 1) until committed in the
database by ``yiwang mqtt``, against paho-mqtt's raw QoS 1 receive rate (a bare subscriber that
acknowledges each message as it arrives) on the same broker, started from
``deploy/mosquitto.conf``, in the same run; on SQLite and on PostgreSQL.

Each case runs the same publisher process (paho-mqtt, QoS 1, a persistent session, 1,000
publishes in flight) and times from its first publish to the last message received (raw) or
committed (ours). Ours must also lose nothing: the database then holds exactly one observation
per message. Set ``BENCH_MQTT_MESSAGES`` (default 50,000) for a quicker run.

Run as ``python -m bench.bench_sensing_mqtt publish|raw <args>``, this module is the publisher
or the raw subscriber child process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.support import (
    HOST,
    REPO,
    BenchError,
    clean_env,
    free_port,
    postgres_missing,
    run_cli,
    temp_dir,
    throwaway_postgres,
)

MESSAGES = int(os.environ.get("BENCH_MQTT_MESSAGES", "50000"))
STREAMS = 300
INFLIGHT = 1000
AIM = 0.6
CHILD_TIMEOUT_S = 600
CONFIG = REPO / "deploy" / "mosquitto.conf"


# --- the children --------------------------------------------------------------------------------


def _client(client_id: str, *, manual_ack: bool = False) -> Any:
    import paho.mqtt.client as paho  # noqa: PLC0415
    from paho.mqtt.enums import CallbackAPIVersion  # noqa: PLC0415

    return paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv5,
        manual_ack=manual_ack,
    )


def _session(expiry_s: int, receive_maximum: int | None = None) -> Any:
    from paho.mqtt.packettypes import PacketTypes  # noqa: PLC0415
    from paho.mqtt.properties import Properties  # noqa: PLC0415

    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = expiry_s
    if receive_maximum is not None:
        properties.ReceiveMaximum = receive_maximum
    return properties


def payloads(streams: list[int], count: int, year: int = 2026) -> Iterator[tuple[str, bytes]]:
    """The messages: ``count`` observations spread over ``streams``, one minute apart per
    stream, each (stream, time) once."""
    for n in range(count):
        minute = n // len(streams)
        body = {
            "phenomenonTime": f"{year}-{1 + minute // 40000:02d}-{1 + minute // 1440 % 27:02d}T"
            f"{minute // 60 % 24:02d}:{minute % 60:02d}:00+08:00",
            "result": round(20 + (n % 997) * 0.1, 1),
        }
        yield (
            f"v1.1/Datastreams({streams[n % len(streams)]})/Observations",
            json.dumps(body).encode(),
        )


def child_publish(port: int, count: int, streams: list[int], year: int) -> None:
    """Publish ``count`` messages; print the wall times of the first publish and of the last
    acknowledgement."""
    done = threading.Event()
    acked = 0

    def on_publish(*_: Any) -> None:
        nonlocal acked
        acked += 1
        if acked == count:
            done.set()

    connected = threading.Event()
    client = _client("bench-publisher")
    client.on_connect = lambda *_: connected.set()
    client.on_publish = on_publish
    client.max_inflight_messages_set(INFLIGHT)
    client.max_queued_messages_set(0)
    client.connect(HOST, port, clean_start=False, properties=_session(600))
    client.loop_start()
    if not connected.wait(10):
        raise BenchError("the publisher could not connect")
    messages = list(payloads(streams, count, year))
    started = time.time()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1)
    if not done.wait(CHILD_TIMEOUT_S):
        raise BenchError(f"only {acked} of {count} publishes acknowledged")
    finished = time.time()
    client.disconnect()
    client.loop_stop()
    print(json.dumps({"first_publish": started, "last_ack": finished}), flush=True)


def child_raw(port: int, count: int, client_id: str = "bench-raw") -> None:
    """Subscribe like the bridge (QoS 1, fixed id, persistent session) but acknowledge each
    message on arrival and do nothing with it; print the times of the first and the last one.
    With ``count`` 0, subscribe (making the session) and leave."""
    done = threading.Event()
    received = 0
    first = last = 0.0

    def on_message(*_: Any) -> None:
        nonlocal received, first, last
        received += 1
        if received == 1:
            first = time.time()
        if received == count:
            last = time.time()
            done.set()

    def on_connect(client: Any, *_: Any) -> None:
        client.subscribe([("v1.1/+/Observations", 1), ("v1.1/Observations", 1)])

    def on_subscribe(*_: Any) -> None:
        print("subscribed", flush=True)
        if count == 0:
            done.set()

    client = _client(client_id)
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(HOST, port, clean_start=False, properties=_session(600, 5000))
    client.loop_start()
    if not done.wait(CHILD_TIMEOUT_S):
        raise BenchError(f"the raw subscriber received {received} of {count}")
    client.disconnect()
    client.loop_stop()
    print(json.dumps({"first_received": first, "last_received": last}), flush=True)


# --- the broker and the database ---------------------------------------------------------------


@contextlib.contextmanager
def broker(workdir: Path) -> Iterator[int]:
    """Mosquitto from deploy/mosquitto.conf on a free port with its own persistence."""
    if not shutil.which("mosquitto"):
        raise BenchError("mosquitto is not installed")
    port = free_port()
    persistence = workdir / "mosquitto"
    persistence.mkdir()
    with contextlib.suppress(KeyError, PermissionError):
        import pwd  # noqa: PLC0415

        account = pwd.getpwnam("mosquitto")
        os.chown(persistence, account.pw_uid, account.pw_gid)
    text = CONFIG.read_text()
    text = text.replace("listener 1883 127.0.0.1", f"listener {port} {HOST}")
    text = text.replace(
        "persistence_location /var/lib/mosquitto/", f"persistence_location {persistence}/"
    )
    config = workdir / "mosquitto.conf"
    config.write_text(text)
    log = (workdir / "mosquitto.log").open("ab")
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        import socket  # noqa: PLC0415

        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise BenchError("mosquitto did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def _prepare_database(url: str, workdir: Path) -> list[int]:
    """Migrate the database and create the streams; return their ids."""
    env = clean_env(YIWANG_DATABASE_URL=url, YIWANG_VAR_DIR=str(workdir / "var"))
    run_cli([sys.executable, "-m", "yiwang", "db", "upgrade"], env=env, cwd=workdir, timeout=300)
    from yiwang.core import identity  # noqa: PLC0415
    from yiwang.core.db import Database  # noqa: PLC0415
    from yiwang.core.policy import SYSTEM  # noqa: PLC0415
    from yiwang.sensing import service  # noqa: PLC0415
    from yiwang.sensing.models import (  # noqa: PLC0415
        Datastream,
        Location,
        ObservedProperty,
        Sensor,
        Thing,
    )

    db = Database(url, pool_size=2)
    try:
        with db.session() as session:
            department = identity.create_department(
                session, actor=SYSTEM, name_zh="浙江省生态环境厅", division_code="330000"
            )
            thing = Thing(name="监测站", department_id=department.id)
            thing.locations.append(
                Location(name="杭州", location={"type": "Point", "coordinates": [120.2, 30.3]})
            )
            sensor = Sensor(name="monitor", encoding_type="text/html")
            prop = ObservedProperty(name="PM2.5", definition="urn:pm25")
            session.add_all([thing, sensor, prop])
            session.flush()
            streams = [
                Datastream(
                    name=f"PM2.5 #{n}",
                    observation_type=service.MEASUREMENT,
                    unit_of_measurement={},
                    thing_id=thing.id,
                    sensor_id=sensor.id,
                    observed_property_id=prop.id,
                    department_id=department.id,
                )
                for n in range(STREAMS)
            ]
            session.add_all(streams)
            session.flush()
            return [s.id for s in streams]
    finally:
        db.dispose()


class _Counter:
    """count(*) and count(distinct (stream, phenomenon time)) of the stored observations, on
    one connection kept open (polling must not cost a connection each time)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine  # noqa: PLC0415

        from yiwang.core.db import normalize_url  # noqa: PLC0415

        self.engine = create_engine(normalize_url(url), pool_size=1)

    def total(self) -> int:
        from sqlalchemy import text  # noqa: PLC0415

        with self.engine.connect() as connection:
            return int(
                connection.execute(text("SELECT count(*) FROM sensing_observations")).one()[0]
            )

    def both(self) -> tuple[int, int]:
        from sqlalchemy import text  # noqa: PLC0415

        with self.engine.connect() as connection:
            total, distinct = connection.execute(
                text(
                    "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT stream_id, "
                    "phenomenon_time FROM sensing_observations) AS d) FROM sensing_observations"
                )
            ).one()
        return int(total), int(distinct)

    def close(self) -> None:
        self.engine.dispose()


# --- one case ----------------------------------------------------------------------------------


def _spawn(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_for_line(
    proc: subprocess.Popen[bytes], log: Path, line: str, interval: float = 0.05
) -> None:
    deadline = time.monotonic() + 60
    while line not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"no {line!r}:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(interval)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _publish(port: int, streams: list[int], workdir: Path, year: int = 2026) -> dict[str, float]:
    spec = workdir / "streams.json"
    spec.write_text(json.dumps(streams))
    out = run_cli(
        [sys.executable, "-m", "bench.bench_sensing_mqtt", "publish", str(port), str(MESSAGES),
         str(spec), str(year)],
        env=clean_env(PYTHONPATH=str(REPO)),
        cwd=REPO,
        timeout=CHILD_TIMEOUT_S,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def measure_raw(port: int, streams: list[int], workdir: Path) -> float:
    """Messages per second received by the bare subscriber."""
    log = workdir / "raw.log"
    proc = _spawn(
        [sys.executable, "-m", "bench.bench_sensing_mqtt", "raw", str(port), str(MESSAGES)],
        clean_env(PYTHONPATH=str(REPO)),
        REPO,
        log,
    )
    try:
        _wait_for_line(proc, log, "subscribed")
        published = _publish(port, streams, workdir)
        proc.wait(timeout=CHILD_TIMEOUT_S)
        last = json.loads(log.read_text().strip().splitlines()[-1])["last_received"]
    finally:
        _stop(proc)
    return MESSAGES / (last - published["first_publish"])


def _raw_child(port: int, count: int, client_id: str, log: Path) -> subprocess.Popen[bytes]:
    return _spawn(
        [sys.executable, "-m", "bench.bench_sensing_mqtt", "raw", str(port), str(count), client_id],
        clean_env(PYTHONPATH=str(REPO)),
        REPO,
        log,
    )


def drain_raw(port: int, streams: list[int], workdir: Path) -> float:
    """Messages per second the bare subscriber takes from a backlog queued for its session
    (first to last message received): the consumer alone, without the publisher's pace."""
    log = workdir / "raw-drain.log"
    session = _raw_child(port, 0, "bench-raw-drain", log)
    session.wait(timeout=60)
    _publish(port, streams, workdir, year=2027)
    proc = _raw_child(port, MESSAGES, "bench-raw-drain", log)
    try:
        proc.wait(timeout=CHILD_TIMEOUT_S)
        times = json.loads(log.read_text().strip().splitlines()[-1])
    finally:
        _stop(proc)
    return (MESSAGES - 1) / (times["last_received"] - times["first_received"])


def drain_ours(url: str, port: int, streams: list[int], workdir: Path) -> float:
    """Messages per second ``yiwang mqtt`` commits from a backlog queued for its session, from
    the moment it is subscribed again to the last commit (both seen by polling, which can only
    make ours look slower)."""
    log = workdir / "bridge-drain.log"
    env = _bridge_env(url, port, workdir, "bench-bridge-drain")
    proc = _spawn([sys.executable, "-m", "yiwang", "mqtt"], env, workdir, log)
    _wait_for_line(proc, log, "mqtt bridge subscribed")
    _stop(proc)
    counter = _Counter(url)
    try:
        target = counter.total() + MESSAGES
        _publish(port, streams, workdir, year=2028)
        log = workdir / "bridge-drain-2.log"
        proc = _spawn([sys.executable, "-m", "yiwang", "mqtt"], env, workdir, log)
        try:
            _wait_for_line(proc, log, "mqtt bridge subscribed", interval=0.005)
            subscribed = time.monotonic()
            deadline = subscribed + CHILD_TIMEOUT_S
            stored = 0
            while stored < target and time.monotonic() < deadline:
                time.sleep(0.02)
                stored = counter.total()
            done = time.monotonic()
        finally:
            _stop(proc)
    finally:
        counter.close()
    if stored < target:
        raise BenchError(f"the backlog was not stored: {stored} of {target}")
    return MESSAGES / (done - subscribed)


def end_session(port: int, client_id: str) -> None:
    """Remove a client's persistent session, so that the broker stops queueing for it."""
    client = _client(client_id)
    client.connect(HOST, port, clean_start=True, properties=_session(0))
    client.loop_start()
    deadline = time.monotonic() + 10
    while not client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    client.disconnect()
    client.loop_stop()


def _bridge_env(
    url: str, port: int, workdir: Path, client_id: str = "bench-bridge"
) -> dict[str, str]:
    return clean_env(
        YIWANG_DATABASE_URL=url,
        YIWANG_VAR_DIR=str(workdir / "var"),
        YIWANG_MQTT_URL=f"mqtt://{HOST}:{port}",
        YIWANG_MQTT_CLIENT_ID=client_id,
        YIWANG_LOG_FORMAT="text",
        PYTHONPATH=str(REPO),
    )


def measure_ours(url: str, port: int, streams: list[int], workdir: Path) -> dict[str, Any]:
    """Messages per second committed by ``yiwang mqtt``, and whether all were stored once."""
    log = workdir / "bridge.log"
    env = _bridge_env(url, port, workdir)
    proc = _spawn([sys.executable, "-m", "yiwang", "mqtt"], env, workdir, log)
    try:
        _wait_for_line(proc, log, "mqtt bridge subscribed")
        result: dict[str, Any] = {}

        def publish() -> None:
            result.update(_publish(port, streams, workdir))

        publisher = threading.Thread(target=publish)
        publisher.start()
        counter = _Counter(url)
        try:
            deadline = time.monotonic() + CHILD_TIMEOUT_S
            total = 0
            while total < MESSAGES and time.monotonic() < deadline:
                time.sleep(0.02)
                total = counter.total()
            committed = time.time()
            publisher.join()
            time.sleep(1)
            total, distinct = counter.both()
        finally:
            counter.close()
    finally:
        _stop(proc)
    return {
        "rate": MESSAGES / (committed - result["first_publish"]),
        "publish_rate": MESSAGES / (result["last_ack"] - result["first_publish"]),
        "stored": total,
        "distinct": distinct,
    }


def run() -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    variants = ["sqlite"] + ([] if postgres_missing() else ["postgresql"])
    for variant in variants:
        with temp_dir(f"yiwang-bench-mqtt-{variant}-") as workdir:
            os.chmod(workdir, 0o755)  # noqa: S103  (the broker's account reads its directory)
            with contextlib.ExitStack() as stack:
                if variant == "sqlite":
                    url = f"sqlite:///{workdir}/yiwang.db"
                else:
                    url = stack.enter_context(throwaway_postgres("yiwang_bench_mqtt"))
                streams = _prepare_database(url, workdir)
                port = stack.enter_context(broker(workdir))
                # Each subscriber's session is ended after its measurement: the broker would
                # otherwise go on queueing every later message for it too.
                raw = measure_raw(port, streams, workdir)
                end_session(port, "bench-raw")
                ours = measure_ours(url, port, streams, workdir)
                end_session(port, "bench-bridge")
                raw_drain = drain_raw(port, streams, workdir)
                end_session(port, "bench-raw-drain")
                ours_drain = drain_ours(url, port, streams, workdir)
            lossless = ours["stored"] == ours["distinct"] == MESSAGES
            ratio = ours["rate"] / raw
            name = "SQLite" if variant == "sqlite" else "PostgreSQL"
            rows.append(
                {
                    "case": f"MQTT ingest to {name} vs paho raw QoS 1 receive",
                    "metric": "messages/s, first publish → last commit",
                    "ours": round(ours["rate"]),
                    "peer": round(raw),
                    "ratio": round(ratio, 2),
                    "aim": f"≥ {AIM}",
                    "met": ratio >= AIM and lossless,
                    "stored": ours["stored"],
                    "distinct": ours["distinct"],
                    "publisher_rate": round(ours["publish_rate"]),
                }
            )
            drain_ratio = ours_drain / raw_drain
            rows.append(
                {
                    "case": f"MQTT backlog drain to {name} vs paho raw QoS 1 receive",
                    "metric": "messages/s from a queued backlog, first → last",
                    "ours": round(ours_drain),
                    "peer": round(raw_drain),
                    "ratio": round(drain_ratio, 2),
                    "aim": f"≥ {AIM}",
                    "met": drain_ratio >= AIM,
                }
            )
            if not lossless:
                notes.append(
                    f"{name}: LOSS: {MESSAGES:,} published, {ours['stored']:,} stored "
                    f"({ours['distinct']:,} distinct)."
                )
    notes += [
        f"{MESSAGES:,} SensorThings Observations (JSON, about 80 bytes) over {STREAMS} "
        "Datastreams, published by one paho-mqtt process (QoS 1, persistent session, "
        f"{INFLIGHT} in flight) to Mosquitto started from deploy/mosquitto.conf on a free "
        "port. Rates run from the first publish to the last message received (raw) or "
        "committed (ours, found by polling count(*) every 20 ms).",
        "Raw: a paho-mqtt subscriber with the bridge's subscription (QoS 1, fixed client id, "
        "persistent session, Receive Maximum 5000) that acknowledges each message on arrival "
        "and keeps nothing.",
        "Ours: `yiwang mqtt` with the default settings (batches of up to 2,000 messages or "
        "50 ms, Receive Maximum 5000): parse, check, store with `create_observations` "
        '(duplicates="skip"), one audit entry per batch, commit, then acknowledge the batch. '
        "`stored` and `distinct` are count(*) and count(distinct (stream, phenomenon time)) "
        "afterwards: both must equal the messages published.",
        f"Backlog drain: {MESSAGES:,} more messages queued at the broker for the subscriber's "
        "session while it is away, then taken: raw from its first to its last message; ours "
        "from the moment the restarted bridge is subscribed to the last commit. This is the "
        "consumer alone, without the publisher's pace.",
        "`publisher_rate` is how fast the broker acknowledged the publisher in our run: where "
        "it is close to the raw rate, the publisher, not the subscriber, bounds the raw figure.",
    ]
    return {
        "title": "Sensing: MQTT ingest, publish to commit, with zero loss",
        "intro": "Observations published over MQTT until committed, against paho-mqtt's bare "
        "QoS 1 receive rate on the same broker in the same run.",
        "rows": rows,
        "notes": notes,
    }


def _main(argv: list[str]) -> None:
    if argv[0] == "publish":
        child_publish(
            int(argv[1]), int(argv[2]), json.loads(Path(argv[3]).read_text()), int(argv[4])
        )
    elif argv[0] == "raw":
        child_raw(int(argv[1]), int(argv[2]), *argv[3:4])
    else:
        raise SystemExit(f"unknown child mode {argv[0]!r}")


if __name__ == "__main__":
    _main(sys.argv[1:])
