"""The project's clock stopped for a test and moved on by hand, through :func:`clock.pin`."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack

from yiwang.core import clock


class StoppedClock:
    """The clock stopped at ``start`` until :meth:`close`; :meth:`move` sets it forward."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start
        self._pins = ExitStack()
        self._pins.enter_context(clock.pin(start))

    def move(self, delta: dt.timedelta) -> dt.datetime:
        self.now += delta
        self._pins.enter_context(clock.pin(self.now))
        return self.now

    def close(self) -> None:
        self._pins.close()
