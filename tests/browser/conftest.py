"""Browser tests: Debian's Chromium, driven by Playwright, against a live ``yiwang serve`` on a
SQLite database with the demo loaded once per session, and a Mosquitto broker from
``deploy/mosquitto.conf`` feeding the server's MQTT ingest. They skip, saying why, only where
/usr/bin/chromium (or the playwright package) is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser import live

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

_MISSING = live.chromium_missing()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
            if _MISSING:
                item.add_marker(pytest.mark.skip(reason=_MISSING))


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database with the demo loaded (once per session)."""
    return live.demo_database(tmp_path_factory.mktemp("browser-demo"))


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object | None]:
    """A Mosquitto broker from deploy/mosquitto.conf, or None where mosquitto is missing."""
    if live.mosquitto_missing():
        yield None
        return
    from tests.support.mqtt import Broker  # noqa: PLC0415

    running = Broker(tmp_path_factory.mktemp("browser-broker"))
    running.start()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="session")
def server(
    demo_url: str, broker: object | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[live.Server]:
    """``yiwang serve`` on the demo database, ingesting MQTT when a broker runs."""
    env = {}
    if broker is not None:
        env = {
            "YIWANG_MQTT_URL": broker.url,  # type: ignore[attr-defined]
            "YIWANG_MQTT_INGEST": "true",
            "YIWANG_MQTT_CLIENT_ID": "yiwang-browser-tests",
        }
    with live.serving(demo_url, tmp_path_factory.mktemp("browser-serve"), **env) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**live.launch_options())  # type: ignore[arg-type]
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, server: live.Server) -> Iterator[Page]:
    """A fresh browser page (Chinese first, downloads allowed) pointed at the live server."""
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        accept_downloads=True,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()
