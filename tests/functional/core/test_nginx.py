"""deploy/nginx/yiwang.conf, the reverse proxy operators put in front of ``yiwang serve``: nginx
started with that very file (only its listen and upstream ports changed) in front of a live
server passes requests through and refuses, at once and with Retry-After, what is past its
per-address limits; a body larger than the largest upload is refused before it is sent."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ROOT, free_port, live_server
from yiwang.core.db import Database
from yiwang.migrate import upgrade_and_seed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed"),
]

SITE = ROOT / "deploy" / "nginx" / "yiwang.conf"
PER_ADDRESS_CONNECTIONS = 50  # `limit_conn yiwang_addr` in the site


def site_config(listen_port: int, upstream_port: int) -> str:
    """The shipped site with only its listen and upstream ports changed (on 127.0.0.1)."""
    text = SITE.read_text()
    text, listens = re.subn(r"(?m)^    listen 80;$", f"    listen 127.0.0.1:{listen_port};", text)
    text, listens6 = re.subn(r"(?m)^    listen \[::\]:80;\n", "", text)
    text, upstreams = re.subn(
        r"(?m)^    server 127\.0\.0\.1:8000;$", f"    server 127.0.0.1:{upstream_port};", text
    )
    assert (listens, listens6, upstreams) == (1, 1, 1), "deploy/nginx/yiwang.conf changed shape"
    return text


@contextlib.contextmanager
def nginx(upstream_port: int) -> Iterator[str]:
    """nginx with the site included in its ``http`` block, as Debian's nginx.conf includes
    conf.d/*.conf; yield its URL once it answers, stop it on the way out."""
    binary = shutil.which("nginx")
    assert binary is not None
    # Not under pytest's tmp_path (0700): nginx's workers must reach their temporary files.
    workdir = Path(tempfile.mkdtemp(prefix="yiwang-nginx-"))
    port = free_port()
    (workdir / "yiwang.conf").write_text(site_config(port, upstream_port))
    (workdir / "nginx.conf").write_text(
        "\n".join(
            [
                "user root;" if os.geteuid() == 0 else "",
                "worker_processes 1;",
                "daemon off;",
                f"pid {workdir}/nginx.pid;",
                f"error_log {workdir}/error.log warn;",
                "events { worker_connections 1024; }",
                "http {",
                f"    client_body_temp_path {workdir}/body;",
                f"    proxy_temp_path {workdir}/proxy;",
                f"    fastcgi_temp_path {workdir}/fastcgi;",
                f"    uwsgi_temp_path {workdir}/uwsgi;",
                f"    scgi_temp_path {workdir}/scgi;",
                "    access_log off;",
                f"    include {workdir}/yiwang.conf;",
                "}",
                "",
            ]
        )
    )
    command = [binary, "-p", str(workdir), "-e", str(workdir / "error.log")]
    command += ["-c", str(workdir / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            assert proc.poll() is None, (workdir / "error.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.05)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # a graceful stop
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx in front of a live server on a migrated SQLite database."""
    tmp_path = tmp_path_factory.mktemp("nginx")
    db = Database(f"sqlite:///{tmp_path}/proxied.db")
    upgrade_and_seed(db)
    db.dispose()
    with (
        live_server(db, tmp_path, "--no-worker") as direct,
        nginx(int(direct.rsplit(":", 1)[1])) as url,
    ):
        yield url


def _held_request(port: int) -> socket.socket:
    """A connection whose request head has been sent and whose body never comes: nginx counts
    it against the address's connections until its client_body_timeout."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    return sock


def test_a_request_passes_through_to_the_server(proxied: str) -> None:
    with httpx.Client(base_url=proxied, timeout=10) as http:
        health = http.get("/healthz")
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        departments = http.get("/api/v1/departments", params={"limit": 5})
        assert departments.status_code == 200
        assert departments.headers["x-request-id"]
        missing = http.get("/api/v1/no-such-thing")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        assert "retry-after" not in missing.headers


def test_sign_ins_past_the_per_address_rate_get_429_with_retry_after(proxied: str) -> None:
    with httpx.Client(base_url=proxied, timeout=10) as http:
        # 30 a minute with a burst of 10: at most 11 of 20 quick tries pass.
        answers = [http.post("/login", data={"username": "x", "password": "y"}) for _ in range(20)]
        shown = http.get("/login")  # showing the form is not limited
    statuses = [a.status_code for a in answers]
    assert statuses[0] != 429
    assert 9 <= statuses.count(429) <= 10, statuses
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["retry-after"] == "2"
    assert refused.json()["error"]["code"] == "rate_limited"
    assert shown.status_code == 200


def test_connections_past_the_per_address_limit_get_503_with_retry_after(proxied: str) -> None:
    port = int(proxied.rsplit(":", 1)[1])
    held: list[socket.socket] = []
    try:
        held += [_held_request(port) for _ in range(PER_ADDRESS_CONNECTIONS)]
        deadline = time.monotonic() + 5
        with httpx.Client(base_url=proxied, timeout=5) as http:
            while True:  # until nginx has read every held request's head
                started = time.perf_counter()
                answer = http.get("/healthz")
                took = time.perf_counter() - started
                if answer.status_code == 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["error"]["code"] == "server_busy"
        assert took < 1.0
    finally:
        for sock in held:
            sock.close()
    # once they are gone, the address is served again
    with httpx.Client(base_url=proxied, timeout=5) as http:
        deadline = time.monotonic() + 5
        while (status := http.get("/healthz").status_code) != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert status == 200


def test_a_body_larger_than_the_largest_upload_gets_413_before_it_is_sent(proxied: str) -> None:
    port = int(proxied.rsplit(":", 1)[1])
    declared = 600 * 1024 * 1024  # over YIWANG_MAX_UPLOAD_BYTES + 1 MiB (513 MiB)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/v1/catalog/distributions/1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: text/csv\r\n"
            + f"Content-Length: {declared}\r\nConnection: close\r\n\r\n".encode()
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.split(b"\r\n", 1)[0] == b"HTTP/1.1 413 Request Entity Too Large", head
    assert json.loads(body)["error"]["code"] == "upload.too_large"
