"""The packs installed in this database, with the version and content each was installed at."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, CreatedAt, JSONType, UTCDateTime


class InstalledPack(Base):
    """One installed pack. Its history (every install and upgrade, with what each created and
    changed) is in the audit log under ``pack.install`` and ``pack.upgrade``."""

    __tablename__ = "core_packs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), comment="the [pack] version installed")
    digest: Mapped[str] = mapped_column(String(64), comment="SHA-256 of its declarative files")
    origin: Mapped[str] = mapped_column(String(20), comment="builtin, path or entry point")
    title: Mapped[str] = mapped_column(String(200))
    sections: Mapped[dict[str, Any]] = mapped_column(
        JSONType, default=dict, comment="what each engine holds of it: counts by kind"
    )
    installed_at: Mapped[CreatedAt]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
