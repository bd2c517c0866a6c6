"""Imported by a worker that a fault test kills (``yiwang worker --import``): a durable handler
of the event named by ``YIWANG_TEST_PAUSE_ON`` that runs after the engines' own handlers of
that event, writes ``YIWANG_TEST_PAUSE_FILE`` and sleeps. The delivery's transaction is open
meanwhile, so a kill then cuts it where a crash would."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy.orm import Session

from yiwang.core import events


def _pause(session: Session, event: events.Event) -> None:
    session.flush()
    Path(os.environ["YIWANG_TEST_PAUSE_FILE"]).write_text(str(event.id))
    time.sleep(600)


if os.environ.get("YIWANG_TEST_PAUSE_ON"):
    events.subscribe(os.environ["YIWANG_TEST_PAUSE_ON"], "test.pause", _pause)
